// Files the CLI writes where the user says (`audit export --output`, `report credentials --output`):
// written whole or not at all, mode 0600, an existing file untouched on failure, and bad paths told
// in one line with exit code 1, never a stack trace.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { CLI, runCli, spawnWatched } from '../support/ramkey-server.js';
import { clients } from '../support/sdk.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';

type Step = 'forward' | 'break' | 'hold';

/**
 * An HTTP proxy in front of the server that forwards requests, breaks off the connection of the
 * ones `plan` says (the server gone mid-way), or holds them unanswered (a slow server).
 */
async function proxy(targetPort: number, plan: (n: number) => Step) {
  let count = 0;
  let onHeld: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    onHeld = resolve;
  });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    count += 1;
    const step = plan(count);
    if (step === 'break') {
      req.socket.destroy();
      return;
    }
    if (step === 'hold') {
      onHeld();
      return;
    }
    // The Host header is signed: it goes on unchanged, as the client sent it.
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((listening) => server.listen({ host: '127.0.0.1', port: 0 }, listening));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    endpoint: `http://127.0.0.1:${String(address.port)}`,
    /** Resolves once a request is being held. */
    held,
    async close() {
      server.closeAllConnections();
      await new Promise((closed) => server.close(closed));
    },
  };
}

const CLOSED_PORT = 'http://127.0.0.1:1';
function noStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('files written by the CLI', { timeout: 120_000 }, () => {
  let server: RunningApp;
  let temp: TempDir;
  let env: Record<string, string>;
  const envAt = (endpoint: string) => ({ ...env, RAMKEY_ENDPOINT: endpoint });

  beforeAll(async () => {
    server = await startApp();
    temp = await makeTempDir('ramkey-files-');
    const admin = await server.createAccount();
    env = {
      RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
      RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: admin.accessKeySecret,
    };
    // More events than one LookupEvents page (50), so that an export can fail between pages.
    const { sts } = clients(server.endpoint, { id: admin.accessKeyId, secret: admin.accessKeySecret }, 'v3');
    for (let i = 0; i < 60; i += 1) await sts.getCallerIdentity();
    await server.flush();
  });
  afterAll(async () => {
    await server.stop();
    await temp.cleanup();
  });

  /** A fresh directory, to see every file a run leaves in it (temporary ones included). */
  function directory(name: string): string {
    const dir = join(temp.dir, name);
    mkdirSync(dir);
    return dir;
  }

  const EXPORT = ['audit', 'export', '--since', '1h', '--until', '0s', '--output'];
  const REPORT = ['report', 'credentials', '--output'];

  describe.each([
    ['audit export', EXPORT],
    ['report credentials', REPORT],
  ])('%s --output', (_name, command) => {
    it('writes the whole file, readable by its owner only', async () => {
      const dir = directory(`${command[0] ?? ''}-written`);
      const file = join(dir, 'out.txt');
      const res = await runCli([...command, file], env);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toBe('');
      expect(readdirSync(dir)).toEqual(['out.txt']);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const text = readFileSync(file, 'utf8');
      if (command === EXPORT) {
        const lines = text.trimEnd().split('\n');
        expect(lines.length).toBeGreaterThanOrEqual(60);
        expect(res.stderr).toContain(`exported ${String(lines.length)} events`);
        for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
      } else {
        expect(text).toMatch(/^user,user_id,/);
        expect(res.stderr).toContain(`principals) to ${file}.`);
      }
    });

    it('refuses a missing directory, a directory and a path through a file in one line, exit code 1', async () => {
      const dir = directory(`${command[0] ?? ''}-bad-paths`);
      writeFileSync(join(dir, 'plain'), '');
      const cases = [
        [join(dir, 'missing', 'x.jsonl'), `directory ${join(dir, 'missing')} does not exist`],
        [dir, 'it is a directory'],
        [join(dir, 'plain', 'x.jsonl'), `${join(dir, 'plain')} is not a directory`],
      ];
      for (const [path, reason] of cases) {
        // Nothing is asked of the server: a closed port would fail differently.
        const res = await runCli([...command, path ?? ''], envAt(CLOSED_PORT));
        expect([path, res.code, res.stderr]).toEqual([
          path,
          1,
          `Error: Cannot write ${path ?? ''}: ${reason ?? ''}\n`,
        ]);
        noStackTrace(res.stderr);
      }
      expect(readdirSync(dir)).toEqual(['plain']);
    });

    it('leaves no file and an existing one untouched when the server cannot be reached', async () => {
      const dir = directory(`${command[0] ?? ''}-down`);
      const res = await runCli([...command, join(dir, 'new.txt')], envAt(CLOSED_PORT));
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('Cannot reach Ramkey');
      noStackTrace(res.stderr);
      writeFileSync(join(dir, 'old.txt'), 'keep');
      expect((await runCli([...command, join(dir, 'old.txt')], envAt(CLOSED_PORT))).code).toBe(1);
      expect(readdirSync(dir)).toEqual(['old.txt']);
      expect(readFileSync(join(dir, 'old.txt'), 'utf8')).toBe('keep');
    });

    it('leaves no partial file when the server goes away after the first answer', async () => {
      const dir = directory(`${command[0] ?? ''}-midway`);
      writeFileSync(join(dir, 'old.txt'), 'keep');
      // The export's first page (or the report's generation) is answered, then the connection drops.
      const midway = await proxy(server.port, (n) => (n === 1 ? 'forward' : 'break'));
      try {
        const res = await runCli([...command, join(dir, 'new.txt')], envAt(midway.endpoint));
        expect(res.code).toBe(1);
        expect(res.stderr).toContain('Cannot reach Ramkey');
        noStackTrace(res.stderr);
        const again = await runCli([...command, join(dir, 'old.txt')], envAt(midway.endpoint));
        expect(again.code).toBe(1);
      } finally {
        await midway.close();
      }
      expect(readdirSync(dir)).toEqual(['old.txt']);
      expect(readFileSync(join(dir, 'old.txt'), 'utf8')).toBe('keep');
    });

    it('removes its temporary file when interrupted while the server answers', async () => {
      const dir = directory(`${command[0] ?? ''}-interrupted`);
      const slow = await proxy(server.port, () => 'hold');
      try {
        const running = spawnWatched(process.execPath, [CLI, ...command, join(dir, 'new.txt')], {
          env: envAt(slow.endpoint),
        });
        await slow.held;
        // The temporary file exists while the command waits.
        expect(readdirSync(dir)).toEqual([expect.stringMatching(/^\.new\.txt\.[0-9a-f]+\.partial$/)]);
        running.process.kill('SIGINT');
        expect(await running.exited).toBe(130);
      } finally {
        await slow.close();
      }
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  // Root may write anywhere: the command runs as `nobody` (util-linux setpriv) when the test is root.
  const asRoot = process.getuid?.() === 0;
  const canDropPrivileges = asRoot && spawnSync('setpriv', ['--version']).status === 0;
  it.skipIf(asRoot && !canDropPrivileges)(
    'refuses a directory without write permission (as root: needs setpriv)',
    async () => {
      const dir = directory('no-permission');
      chmodSync(temp.dir, 0o755);
      chmodSync(dir, 0o555);
      const path = join(dir, 'x.jsonl');
      const args = [CLI, ...EXPORT, path];
      const running = canDropPrivileges
        ? spawnWatched(
            'setpriv',
            ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args],
            {
              env: envAt(CLOSED_PORT),
            },
          )
        : spawnWatched(process.execPath, args, { env: envAt(CLOSED_PORT) });
      expect(await running.exited).toBe(1);
      expect(running.logs).toEqual([`Error: Cannot write ${path}: no permission to write in ${dir}`]);
      expect(readdirSync(dir)).toEqual([]);
    },
  );
});
