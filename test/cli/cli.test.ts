// The `ramkey` command as users run it: exit codes, init, the client commands against a real server,
// and graceful shutdown that keeps last-used data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, type RunningServer } from '../support/ramkey-server.js';

/** No ambient credentials leak into these runs. */
const noProfile = {
  RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
  RAMKEY_ACCESS_KEY_ID: '',
  RAMKEY_ACCESS_KEY_SECRET: '',
};

describe('exit codes and help', () => {
  it('prints help with exit code 0', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('init');
    expect(res.stdout).toContain('Exit codes');
    const keysHelp = await runCli(['keys', 'create', '--help']);
    expect(keysHelp.code).toBe(0);
    expect(keysHelp.stdout).toContain('--user');
  });

  it('exits with 2 on an unknown command and on missing credentials', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const res = await runCli(['whoami'], noProfile);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('RAMKEY_ACCESS_KEY_ID');
  });

  it('exits with 1 when the server cannot be reached', async () => {
    const res = await runCli(['whoami'], {
      ...noProfile,
      RAMKEY_ACCESS_KEY_ID: 'LTAI0000000000000000abcd',
      RAMKEY_ACCESS_KEY_SECRET: 'x',
      RAMKEY_ENDPOINT: 'http://127.0.0.1:1',
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Cannot reach Ramkey');
  });
});

describe('ramkey init and serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ramkey-cli-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('initialises once, printing the credentials as one JSON object, and refuses a second time', async () => {
    const first = await runCli(['init', '--json', '--data', dir]);
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout) as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual(
      ['accessKeyId', 'accessKeySecret', 'accountId', 'loginName', 'password', 'userName'].sort(),
    );
    expect(out.accountId).toMatch(/^\d{16}$/);
    expect(out.accessKeyId).toMatch(/^LTAI/);
    const second = await runCli(['init', '--data', dir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already initialised');
  });

  it('refuses plain HTTP on a non-loopback address unless --insecure-http', async () => {
    const res = await runCli(['serve', '--data', dir, '--host', '0.0.0.0', '--port', '0']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--insecure-http');
  });

  it('refuses to serve a directory that was never initialised', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ramkey-empty-'));
    const res = await runCli(['serve', '--data', empty, '--port', '0']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('ramkey init');
    rmSync(empty, { recursive: true, force: true });
  });
});

describe('client commands against a running server', () => {
  let server: RunningServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startServer();
    env = {
      ...noProfile,
      RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: server.admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: server.admin.accessKeySecret,
    };
  });
  afterAll(async () => {
    await server.stop();
  });

  it('whoami shows the admin user', async () => {
    const res = await runCli(['whoami', '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as Record<string, string>).Arn).toBe(
      `acs:ram::${server.admin.accountId}:user/admin`,
    );
    const human = await runCli(['whoami'], env);
    expect(human.stdout).toMatch(/Identity type:\s+RAMUser/);
  });

  it('manages a user and its keys end to end, with deletion guarded', async () => {
    expect((await runCli(['users', 'create', 'cli-app', '--display-name', 'CLI app'], env)).code).toBe(0);
    const users = await runCli(['users', 'list'], env);
    expect(users.stdout).toMatch(/^USER NAME\s+USER ID/);
    expect(users.stdout).toContain('cli-app');

    const created = await runCli(['keys', 'create', '--user', 'cli-app', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { AccessKeyId: string; AccessKeySecret: string };
    expect(key.AccessKeySecret).toHaveLength(30);

    const asApp = {
      ...env,
      RAMKEY_ACCESS_KEY_ID: key.AccessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: key.AccessKeySecret,
    };
    expect((await runCli(['whoami'], asApp)).stdout).toContain('user/cli-app');

    const listed = await runCli(['keys', 'list', '--user', 'cli-app'], env);
    expect(listed.stdout).toContain(key.AccessKeyId);
    expect(listed.stdout).not.toContain(key.AccessKeySecret);
    expect(listed.stdout).toMatch(/Active/);

    const denied = await runCli(['users', 'create', 'sneaky'], asApp);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('NoPermission');

    const guarded = await runCli(['keys', 'delete', key.AccessKeyId, '--user', 'cli-app'], env);
    expect(guarded.code).toBe(1);
    expect(guarded.stderr).toContain('Disable it first');

    expect((await runCli(['keys', 'disable', key.AccessKeyId, '--user', 'cli-app'], env)).code).toBe(0);
    const refused = await runCli(['whoami'], asApp);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('InvalidAccessKeyId.Inactive');

    // The refused `users create` counts as use of the key (its signature verified); the call with the
    // disabled key does not.
    const lastUsed = await runCli(['keys', 'last-used', key.AccessKeyId, '--user', 'cli-app', '--json'], env);
    expect((JSON.parse(lastUsed.stdout) as Record<string, string>).ServiceName).toBe('Ram');

    expect((await runCli(['keys', 'delete', key.AccessKeyId, '--user', 'cli-app'], env)).code).toBe(0);
    expect((await runCli(['users', 'delete', 'cli-app'], env)).code).toBe(0);
    const gone = await runCli(['users', 'get', 'cli-app'], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('EntityNotExist.User');
  });
});

describe('graceful shutdown', () => {
  it('flushes pending last-used updates on SIGTERM', async () => {
    const first = await startServer();
    const env = {
      ...noProfile,
      RAMKEY_ENDPOINT: `http://${first.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: first.admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: first.admin.accessKeySecret,
    };
    expect((await runCli(['users', 'create', 'flushed'], env)).code).toBe(0);
    const key = JSON.parse((await runCli(['keys', 'create', '--user', 'flushed', '--json'], env)).stdout) as {
      AccessKeyId: string;
      AccessKeySecret: string;
    };
    const asUser = {
      ...env,
      RAMKEY_ACCESS_KEY_ID: key.AccessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: key.AccessKeySecret,
    };
    expect((await runCli(['whoami'], asUser)).code).toBe(0);
    // Stop at once: the coalesced update is still in memory and must be written on the way out.
    expect(await first.stop({ keepData: true })).toBe(0);
    expect(first.logs.some((l) => l.includes('flushing pending writes'))).toBe(true);

    const second = await startServer({ reuse: { dataDir: first.dataDir, admin: first.admin } });
    try {
      const res = await runCli(['keys', 'last-used', key.AccessKeyId, '--user', 'flushed', '--json'], {
        ...env,
        RAMKEY_ENDPOINT: `http://${second.endpoint}`,
      });
      expect(res.code, res.stderr).toBe(0);
      const used = JSON.parse(res.stdout) as Record<string, string>;
      expect(used.ServiceName).toBe('Sts');
      expect(used.LastUsedDate).not.toBe('');
    } finally {
      await second.stop();
    }
  });
});
