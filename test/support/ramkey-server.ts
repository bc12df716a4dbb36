// Starts the real `ramkey` command (built into dist/) on a free port in a fresh data directory, as
// a user would, and returns the credentials `ramkey init --json` printed. For the end-to-end tests
// that prove the packaging; API suites run the app in process (in-process-server.ts).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase } from './test-stores.js';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

const execFileAsync = promisify(execFile);

export interface InitOutput {
  accountId: string;
  loginName: string;
  password: string;
  accessKeyId: string;
  accessKeySecret: string;
  rootAccessKeyId?: string;
  rootAccessKeySecret?: string;
}

/** The credentials of `ramkey init --json` (or `accounts create --json`), printed in PascalCase. */
export function parseInitOutput(stdout: string): InitOutput {
  const out = JSON.parse(stdout) as Record<string, string | undefined>;
  const field = (name: string) => {
    const value = out[name];
    if (value === undefined) throw new Error(`ramkey init --json printed no ${name}: ${stdout}`);
    return value;
  };
  return {
    accountId: field('AccountId'),
    loginName: field('LoginName'),
    password: field('Password'),
    accessKeyId: field('AccessKeyId'),
    accessKeySecret: field('AccessKeySecret'),
    ...(out.RootAccessKeyId !== undefined && { rootAccessKeyId: out.RootAccessKeyId }),
    ...(out.RootAccessKeySecret !== undefined && { rootAccessKeySecret: out.RootAccessKeySecret }),
  };
}

export interface RunningServer {
  /** `127.0.0.1:PORT`, the form the official SDK clients take. */
  endpoint: string;
  port: number;
  dataDir: string;
  /** The environment it serves with (RAMKEY_DATABASE_URL on PostgreSQL): pass it to operator commands. */
  env: Record<string, string>;
  admin: InitOutput;
  /** Every line the server wrote to stdout and stderr so far (its logs). */
  logs: string[];
  process: ChildProcess;
  /** Sends SIGTERM and waits for a graceful exit; returns the exit code. */
  stop(options?: { keepData?: boolean }): Promise<number | null>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Where the server keeps its state: SQLite in the data directory (default), or PostgreSQL. */
  engine?: 'sqlite' | 'postgres';
  /** Serve an existing data directory (from an earlier server) instead of initialising a new one. */
  reuse?: { dataDir: string; admin: InitOutput };
}

export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  /** What the command reads on standard input (a typed confirmation); none by default (closed at once). */
  input = '',
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const running = execFileAsync(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
    });
    running.child.stdin?.end(input);
    const { stdout, stderr } = await running;
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.code ?? -1 };
  }
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const database = options.engine === 'postgres' ? await createTestDatabase() : undefined;
  const env: Record<string, string> = {
    RAMKEY_LOG_LEVEL: 'debug',
    ...(database && { RAMKEY_DATABASE_URL: database.url }),
    ...options.env,
  };
  // Without Redis, `ramkey serve` on PostgreSQL must be told it is alone. Suites that start several
  // servers on one database without Redis test what needs no change bus (the background jobs' lease).
  if (env.RAMKEY_DATABASE_URL && !env.RAMKEY_REDIS_URL && !('RAMKEY_SINGLE_NODE' in env)) {
    env.RAMKEY_SINGLE_NODE = '1';
  }
  let dataDir: string;
  let admin: InitOutput;
  if (options.reuse) {
    ({ dataDir, admin } = options.reuse);
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'ramkey-test-'));
    const init = await runCli(['init', '--json', '--root-access-key', '--data', dataDir], env);
    if (init.code !== 0) throw new Error(`ramkey init failed (${init.code}): ${init.stderr}`);
    admin = parseInitOutput(init.stdout);
  }

  const watched = spawnWatched(
    process.execPath,
    [CLI, 'serve', '--data', dataDir, '--port', '0', '--host', '127.0.0.1'],
    { env },
  );
  // `"address":"http://..."` in JSON lines, `address: "http://..."` with RAMKEY_LOG_FORMAT=pretty.
  const port = Number((await watched.waitFor(/address"?: ?"https?:\/\/127\.0\.0\.1:(\d+)"/))[1]);
  const child = watched.process;
  const { logs, exited } = watched;
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    dataDir,
    env,
    admin,
    logs,
    process: child,
    async stop(stopOptions = {}) {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (!stopOptions.keepData) {
        rmSync(dataDir, { recursive: true, force: true });
        await database?.drop();
      }
      return code;
    },
  };
}

export interface WatchedProcess {
  process: ChildProcess;
  /** Every line it wrote to stdout and stderr so far. */
  logs: string[];
  /** The first line matching `pattern` (written already or to come); rejects if it exits first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/** Spawns a long-running command (a server) whose output lines are kept and can be waited for. */
export function spawnWatched(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): WatchedProcess {
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const waiters = new Set<{ pattern: RegExp; found(match: RegExpExecArray): void }>();
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      logs.push(line);
      for (const waiter of waiters) {
        const match = waiter.pattern.exec(line);
        if (match) {
          waiters.delete(waiter);
          waiter.found(match);
        }
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  return {
    process: child,
    logs,
    exited,
    waitFor(pattern) {
      for (const line of logs) {
        const match = pattern.exec(line);
        if (match) return Promise.resolve(match);
      }
      return new Promise((resolve, reject) => {
        waiters.add({ pattern, found: resolve });
        void exited.then((code) => {
          reject(new Error(`${command} exited with ${String(code)}:\n${logs.join('\n')}`));
        });
      });
    },
  };
}
