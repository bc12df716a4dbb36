// startApp: Ramkey inside the test process on a real listener, with a test clock, in-memory logs and explicit flushes.
//
// The only place the API suites touch how Ramkey is put together (store, sealer, createRamkey,
// bootstrapAccount, buildApp): it is wired here as `ramkey serve` wires it, and nowhere else in the
// tests, which otherwise see the wire protocol only.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { REDACTED_PATHS } from '../../src/cli/logger.js';
import type { Clock } from '../../src/core/clock.js';
import type { MaintenanceOutcome } from '../../src/services/maintenance.js';
import { cryptoRandom } from '../../src/core/random.js';
import { bootstrapAccount, type AccountCredentials } from '../../src/services/installation.js';
import { createRamkey, type Ramkey, type RamkeyDeps } from '../../src/services/ramkey.js';
import { openStore } from '../../src/store/open-store.js';
import {
  generateMasterKeyText,
  loadMasterKeyRing,
  Sealer,
  writeMasterKeyFile,
} from '../../src/store/sealer.js';
import { createTestDatabase, type Engine } from './test-stores.js';

export type { AccountCredentials };

/**
 * The server's clock in tests: real time shifted by an offset that tests move by hand. It keeps
 * ticking with real time, so that the SDKs' own timestamps (real time) stay within the allowed skew.
 */
export class TestClock implements Clock {
  constructor(private offsetMs = 0) {}
  /** How far ahead of real time it is (to start a restarted app's clock where this one is). */
  get offset(): number {
    return this.offsetMs;
  }
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface StartAppOptions {
  /** Where the state lives: SQLite in a fresh temp dir (default), or a fresh PostgreSQL database. */
  engine?: Engine;
  clock?: TestClock;
  /** RAMKEY_TRUST_PROXY: addresses whose X-Forwarded-For is believed. */
  trustProxy?: string[];
  /** RAMKEY_GATEWAYS: the addresses forward authentication answers (loopback by default). */
  gateways?: string[];
  /** RAMKEY_METRICS_FROM: the addresses `/metrics` answers (loopback by default). */
  metricsFrom?: string[];
  /** The built console to serve at /console (default: the repository's dist/console). */
  consoleDir?: string;
  /** Where to listen (default 127.0.0.1; `::` takes IPv6 and IPv4 calls, `endpoint` still works). */
  host?: string;
  /**
   * Passed to createRamkey as they are (the usage recorder's bounds, the failure limits, Redis as
   * RAMKEY_REDIS_URL sets it, or a nonce store and change bus of the test's own).
   */
  ramkey?: Pick<
    RamkeyDeps,
    'usage' | 'failureLimits' | 'leakHighRiskActions' | 'redis' | 'nonces' | 'changes'
  >;
  /**
   * Serve the state of an earlier app (stopped with `keepData`) instead of a new installation: a
   * restart. Its first account stays `admin`.
   */
  reuse?: Pick<RunningApp, 'dataDir' | 'env' | 'admin' | 'discardData'>;
}

export interface RunningApp {
  /** `127.0.0.1:PORT`, the form the official SDK clients take. */
  endpoint: string;
  port: number;
  /**
   * A data directory laid out as `ramkey init` leaves it (master.key, and ramkey.db on SQLite):
   * operator commands (`ramkey audit probes --data`) work on it, with `env`.
   */
  dataDir: string;
  /** RAMKEY_DATABASE_URL on PostgreSQL, for operator commands; empty on SQLite. */
  env: Record<string, string>;
  /** The first account's credentials, as `ramkey init --json --root-access-key` prints them. */
  admin: AccountCredentials;
  clock: TestClock;
  /** The running services, for what no API reaches (console sign-in calls ramkey.mfa directly). */
  ramkey: Ramkey;
  /**
   * Another node over the same database and master key (no listener), as a second `ramkey serve`
   * would be: for what must hold across nodes. PostgreSQL only: a SQLite installation has one server.
   */
  otherNode(): Promise<{ ramkey: Ramkey; close(): Promise<void> }>;
  /** Every line the server logged so far (debug level, JSON, redacted as in production). */
  logs: string[];
  /** Another account with its admin user and key, as `ramkey accounts create` makes it. */
  createAccount(options?: { rootAccessKey?: boolean }): Promise<AccountCredentials>;
  /** Writes everything pending: last use, usage counts and read events. */
  flush(): Promise<void>;
  /**
   * One run of the maintenance jobs (recycle bin purge, idle-key disabling), as the serving node's
   * timer makes it; the harness, like `ramkey serve`, also ran them once before listening.
   */
  maintenance(): Promise<MaintenanceOutcome>;
  /** Registers a leak reporter as `ramkey leak-reporters add NAME` does; returns its secret. */
  addLeakReporter(name: string): Promise<string>;
  /** Runs one round of notification delivery (the server's job does so every few seconds). */
  deliverNotifications(): Promise<number>;
  /** Closes listener, Ramkey (flushing) and store, and removes the data unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Removes the data (directory, PostgreSQL database) once no app serves it. */
  discardData(): Promise<void>;
}

export async function startApp(options: StartAppOptions = {}): Promise<RunningApp> {
  const { reuse } = options;
  const dataDir = reuse?.dataDir ?? (await mkdtemp(join(tmpdir(), 'ramkey-app-')));
  const database = reuse ? undefined : options.engine === 'postgres' ? await createTestDatabase() : undefined;
  const databaseUrl = reuse ? reuse.env.RAMKEY_DATABASE_URL : database?.url;
  const masterKeyFile = join(dataDir, 'master.key');
  if (!reuse) writeMasterKeyFile(masterKeyFile, generateMasterKeyText(cryptoRandom));
  const store = await openStore({ dataDir, databaseUrl });
  await store.migrate();

  const logs: string[] = [];
  const logger = pino(
    { level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } },
    {
      write(line: string) {
        logs.push(line.trimEnd());
      },
    },
  );
  const clock = options.clock ?? new TestClock();
  const ramkey = createRamkey({
    store,
    sealer: new Sealer(loadMasterKeyRing({ file: masterKeyFile })),
    clock,
    ...options.ramkey,
    onBackgroundError: (err: unknown) => {
      logger.error({ err }, 'background write failed');
    },
  });
  const createAccount = (account: { rootAccessKey?: boolean } = {}) =>
    bootstrapAccount(ramkey, { rootAccessKey: account.rootAccessKey ?? false });
  const admin = reuse?.admin ?? (await createAccount({ rootAccessKey: true }));
  // As `ramkey serve`: due purges (and the daily idle-key run) before the first request.
  await ramkey.maintenance.run();

  const app = buildApp({
    ramkey,
    logger,
    ...(options.trustProxy && { trustProxy: options.trustProxy }),
    ...(options.gateways && { gateways: options.gateways }),
    ...(options.metricsFrom && { metricsFrom: options.metricsFrom }),
    ...(options.consoleDir !== undefined && { consoleDir: options.consoleDir }),
  });
  await app.listen({ host: options.host ?? '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address to listen on');
  const discardData =
    reuse?.discardData ??
    (async () => {
      await rm(dataDir, { recursive: true, force: true });
      await database?.drop();
    });
  return {
    endpoint: `127.0.0.1:${String(address.port)}`,
    port: address.port,
    dataDir,
    env: databaseUrl === undefined ? {} : { RAMKEY_DATABASE_URL: databaseUrl },
    admin,
    clock,
    ramkey,
    async otherNode() {
      const otherStore = await openStore({ dataDir, databaseUrl });
      const other = createRamkey({
        store: otherStore,
        sealer: new Sealer(loadMasterKeyRing({ file: masterKeyFile })),
        clock,
      });
      return {
        ramkey: other,
        async close() {
          await other.close();
          await otherStore.close();
        },
      };
    },
    logs,
    createAccount,
    // A call's use and read event are queued before its response is sent: by the time a test has
    // its answer, a flush writes them.
    flush: () => ramkey.usage.flush(),
    maintenance: () => ramkey.maintenance.run(),
    addLeakReporter: async (name) => (await ramkey.leaks.addReporter(name)).reveal(),
    deliverNotifications: () => ramkey.notifications.deliverDue(),
    async stop(stopOptions = {}) {
      await app.close();
      await ramkey.close();
      await store.close();
      if (!stopOptions.keepData) await discardData();
    },
    discardData,
  };
}
