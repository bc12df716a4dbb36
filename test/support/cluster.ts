// A Ramkey cluster for the scale-out suite: one installation in a PostgreSQL schema of its own, a
// private Redis, two `ramkey serve` processes (the built CLI, as operators run it) sharing both, and
// Debian's nginx in front as a plain round-robin load balancer. Nodes can be killed with SIGKILL and
// started again, Redis stopped and started again; stop() leaves no process, schema or file behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, nginxAvailable, startLoadBalancer, type RunningNginx } from './nginx.js';
import { CLI, parseInitOutput, runCli, type InitOutput } from './ramkey-server.js';
import { postgresAvailable, testDatabaseUrl, type Availability } from './test-stores.js';

/** Debian's redis-server; the suite runs a private one and never touches the shared one at :6379. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** Everything the cluster needs: PostgreSQL, nginx and redis-server. */
export async function clusterAvailability(): Promise<Availability> {
  const postgres = await postgresAvailable();
  if (!postgres.ok) return postgres;
  if (!nginxAvailable()) return { ok: false, reason: 'nginx is not installed (.ci/run installs it)' };
  if (!existsSync(REDIS_SERVER) || spawnSync(REDIS_SERVER, ['--version']).status !== 0) {
    return { ok: false, reason: `${REDIS_SERVER} cannot run (install redis-server)` };
  }
  return { ok: true };
}

/** Calls `onLine` with each line the child writes to stdout or stderr. */
function readLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
  }
}

/** Resolves once the child has exited (at once if it already has). */
function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/** Kills the child with `signal` and waits for it to exit. */
async function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = exitOf(child);
  child.kill(signal);
  await exited;
}

/**
 * Stops a child should the test process end without the harness's stop() (a crash, a timeout): a
 * test run must never leave a server behind. Returns the function that disarms it.
 */
function killOnExit(child: ChildProcess): () => void {
  const onExit = () => {
    child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return () => {
    process.off('exit', onExit);
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined, or throws `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** A redis-server of the suite's own, without persistence: what it forgets when stopped is gone. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private disarm: () => void = () => undefined;
  private output: string[] = [];

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${String(this.port)}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts it (again) on its port and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.child) throw new Error('redis is already running');
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.disarm = killOnExit(child);
    readLines(child, (line) => this.output.push(line));
    try {
      await waitFor('redis-server to answer PING', 10_000, async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited:\n${this.output.join('\n')}`);
        return (await this.ping()) ? true : undefined;
      });
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stops it (SIGKILL by default: the crash of the machine it runs on) and waits for its exit. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.disarm();
    await killAndWait(child, signal);
  }

  /** Whether it answers PING now. */
  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      let answer = '';
      socket.setTimeout(1000, () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString();
        if (answer.includes('\r\n')) {
          socket.destroy();
          resolve(answer.startsWith('+PONG'));
        }
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
  }
}

/** One `ramkey serve` process of the cluster, on a fixed port so the load balancer finds it again. */
export class ClusterNode {
  /** Every line every run of this node logged (pino JSON), in order. */
  readonly logs: string[] = [];
  /** Where the current (or last) run's lines begin in `logs`. */
  private runStart = 0;
  private child: ChildProcess | undefined;
  private disarm: () => void = () => undefined;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {}

  /** `127.0.0.1:PORT`, the form the official SDK clients take. */
  get endpoint(): string {
    return `127.0.0.1:${String(this.port)}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** The lines of the current (or last) run only. */
  get runLogs(): string[] {
    return this.logs.slice(this.runStart);
  }

  /** The current run's process ID. */
  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`node ${this.name} is not running`);
    return pid;
  }

  /** Starts the node (again) and waits until it says it is serving and its /readyz says ready. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`node ${this.name} is already running`);
    this.runStart = this.logs.length;
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--data', this.dataDir, '--host', '127.0.0.1', '--port', String(this.port)],
      { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.disarm = killOnExit(child);
    readLines(child, (line) => this.logs.push(line));
    try {
      await waitFor(`node ${this.name} to serve`, 20_000, () => {
        if (child.exitCode !== null) {
          throw new Error(
            `node ${this.name} exited with ${String(child.exitCode)}:\n${this.runLogs.join('\n')}`,
          );
        }
        return Promise.resolve(this.runLogs.some((l) => l.includes('"Ramkey is serving"')) || undefined);
      });
      await this.waitReady(20_000);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** Waits until its /readyz answers 200: the database, Redis and the change bus are all in use. */
  async waitReady(timeoutMs: number): Promise<void> {
    await waitFor(`node ${this.name} to be ready`, timeoutMs, async () => {
      const response = await fetch(`http://${this.endpoint}/readyz`).catch(() => undefined);
      await response?.body?.cancel();
      return response?.status === 200 ? true : undefined;
    });
  }

  /** `kill -9`: no shutdown, no flush; waits until the process is gone. */
  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** A graceful stop (SIGTERM), as an operator's restart does; SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.end('SIGTERM');
    clearTimeout(timer);
  }

  /** Waits until a line of the current run matches, and returns it. */
  waitForLog(pattern: RegExp, timeoutMs: number): Promise<string> {
    return waitFor(`node ${this.name} to log ${String(pattern)}`, timeoutMs, () =>
      Promise.resolve(this.runLogs.find((line) => pattern.test(line))),
    );
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await killAndWait(child, signal);
    this.disarm();
  }
}

export interface Cluster {
  a: ClusterNode;
  b: ClusterNode;
  nodes: ClusterNode[];
  /** nginx: round-robin over both nodes. */
  gateway: RunningNginx;
  redis: PrivateRedis;
  /** What `ramkey init --json` printed: the first account's admin and its AccessKey. */
  admin: InitOutput;
  /** The PostgreSQL schema holding the installation (dropped by stop()). */
  schema: string;
  /** Runs SQL in the installation's schema, to look underneath the nodes or to make a job due. */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Stops nginx, the nodes and Redis, and drops the schema and the data directories. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** More environment for both nodes (shorter job leases, say). */
  env?: Record<string, string>;
}

/** A master key ring of one key, `v1:<base64 of 32 bytes>`, as RAMKEY_MASTER_KEY takes it. */
function newMasterKey(): string {
  return `v1:${randomBytes(32).toString('base64')}`;
}

/** Starts the whole cluster; on any failure what was started is stopped again. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const schema = `ramkey_cluster_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: testDatabaseUrl, max: 2 });
  pool.on('error', () => undefined);
  const cleanups: (() => Promise<void>)[] = [
    () => pool.end(),
    async () => {
      await pool.query(`drop schema if exists ${schema} cascade`);
    },
  ];
  const stop = async () => {
    // Last started, first stopped; every step runs even when one before it failed.
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => errors.push(err));
    cleanups.length = 0;
    if (errors.length > 0) throw new AggregateError(errors, 'cluster cleanup failed');
  };
  try {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop('SIGTERM'));
    const env: Record<string, string> = {
      RAMKEY_DATABASE_URL: testDatabaseUrl,
      // `ramkey init` creates it; every node's connections use it.
      RAMKEY_DATABASE_SCHEMA: schema,
      RAMKEY_MASTER_KEY: newMasterKey(),
      RAMKEY_REDIS_URL: redis.url,
      RAMKEY_REDIS_PREFIX: `${schema}:`,
      RAMKEY_LOG_LEVEL: 'debug',
      ...options.env,
    };

    const initDir = await mkdtemp(join(tmpdir(), 'ramkey-cluster-init-'));
    cleanups.push(() => rm(initDir, { recursive: true, force: true }));
    const init = await runCli(['init', '--json', '--data', initDir], env);
    if (init.code !== 0) throw new Error(`ramkey init failed (${String(init.code)}): ${init.stderr}`);
    const admin = parseInitOutput(init.stdout);

    // Each node gets an empty data directory of its own: everything it needs is in PostgreSQL, Redis
    // and its environment.
    const nodes: ClusterNode[] = [];
    for (const name of ['A', 'B']) {
      const dir = await mkdtemp(join(tmpdir(), `ramkey-cluster-${name}-`));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const node = new ClusterNode(name, await freePort(), dir, env);
      cleanups.push(() => node.stop());
      nodes.push(node);
    }
    await Promise.all(nodes.map((node) => node.start()));
    const gateway = await startLoadBalancer(nodes.map((node) => node.port));
    cleanups.push(() => gateway.stop());
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    return {
      a,
      b,
      nodes,
      gateway,
      redis,
      admin,
      schema,
      async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]) {
        const client = await pool.connect();
        try {
          await client.query(`set search_path to ${schema}`);
          return (await client.query<R>(text, values)).rows;
        } finally {
          client.release(true);
        }
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
