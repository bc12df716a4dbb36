// Operator commands that work on the installation directly: init, accounts create and list, serve, start.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, isIP, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type pino from 'pino';
import { toWireDate } from '../core/clock.js';
import { buildApp, GatewayList, type ConnectionLimits } from '../api/app.js';
import {
  bootstrapAccount,
  createMasterKeyFile,
  isInitialised as installationExists,
  openInstallation as openInstallationIn,
  type AccountCredentials,
  type Installation,
  type InstallationConfig,
} from '../services/installation.js';
import type { BackgroundJobsOptions } from '../services/background-jobs.js';
import { Metrics } from '../services/metrics.js';
import type { Ramkey } from '../services/ramkey.js';
import { checkRedisUrl, describeRedisUrl } from '../services/scale/redis-connection.js';
import { DEFAULT_REDIS_PREFIX, type RedisScaleOutOptions } from '../services/scale/redis-scale-out.js';
import type { BackfillProgress } from '../services/secret-index.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { createPrivateFile } from './files.js';
import { createLogger, parseLogFormat, type LogFormat } from './logger.js';
import { formatJson, printFields, printJson, printTable, shellArg } from './output.js';

const DEFAULT_DATA_DIR = './ramkey-data';

/** Where the first `ramkey start` without a terminal leaves the new credentials, in the data directory. */
const INITIAL_CREDENTIALS_FILE = 'initial-credentials.json';

export interface DataOptions {
  data?: string;
}

export function dataDir(options: DataOptions): string {
  return resolve(options.data ?? process.env.RAMKEY_DATA ?? DEFAULT_DATA_DIR);
}

/** A whole-number setting from the environment, or undefined when unset; refused when out of range. */
function integerEnv(name: string, min: number, max: number, unit: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(
      `Invalid ${name} "${value}": use a whole number of ${unit}, ${String(min)}-${String(max)}.`,
      EXIT_USAGE,
    );
  }
  return n;
}

const auditRetentionDays = () => integerEnv('RAMKEY_AUDIT_RETENTION_DAYS', 1, 3650, 'days');

/** RAMKEY_REQUEST_TIMEOUT_MS and friends; unset ones keep the defaults. */
function connectionLimits(): Partial<ConnectionLimits> {
  const limits: Partial<ConnectionLimits> = {};
  const set = (key: keyof ConnectionLimits, value: number | undefined) => {
    if (value !== undefined) limits[key] = value;
  };
  set('requestTimeoutMs', integerEnv('RAMKEY_REQUEST_TIMEOUT_MS', 100, 3_600_000, 'milliseconds'));
  set('headersTimeoutMs', integerEnv('RAMKEY_HEADERS_TIMEOUT_MS', 100, 3_600_000, 'milliseconds'));
  set('keepAliveTimeoutMs', integerEnv('RAMKEY_KEEP_ALIVE_TIMEOUT_MS', 100, 3_600_000, 'milliseconds'));
  set('maxConnections', integerEnv('RAMKEY_MAX_CONNECTIONS', 1, 1_000_000, 'connections'));
  return limits;
}

/** RAMKEY_JOB_LEASE_MS and RAMKEY_MAINTENANCE_INTERVAL_MS; unset ones keep the defaults. */
function jobSettings(): BackgroundJobsOptions {
  const leaseMs = integerEnv('RAMKEY_JOB_LEASE_MS', 1000, 3_600_000, 'milliseconds');
  const maintenanceIntervalMs = integerEnv(
    'RAMKEY_MAINTENANCE_INTERVAL_MS',
    1000,
    86_400_000,
    'milliseconds',
  );
  return {
    ...(leaseMs !== undefined && { leaseMs }),
    ...(maintenanceIntervalMs !== undefined && { maintenanceIntervalMs }),
  };
}

/** The installation in `dir`, or in RAMKEY_DATABASE_URL's database (RAMKEY_DATABASE_SCHEMA's schema), with RAMKEY_MASTER_KEY if set. */
export function installationConfig(dir: string): InstallationConfig {
  return {
    dataDir: dir,
    databaseUrl: process.env.RAMKEY_DATABASE_URL,
    databaseSchema: process.env.RAMKEY_DATABASE_SCHEMA,
    masterKey: process.env.RAMKEY_MASTER_KEY,
  };
}

function isInitialised(dir: string): Promise<boolean> {
  return installationExists(installationConfig(dir));
}

/** RAMKEY_REDIS_URL and RAMKEY_REDIS_PREFIX, or undefined when Redis is not configured. */
function redisSettings(): { url: string; prefix: string } | undefined {
  const url = process.env.RAMKEY_REDIS_URL;
  if (url === undefined || url === '') return undefined;
  try {
    checkRedisUrl(url);
  } catch (error) {
    // The URL itself stays out of the message: it may hold a password.
    throw new CliError(`Invalid RAMKEY_REDIS_URL: ${toError(error).message}.`, EXIT_USAGE);
  }
  const prefix = process.env.RAMKEY_REDIS_PREFIX ?? DEFAULT_REDIS_PREFIX;
  if (!/^[\w.:-]{0,64}$/.test(prefix)) {
    throw new CliError('Invalid RAMKEY_REDIS_PREFIX: use up to 64 letters, digits and _ . : -.', EXIT_USAGE);
  }
  return { url, prefix };
}

/**
 * Several nodes on one PostgreSQL database must hear each other's changes (a key disabled on one must
 * be refused on all at once), which only the Redis change bus carries: without it, `ramkey serve` on
 * PostgreSQL refuses to start unless RAMKEY_SINGLE_NODE=1 says this is the only node.
 */
function checkScaleOut(redis: { url: string } | undefined): void {
  if (redis || !process.env.RAMKEY_DATABASE_URL || process.env.RAMKEY_SINGLE_NODE === '1') return;
  throw new CliError(
    'RAMKEY_DATABASE_URL is set without RAMKEY_REDIS_URL: nodes sharing the database would not hear ' +
      "each other's changes (a key disabled on one would keep working on another for up to a minute). " +
      'Set RAMKEY_REDIS_URL, or RAMKEY_SINGLE_NODE=1 if this is the only server on this database.',
    EXIT_USAGE,
  );
}

/**
 * Opens the installation; a server passes its logger, the background jobs' settings, its metrics and
 * Redis (RAMKEY_REDIS_URL).
 */
function openInstallation(
  dir: string,
  logger?: pino.Logger,
  jobs?: BackgroundJobsOptions,
  metrics?: Metrics,
  redis?: Omit<RedisScaleOutOptions, 'firstUse'>,
): Promise<Installation> {
  const retention = auditRetentionDays();
  const highRisk = process.env.RAMKEY_LEAK_HIGH_RISK_ACTIONS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const failuresPerSecond = integerEnv('RAMKEY_AUTH_FAILURES_PER_SECOND', 0, 1_000_000, 'failures');
  const failureBurst = integerEnv('RAMKEY_AUTH_FAILURE_BURST', 1, 1_000_000, 'failures');
  return openInstallationIn(installationConfig(dir), {
    failureLimits: {
      ...(failuresPerSecond !== undefined && { perSecond: failuresPerSecond }),
      ...(failureBurst !== undefined && { burst: failureBurst }),
    },
    ...(retention !== undefined && { auditRetentionDays: retention }),
    ...(highRisk && { leakHighRiskActions: highRisk }),
    ...(jobs && { jobs }),
    ...(metrics && { metrics }),
    ...(redis && { redis }),
    ...(logger && {
      onBackgroundError: (err: unknown) => {
        logger.error({ err }, 'background write failed');
      },
      onSecretIndexProgress: (progress: BackfillProgress) => {
        logger.info(progress, 'indexing AccessKey secrets (once, for keys without a fingerprint)');
      },
      onUnopenableSecret: (accessKeyId: string) => {
        logger.error({ accessKeyId }, 'AccessKey secret cannot be opened with the master key ring');
      },
    }),
  });
}

/** Runs `work` on the installation in the data directory (operator commands), then closes it. */
export async function withInstallation<T>(
  options: DataOptions,
  work: (ramkey: Ramkey) => Promise<T>,
): Promise<T> {
  const dir = dataDir(options);
  if (!(await isInitialised(dir))) {
    throw new CliError(`No Ramkey installation in ${dir}: run "ramkey init --data ${shellArg(dir)}" first.`);
  }
  const installation = await openInstallation(dir);
  try {
    return await work(installation.ramkey);
  } finally {
    await installation.close();
  }
}

async function initialise(dir: string, rootAccessKey: boolean): Promise<AccountCredentials> {
  if (await isInitialised(dir)) {
    throw new CliError(
      `Ramkey is already initialised in ${dir}. Use "ramkey accounts create --data ${shellArg(dir)}" to add an account, ` +
        'or choose another --data directory.',
    );
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!process.env.RAMKEY_MASTER_KEY) {
    createMasterKeyFile(dir);
  }
  const installation = await openInstallation(dir);
  try {
    return await bootstrapAccount(installation.ramkey, { rootAccessKey });
  } finally {
    await installation.close();
  }
}

/** The credentials as `init --json` prints them, and as the first start writes them to a file. */
function credentialsJson(credentials: AccountCredentials): string {
  return formatJson({
    AccountId: credentials.accountId,
    LoginName: credentials.loginName,
    Password: credentials.password,
    UserName: credentials.userName,
    AccessKeyId: credentials.accessKeyId,
    AccessKeySecret: credentials.accessKeySecret,
    RootAccessKeyId: credentials.rootAccessKeyId,
    RootAccessKeySecret: credentials.rootAccessKeySecret,
  });
}

function printCredentials(credentials: AccountCredentials, json: boolean, heading: string): void {
  if (json) {
    process.stdout.write(credentialsJson(credentials));
    return;
  }
  process.stdout.write(`${heading}\n\n`);
  printFields({
    'Account ID': credentials.accountId,
    'Console login': credentials.loginName,
    'Console password': credentials.password,
    'RAM user': credentials.userName,
    AccessKeyId: credentials.accessKeyId,
    AccessKeySecret: credentials.accessKeySecret,
    'Root AccessKeyId': credentials.rootAccessKeyId,
    'Root AccessKeySecret': credentials.rootAccessKeySecret,
  });
  process.stdout.write(
    '\nThese secrets are shown once and never again: store them now.\n' +
      (credentials.rootAccessKeyId
        ? 'A root AccessKey has full rights over the account and cannot be restricted: prefer RAM users.\n'
        : ''),
  );
}

/** The new account of a first start, and where its secrets went when not to the terminal. */
interface FirstStart {
  credentials: AccountCredentials;
  file?: string;
}

/**
 * Initialises `dir` for `ramkey start`. The secrets go to the terminal when standard output is one;
 * otherwise (a process manager, a container) its logs would keep them, so they go to a new file of
 * mode 0600, `file` or DIR/initial-credentials.json, created before anything is initialised (an
 * unwritable file leaves nothing behind) and never world-readable, not even while written.
 */
async function firstStart(dir: string, file: string | undefined): Promise<FirstStart> {
  const path = file ?? (process.stdout.isTTY ? undefined : join(dir, INITIAL_CREDENTIALS_FILE));
  if (path === undefined) {
    const credentials = await initialise(dir, false);
    printCredentials(credentials, false, `Ramkey initialised in ${dir}.`);
    process.stdout.write('\n');
    return { credentials };
  }
  if (file === undefined) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out = await createPrivateFile(path);
  let credentials: AccountCredentials;
  try {
    credentials = await initialise(dir, false);
  } catch (error) {
    await out.discard();
    throw error;
  }
  await out.write(credentialsJson(credentials));
  await out.close();
  return { credentials, file: resolve(path) };
}

interface CredentialOptions extends DataOptions {
  json?: boolean;
  rootAccessKey?: boolean;
}

interface ServeOptions extends DataOptions {
  host?: string;
  port?: string;
  insecureHttp?: boolean;
}

interface StartOptions extends ServeOptions {
  credentialsFile?: string;
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** A comma-separated list of addresses and CIDRs from the environment; a malformed entry is refused. */
function addressListEnv(name: string): string[] | undefined {
  const entries = process.env[name]
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    if (entries) GatewayList.parse(entries);
  } catch (error) {
    throw new CliError(`${name}: ${toError(error).message}.`, EXIT_USAGE);
  }
  return entries;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`Invalid port "${value}": use 0-65535.`, EXIT_USAGE);
  }
  return port;
}

/** What `serve` needs, every part of it checked before anything is opened or initialised. */
interface ServeSettings {
  dir: string;
  host: string;
  port: number;
  limits: Partial<ConnectionLimits>;
  jobs: BackgroundJobsOptions;
  tls?: { cert: Buffer; key: Buffer };
  gateways?: string[];
  metricsFrom?: string[];
  trustProxy?: string[];
  logFormat: LogFormat;
  redis?: { url: string; prefix: string };
}

function readTlsFile(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new CliError(`Cannot read ${variable} ${file}: ${toError(error).message}.`, EXIT_USAGE);
  }
}

/** Why the server cannot listen on host:port, with the option that changes it. */
function listenError(host: string, port: number, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new CliError(
      `Port ${String(port)} on ${host} is already in use (another Ramkey, or another program): ` +
        'stop it, or choose another port with --port (or RAMKEY_PORT).',
    );
  }
  if (code === 'EACCES') {
    return new CliError(
      `Not allowed to listen on port ${String(port)} (ports below 1024 need privileges): ` +
        'choose another port with --port (or RAMKEY_PORT).',
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new CliError(
      `Cannot listen on ${host}: it is not an address of this machine. Choose another with --host.`,
    );
  }
  return new CliError(`Cannot listen on ${host} port ${String(port)}: ${toError(error).message}.`);
}

/**
 * Refuses a port another program holds, before `start` initialises anything: a first start that
 * failed there would have created the installation and shown its secrets for nothing. Port 0 (any
 * free port) is always free.
 */
async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((listening, failed) => {
    probe.once('error', failed);
    probe.listen({ host, port, exclusive: true }, listening);
  }).catch((error: unknown) => {
    throw listenError(host, port, error);
  });
  await new Promise((closed) => probe.close(closed));
}

async function serveSettings(options: ServeOptions): Promise<ServeSettings> {
  const dir = dataDir(options);
  const host = options.host ?? process.env.RAMKEY_HOST ?? '127.0.0.1';
  const port = parsePort(options.port ?? process.env.RAMKEY_PORT ?? '8080');
  const limits = connectionLimits();
  const jobs = jobSettings();
  const certFile = process.env.RAMKEY_TLS_CERT;
  const keyFile = process.env.RAMKEY_TLS_KEY;
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new CliError('Set both RAMKEY_TLS_CERT and RAMKEY_TLS_KEY, or neither.', EXIT_USAGE);
  }
  // CreateAccessKey responses carry secrets: never send them in clear over a real network by accident.
  if (!certFile && !isLoopback(host) && !options.insecureHttp) {
    throw new CliError(
      `Refusing to serve plain HTTP on ${host}: AccessKey secrets would cross the network unencrypted. ` +
        'Set RAMKEY_TLS_CERT and RAMKEY_TLS_KEY, or pass --insecure-http if a TLS proxy sits in front.',
      EXIT_USAGE,
    );
  }
  const tls = certFile &&
    keyFile && {
      cert: readTlsFile('RAMKEY_TLS_CERT', certFile),
      key: readTlsFile('RAMKEY_TLS_KEY', keyFile),
    };
  const gateways = addressListEnv('RAMKEY_GATEWAYS');
  const metricsFrom = addressListEnv('RAMKEY_METRICS_FROM');
  const logFormat = parseLogFormat(process.env.RAMKEY_LOG_FORMAT);
  if (!logFormat) {
    throw new CliError(
      `Invalid RAMKEY_LOG_FORMAT "${process.env.RAMKEY_LOG_FORMAT ?? ''}": use json or pretty.`,
      EXIT_USAGE,
    );
  }
  const redis = redisSettings();
  checkScaleOut(redis);
  const trustProxy = process.env.RAMKEY_TRUST_PROXY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  await checkPortFree(host, port);
  return {
    dir,
    host,
    port,
    limits,
    jobs,
    logFormat,
    ...(tls && { tls }),
    ...(gateways && gateways.length > 0 && { gateways }),
    ...(metricsFrom && metricsFrom.length > 0 && { metricsFrom }),
    ...(trustProxy && trustProxy.length > 0 && { trustProxy }),
    ...(redis && { redis }),
  };
}

/** Where clients reach the server: `host:port` (the form the official SDKs take), protocol, URL. */
interface ClientEndpoint {
  hostPort: string;
  protocol: 'http' | 'https';
  url: string;
}

/** The endpoint for the address listened on (`127.0.0.1:PORT` for a wildcard one, from this machine). */
function clientEndpoint(address: AddressInfo, https: boolean): ClientEndpoint {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const hostPort = `${host}:${String(address.port)}`;
  const protocol = https ? 'https' : 'http';
  return { hostPort, protocol, url: `${protocol}://${hostPort}` };
}

/** What the first start prints on a terminal once the server listens: how to try the new key. */
function printTryTheKey(first: FirstStart, endpoint: ClientEndpoint): void {
  const secret = first.file ? `<the AccessKey secret in ${first.file}>` : '<the AccessKeySecret above>';
  process.stdout.write(
    `\nRamkey is serving on ${endpoint.url}. Try the new key with the CLI (or any Alibaba Cloud SDK, ` +
      `endpoint ${endpoint.hostPort}, protocol ${endpoint.protocol}):\n` +
      `  export RAMKEY_ENDPOINT=${endpoint.url}\n` +
      `  export RAMKEY_ACCESS_KEY_ID=${first.credentials.accessKeyId}\n` +
      `  export RAMKEY_ACCESS_KEY_SECRET=${secret}\n` +
      '  npx ramkey whoami\n' +
      `Or sign in to the web console at ${endpoint.url}/console with the login name and password.\n\n`,
  );
}

async function serve(settings: ServeSettings, first?: FirstStart): Promise<void> {
  const { dir, redis: redisConfig } = settings;
  if (!(await isInitialised(dir))) {
    throw new CliError(`No Ramkey installation in ${dir}: run "ramkey init --data ${shellArg(dir)}" first.`);
  }
  const logger = await createLogger({ format: settings.logFormat });
  if (first?.file) {
    logger.warn(
      { credentialsFile: first.file },
      "initialised: the new account's console password and AccessKey secret are in this file " +
        '(mode 0600) and nowhere else: store them, then delete the file',
    );
  }
  const metrics = new Metrics({ processMetrics: true });
  // An unreachable Redis does not stop the start: the server serves, answers signed calls with
  // ServiceUnavailable and /readyz with 503, and is ready within a second of Redis answering.
  const redis: Omit<RedisScaleOutOptions, 'firstUse'> | undefined = redisConfig && {
    ...redisConfig,
    onConnection: ({ connection, state, reason }) => {
      if (state === 'ready') logger.info({ connection }, 'Redis connection ready');
      else {
        logger.warn(
          { connection, reason },
          connection === 'commands'
            ? 'Redis connection lost: signed calls are refused (ServiceUnavailable) until it returns'
            : 'Redis change bus lost: caches are bypassed (every lookup reads the database) until it returns',
        );
      }
    },
    onFence: (fenceMs) => {
      logger.warn(
        { fence: new Date(fenceMs).toISOString() },
        'Redis holds no nonces of this installation (first start, or it restarted or was flushed): requests signed before the fence are refused as replays',
      );
    },
  };
  if (redisConfig) {
    logger.info(
      { redis: describeRedisUrl(redisConfig.url), prefix: redisConfig.prefix },
      'scale-out: nonces and the change bus in Redis',
    );
  }
  const installation = await openInstallation(dir, logger, { ...settings.jobs, log: logger }, metrics, redis);
  try {
    await installation.ramkey.start();
  } catch (error) {
    await installation.close();
    // Another server on the same SQLite installation, or a database that cannot be written.
    throw new CliError(`Cannot serve ${dir}: ${toError(error).message}.`);
  }
  const app = buildApp({
    ramkey: installation.ramkey,
    logger,
    connectionLimits: settings.limits,
    ...(settings.gateways && { gateways: settings.gateways }),
    ...(settings.metricsFrom && { metricsFrom: settings.metricsFrom }),
    ...(settings.trustProxy && { trustProxy: settings.trustProxy }),
    ...(settings.tls && { https: settings.tls }),
  });

  // Due purges happen before the first request is served, on every node (a purge another node made
  // first changes nothing): nothing past its DeleteDate is left in the recycle bin.
  try {
    const purged = await installation.ramkey.recycleBin.purgeDue();
    if (purged.keys > 0 || purged.users > 0) {
      logger.info(purged, 'purged AccessKeys and users past their recycle bin DeleteDate');
    }
  } catch (err) {
    logger.error({ err }, 'recycle bin purge failed');
  }
  // Then the periodic jobs, on whichever node holds their lease (this one, if it is alone).
  await installation.ramkey.jobs.start();

  // The jobs first, their lease given up so that another node takes them over at once.
  const shutDown = () =>
    installation.ramkey.jobs
      .stop()
      .then(() => app.close())
      .then(() => installation.close());
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests and flushing pending writes');
    shutDown()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });

  // Serving before the secret index is read would mask every secret-shaped value (safe, but lossy).
  await installation.ramkey.secretIndex.load();
  let address: string;
  try {
    address = await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    // Taken since it was checked (another program started meanwhile).
    await shutDown();
    throw listenError(settings.host, settings.port, error);
  }
  const endpoint = clientEndpoint(app.server.address() as AddressInfo, settings.tls !== undefined);
  logger.info(
    {
      address,
      endpoint: endpoint.hostPort,
      console: `${endpoint.url}/console`,
      store: installation.engine,
      dataDir: dir,
      nodeId: installation.ramkey.jobs.nodeId,
    },
    'Ramkey is serving',
  );
  if (first && process.stdout.isTTY) printTryTheKey(first, endpoint);
}

export function registerServerCommands(program: Command): void {
  program
    .command('init')
    .description('create the installation: master key, first account, its admin user and AccessKey')
    .option('--data <dir>', 'data directory (default $RAMKEY_DATA or ./ramkey-data)')
    .option('--json', 'print the credentials as one JSON object')
    .option('--root-access-key', 'also create an AccessKey for the root identity (discouraged)')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<CredentialOptions>();
      const dir = dataDir(options);
      const credentials = await initialise(dir, options.rootAccessKey ?? false);
      printCredentials(credentials, options.json ?? false, 'Ramkey initialised.');
      if (!options.json) process.stdout.write(`\nServe it with: ramkey serve --data ${shellArg(dir)}\n`);
    });

  const accounts = program
    .command('accounts')
    .description('manage accounts of this installation (operator commands)');
  accounts
    .command('create')
    .description('add another account (a tenant) with its admin user and AccessKey')
    .option('--data <dir>', 'data directory (default $RAMKEY_DATA or ./ramkey-data)')
    .option('--json', 'print the credentials as one JSON object')
    .option('--root-access-key', 'also create an AccessKey for the root identity (discouraged)')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<CredentialOptions>();
      const credentials = await withInstallation(options, (ramkey) =>
        bootstrapAccount(ramkey, { rootAccessKey: options.rootAccessKey ?? false }),
      );
      printCredentials(credentials, options.json ?? false, 'Account created.');
    });
  accounts
    .command('list')
    .description('list the accounts: login name, creation, users, live AccessKeys, whether a root key exists')
    .option('--data <dir>', 'data directory (default $RAMKEY_DATA or ./ramkey-data)')
    .option('--json', 'print the accounts as JSON')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<CredentialOptions>();
      const listed = await withInstallation(options, (ramkey) => ramkey.identity.listAccounts());
      const rows = listed.map((a) => ({
        AccountId: a.accountId,
        LoginName: a.loginName,
        CreateDate: toWireDate(a.createdAt),
        Users: a.users,
        LiveAccessKeys: a.liveAccessKeys,
        HasRootAccessKey: a.hasRootAccessKey,
      }));
      if (options.json) printJson(rows);
      else
        printTable(
          ['ACCOUNT ID', 'LOGIN NAME', 'CREATED', 'USERS', 'LIVE KEYS', 'ROOT KEY'],
          rows.map((r) => [
            r.AccountId,
            r.LoginName,
            r.CreateDate,
            String(r.Users),
            String(r.LiveAccessKeys),
            r.HasRootAccessKey ? 'yes' : 'no',
          ]),
        );
    });

  const serveOptions = (command: Command) =>
    command
      .option('--data <dir>', 'data directory (default $RAMKEY_DATA or ./ramkey-data)')
      .option('--host <host>', 'address to listen on (default $RAMKEY_HOST or 127.0.0.1)')
      .option('--port <port>', 'port to listen on (default $RAMKEY_PORT or 8080)')
      .option('--insecure-http', 'allow plain HTTP on a non-loopback address (behind a TLS proxy)');

  serveOptions(
    program.command('serve').description('serve the RAM, IMS and STS APIs (HTTPS when RAMKEY_TLS_* are set)'),
  ).action(async (options: ServeOptions) => {
    await serve(await serveSettings(options));
  });

  serveOptions(
    program
      .command('start')
      .description(
        'initialise on first run, then serve; the new credentials go to the terminal, or without one to DIR/initial-credentials.json (mode 0600)',
      ),
  )
    .option(
      '--credentials-file <file>',
      'on first run, write the new credentials to this new file (mode 0600) instead of the terminal',
    )
    .action(async (options: StartOptions) => {
      // Everything is checked (the port too) before the installation is created.
      const settings = await serveSettings(options);
      const first = (await isInitialised(settings.dir))
        ? undefined
        : await firstStart(settings.dir, options.credentialsFile);
      await serve(settings, first);
    });
}
