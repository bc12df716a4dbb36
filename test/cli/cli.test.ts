// The `ramkey` command as users run it: exit codes, init, the client commands (against a server in
// this process, each test in an account of its own), and graceful shutdown of a spawned `ramkey serve`
// that keeps last-used data.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { runCli, startServer } from '../support/ramkey-server.js';

/** No ambient credentials leak into these runs. */
const noProfile = {
  HOME: '/nonexistent',
  RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
  RAMKEY_ACCESS_KEY_ID: '',
  RAMKEY_ACCESS_KEY_SECRET: '',
  RAMKEY_PROFILE: '',
  ALIBABA_CLOUD_ACCESS_KEY_ID: '',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: '',
  ALIBABA_CLOUD_PROFILE: '',
  ALIBABA_CLOUD_CREDENTIALS_FILE: '',
};

describe.concurrent('exit codes and help', () => {
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
      ['AccessKeyId', 'AccessKeySecret', 'AccountId', 'LoginName', 'Password', 'UserName'].sort(),
    );
    expect(out.AccountId).toMatch(/^\d{16}$/);
    expect(out.AccessKeyId).toMatch(/^LTAI/);
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

// Each test has an account of its own, so they run side by side: the CLI processes overlap. Each test
// spawns a dozen CLI processes; on a loaded 2-core CI machine that can take over the default 30 s.
describe.concurrent('client commands against a running server', { timeout: 120_000 }, () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** A fresh account, and the environment that makes the CLI its admin. */
  async function account() {
    const admin = await server.createAccount();
    const env = {
      ...noProfile,
      RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: admin.accessKeySecret,
    };
    return { admin, env };
  }

  it('whoami shows the admin user', async () => {
    const { admin, env } = await account();
    const res = await runCli(['whoami', '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as Record<string, string>).Arn).toBe(
      `acs:ram::${admin.accountId}:user/admin`,
    );
    const human = await runCli(['whoami'], env);
    expect(human.stdout).toMatch(/Identity type:\s+RAMUser/);
  });

  it('manages a user and its keys end to end, with deletion guarded', async () => {
    const { env } = await account();
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

    // Refused calls count as use of the key once their signature verifies: the refused `users create`
    // did, and so did the `whoami` with the disabled key, the last one (whoever sent it holds the secret).
    const lastUsed = await runCli(['keys', 'last-used', key.AccessKeyId, '--user', 'cli-app', '--json'], env);
    expect(JSON.parse(lastUsed.stdout) as Record<string, string>).toMatchObject({
      AccessKeyId: key.AccessKeyId,
      LastUsedServiceName: 'Sts',
      LastUsedSourceIp: '127.0.0.1',
    });
    // Without --user the owner is looked up.
    const lookedUp = await runCli(['keys', 'last-used', key.AccessKeyId, '--json'], env);
    expect((JSON.parse(lookedUp.stdout) as Record<string, string>).LastUsedServiceName).toBe('Sts');

    expect((await runCli(['keys', 'delete', key.AccessKeyId, '--user', 'cli-app'], env)).code).toBe(0);
    expect((await runCli(['users', 'delete', 'cli-app'], env)).code).toBe(0);
    const gone = await runCli(['users', 'get', 'cli-app'], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('EntityNotExist.User');
  });

  it('prints the credential report as CSV, a table, JSON rows or into a file', async () => {
    const { admin, env } = await account();
    expect((await runCli(['users', 'create', 'cli-keyless'], env)).code).toBe(0);
    const adminKey = admin.accessKeyId;

    const csv = await runCli(['report', 'credentials'], env);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.split('\r\n');
    expect(lines[0]).toMatch(/^user,user_id,user_principal_name,user_creation_time,access_key_1_id,/);
    expect(lines.map((l) => l.split(',')[0])).toEqual(['user', '<root>', 'admin', 'cli-keyless', '']);
    expect(csv.stdout).toContain(adminKey);
    expect(csv.stdout).not.toContain(admin.accessKeySecret);

    const json = await runCli(['report', 'credentials', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows.map((r) => r.User)).toEqual(['<root>', 'admin', 'cli-keyless']);
    // The report's own generation is the admin key's latest use, through IMS; ages are numbers.
    expect(rows[1]).toMatchObject({
      UserPrincipalName: `admin@${admin.accountId}.onaliyun.com`,
      AccessKeys: [
        {
          AccessKeyId: adminKey,
          Status: 'Active',
          AgeDays: 0,
          LastUsedServiceName: 'Ims',
          LastUsedSourceIp: '127.0.0.1',
          LeakRestricted: false,
        },
      ],
    });
    expect(rows[2]).toMatchObject({ User: 'cli-keyless', AccessKeys: [] });

    const table = await runCli(['report', 'credentials', '--format', 'table'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^Credential report generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n/);
    expect(table.stdout).toMatch(/USER\s+USER CREATED\s+ACCESS KEY ID\s+STATUS\s+AGE \(DAYS\)\s+LAST USED/);
    expect(table.stdout).toMatch(
      new RegExp(`admin\\s+\\S+\\s+${adminKey}\\s+Active\\s+0\\s+\\S+Z\\s+Ims\\s+127\\.0\\.0\\.1`),
    );
    expect(table.stdout).toMatch(/cli-keyless\s+\S+\s+\(no AccessKey\)/);

    const dir = mkdtempSync(join(tmpdir(), 'ramkey-report-'));
    try {
      const file = join(dir, 'report.csv');
      const written = await runCli(['report', 'credentials', '--output', file], env);
      expect(written.code, written.stderr).toBe(0);
      expect(written.stdout).toBe('');
      expect(written.stderr).toContain(`(3 principals) to ${file}`);
      expect(readFileSync(file, 'utf8').split('\r\n')[0]).toBe(lines[0]);
      const unwritable = await runCli(
        ['report', 'credentials', '--output', join(dir, 'no', 'such.csv')],
        env,
      );
      expect(unwritable.code).toBe(1);
      expect(unwritable.stderr).toContain('Cannot write');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const badFormat = await runCli(['report', 'credentials', '--format', 'xml'], env);
    expect(badFormat.code).toBe(2);
    const help = await runCli(['report', 'credentials', '--help']);
    expect(help.code).toBe(0);
    for (const text of ['--format', '--output', '--json']) expect(help.stdout).toContain(text);
    expect((await runCli(['users', 'delete', 'cli-keyless'], env)).code).toBe(0);
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
      expect(used.LastUsedServiceName).toBe('Sts');
      // The read event of that call, pending in memory too, was written on the way out as well.
      const events = await runCli(['audit', 'events', '--key', key.AccessKeyId, '--json'], {
        ...env,
        RAMKEY_ENDPOINT: `http://${second.endpoint}`,
      });
      expect((JSON.parse(events.stdout) as { eventName: string }[]).map((e) => e.eventName)).toEqual([
        'GetCallerIdentity',
      ]);
      expect(used.LastUsedDate).not.toBe('');
    } finally {
      await second.stop();
    }
  });
});
