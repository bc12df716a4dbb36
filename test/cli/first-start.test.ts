// The first `ramkey start` as users run it: the new secrets on the terminal when there is one and
// otherwise in a file of mode 0600 (never in the logs), the real endpoint in the banner, a busy port
// refused before anything is initialised, and `npm start` stopped cleanly by SIGTERM and SIGINT.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, spawnWatched, type WatchedProcess } from '../support/ramkey-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** No ambient credentials leak into these runs. */
const cleanEnv = {
  RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
  RAMKEY_ACCESS_KEY_ID: '',
  RAMKEY_ACCESS_KEY_SECRET: '',
};

const SERVING = /"endpoint":"(127\.0\.0\.1:(\d+))".*"msg":"Ramkey is serving"/;

/** A field of the credentials object (the one `ramkey init --json` prints), whatever its case. */
function field(credentials: Record<string, string>, name: string): string {
  const key = Object.keys(credentials).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) throw new Error(`no ${name} in ${Object.keys(credentials).join(', ')}`);
  return credentials[key] ?? '';
}

/** Listens on a free port of 127.0.0.1 until closed. */
async function occupyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen({ host: '127.0.0.1', port: 0 }, listening));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { server, port: address.port };
}

/** A port that was free a moment ago (to ask for a fixed, non-default one). */
async function freePort(): Promise<number> {
  const { server, port } = await occupyPort();
  await new Promise((closed) => server.close(closed));
  return port;
}

/** Whether something accepts connections on the port. */
function isListening(port: number): Promise<boolean> {
  return new Promise((answer) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      answer(true);
    });
    socket.once('error', () => {
      answer(false);
    });
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid pino writes on each line of the server's log. */
async function serverPid(server: WatchedProcess): Promise<number> {
  return Number((await server.waitFor(/"pid":(\d+)/))[1]);
}

async function whoami(credentials: Record<string, string>, endpoint: string) {
  return runCli(['whoami', '--json'], {
    ...cleanEnv,
    RAMKEY_ENDPOINT: endpoint,
    RAMKEY_ACCESS_KEY_ID: field(credentials, 'accessKeyId'),
    RAMKEY_ACCESS_KEY_SECRET: field(credentials, 'accessKeySecret'),
  });
}

describe('the first start without a terminal', () => {
  let temp: TempDir;
  beforeAll(async () => {
    temp = await makeTempDir('ramkey-first-start-');
  });
  afterAll(async () => {
    await temp.cleanup();
  });

  // Security: a process manager keeps standard output in its logs, so the secrets must not be there.
  it('writes the credentials to a file of mode 0600 named in the log, never to the output, and serves on the chosen port', async () => {
    const dir = join(temp.dir, 'piped');
    const port = await freePort();
    const server = spawnWatched(process.execPath, [CLI, 'start', '--data', dir, '--port', String(port)], {
      env: cleanEnv,
    });
    try {
      const [, endpoint, servedPort] = await server.waitFor(SERVING);
      expect(endpoint).toBe(`127.0.0.1:${String(port)}`);
      expect(servedPort).toBe(String(port));

      const file = join(dir, 'initial-credentials.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const credentials = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
      for (const secret of [field(credentials, 'accessKeySecret'), field(credentials, 'password')]) {
        expect(secret.length).toBeGreaterThan(10);
        expect(server.logs.filter((line) => line.includes(secret))).toEqual([]);
      }
      expect(server.logs.some((line) => line.includes(`"credentialsFile":"${file}"`))).toBe(true);

      const me = await whoami(credentials, `http://${endpoint ?? ''}`);
      expect(me.code, me.stderr).toBe(0);
      expect(me.stdout).toContain(field(credentials, 'accountId'));
    } finally {
      server.process.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
    // A second start serves the same installation and writes no new credentials anywhere.
    const again = spawnWatched(process.execPath, [CLI, 'start', '--data', dir, '--port', '0'], {
      env: cleanEnv,
    });
    try {
      await again.waitFor(SERVING);
      expect(again.logs.some((line) => line.includes('credentialsFile'))).toBe(false);
    } finally {
      again.process.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    }
  });

  it('writes them to --credentials-file when given, and refuses a file that exists before initialising', async () => {
    const dir = join(temp.dir, 'forced');
    const existing = join(temp.dir, 'existing.json');
    writeFileSync(existing, 'keep');
    const refused = await runCli(
      ['start', '--data', dir, '--port', '0', '--credentials-file', existing],
      cleanEnv,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`Error: Cannot write ${existing}: it already exists\n`);
    expect(readFileSync(existing, 'utf8')).toBe('keep');
    expect(existsSync(dir)).toBe(false);

    const file = join(temp.dir, 'forced-credentials.json');
    const server = spawnWatched(
      process.execPath,
      [CLI, 'start', '--data', dir, '--port', '0', '--credentials-file', file],
      { env: cleanEnv },
    );
    try {
      const [, endpoint] = await server.waitFor(SERVING);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(existsSync(join(dir, 'initial-credentials.json'))).toBe(false);
      const credentials = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
      expect(server.logs.filter((line) => line.includes(field(credentials, 'accessKeySecret')))).toEqual([]);
      expect((await whoami(credentials, `http://${endpoint ?? ''}`)).code).toBe(0);
    } finally {
      server.process.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });

  it('refuses a busy port with a hint to use --port, before creating the installation or any secret', async () => {
    const { server, port } = await occupyPort();
    try {
      const dir = join(temp.dir, 'busy');
      const res = await runCli(['start', '--data', dir, '--port', String(port)], cleanEnv);
      expect(res.code).toBe(1);
      expect(res.stderr).toBe(
        `Error: Port ${String(port)} on 127.0.0.1 is already in use (another Ramkey, or another program): ` +
          'stop it, or choose another port with --port (or RAMKEY_PORT).\n',
      );
      expect(res.stdout).toBe('');
      expect(existsSync(dir)).toBe(false);

      // An installation that exists is refused the same way by `serve`.
      const ready = join(temp.dir, 'ready');
      expect((await runCli(['init', '--json', '--data', ready], cleanEnv)).code).toBe(0);
      const serve = await runCli(['serve', '--data', ready, '--port', String(port)], cleanEnv);
      expect(serve.code).toBe(1);
      expect(serve.stderr).toContain('choose another port with --port');
    } finally {
      server.close();
    }
  });
});

// util-linux `script` runs the command on a pseudo-terminal, as a person starting Ramkey by hand.
const hasScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!hasScript)('the first start on a terminal (needs util-linux script)', () => {
  let temp: TempDir;
  beforeAll(async () => {
    temp = await makeTempDir('ramkey-first-start-tty-');
  });
  afterAll(async () => {
    await temp.cleanup();
  });

  it('shows the credentials and the real endpoint on the terminal, and writes no file', async () => {
    const dir = join(temp.dir, 'tty');
    const terminal = spawnWatched(
      'script',
      ['-qec', `'${process.execPath}' '${CLI}' start --data '${dir}' --port 0`, '/dev/null'],
      { env: cleanEnv },
    );
    const pid = await serverPid(terminal);
    try {
      const [, hostPort] = await terminal.waitFor(/export RAMKEY_ENDPOINT=http:\/\/(127\.0\.0\.1:\d+)/);
      const shown = (label: string) =>
        terminal.waitFor(new RegExp(`^${label}:\\s+(\\S+)`)).then((match) => match[1] ?? '');
      const credentials = {
        accountId: await shown('Account ID'),
        accessKeyId: await shown('AccessKeyId'),
        accessKeySecret: await shown('AccessKeySecret'),
      };
      expect(credentials.accessKeySecret.length).toBeGreaterThan(10);
      expect(terminal.logs).toContainEqual(
        expect.stringMatching(`RAMKEY_ACCESS_KEY_ID=${credentials.accessKeyId}\\s*$`),
      );
      expect(existsSync(join(dir, 'initial-credentials.json'))).toBe(false);
      const me = await whoami(credentials, `http://${hostPort ?? ''}`);
      expect(me.code, me.stderr).toBe(0);
      expect(me.stdout).toContain(credentials.accountId);
    } finally {
      process.kill(pid, 'SIGTERM');
      expect(await terminal.exited).toBe(0);
    }
  });
});

// `npm start` runs the start script through a shell; a signal to npm must stop the server, not
// leave it running without its parent. The first run is the real one (prestart builds), in a copy of
// the project so that the build does not rewrite the dist/ other tests run.
describe('npm start', () => {
  let temp: TempDir;
  beforeAll(async () => {
    temp = await makeTempDir('ramkey-npm-start-');
    const project = join(temp.dir, 'project');
    mkdirSync(project);
    for (const name of [
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'tsconfig.client.json',
      'src',
      'console',
    ]) {
      cpSync(join(ROOT, name), join(project, name), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  });
  /** Servers started, none of which a failed run may leave running. */
  const started: number[] = [];
  afterAll(async () => {
    for (const pid of started) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    await temp.cleanup();
  });

  for (const [signal, args] of [
    ['SIGTERM', ['start']],
    // dist/ is built by the first run (prestart); the start script itself is the same.
    ['SIGINT', ['start', '--ignore-scripts']],
  ] as const) {
    // The first run builds the project (tsc, twice, and the console with Vite) before it starts.
    it(
      `stops the server when npm gets ${signal}`,
      { timeout: signal === 'SIGTERM' ? 300_000 : 60_000 },
      async () => {
        const npm = spawnWatched('npm', [...args, '--', '--port', '0'], {
          cwd: join(temp.dir, 'project'),
          env: { ...cleanEnv, RAMKEY_DATA: join(temp.dir, 'data') },
        });
        const [, , port] = await npm.waitFor(SERVING);
        // RAMKEY_DATA chose the data directory, where the first start left the credentials.
        expect(existsSync(join(temp.dir, 'data', 'initial-credentials.json'))).toBe(true);
        const pid = await serverPid(npm);
        started.push(pid);
        expect(pid).not.toBe(npm.process.pid);
        npm.process.kill(signal);
        await npm.exited;
        expect(npm.logs).toContainEqual(expect.stringContaining(`"signal":"${signal}"`));
        expect(npm.logs).toContainEqual(expect.stringContaining('"msg":"stopped"'));
        expect(isRunning(pid)).toBe(false);
        expect(await isListening(Number(port))).toBe(false);
      },
    );
  }
});
