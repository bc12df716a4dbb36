// `ramkey accounts list`: the operator's view of a data directory's accounts, never a secret.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInitOutput, runCli } from '../support/ramkey-server.js';

describe('ramkey accounts list', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ramkey-accounts-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists each account with its users, live keys and root key, and none of their secrets', async () => {
    const init = await runCli(['init', '--json', '--root-access-key', '--data', dir]);
    expect(init.code, init.stderr).toBe(0);
    const first = parseInitOutput(init.stdout);
    const created = await runCli(['accounts', 'create', '--json', '--data', dir]);
    expect(created.code, created.stderr).toBe(0);
    const second = parseInitOutput(created.stdout);

    const json = await runCli(['accounts', 'list', '--json', '--data', dir]);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows).toEqual([
      {
        AccountId: first.accountId,
        LoginName: first.loginName,
        CreateDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown,
        Users: 1,
        LiveAccessKeys: 2,
        HasRootAccessKey: true,
      },
      {
        AccountId: second.accountId,
        LoginName: second.loginName,
        CreateDate: expect.any(String) as unknown,
        Users: 1,
        LiveAccessKeys: 1,
        HasRootAccessKey: false,
      },
    ]);

    const table = await runCli(['accounts', 'list', '--data', dir]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ACCOUNT ID\s+LOGIN NAME\s+CREATED\s+USERS\s+LIVE KEYS\s+ROOT KEY$/);
    expect(lines[1]).toMatch(new RegExp(`^${first.accountId}\\s+\\S+\\s+\\S+\\s+1\\s+2\\s+yes$`));
    expect(lines[2]).toMatch(new RegExp(`^${second.accountId}\\s+\\S+\\s+\\S+\\s+1\\s+1\\s+no$`));
    for (const secret of [
      first.password,
      first.accessKeySecret,
      first.rootAccessKeySecret,
      second.password,
    ]) {
      expect(secret).toBeTruthy();
      expect(json.stdout + table.stdout).not.toContain(secret);
    }
  });

  it('refuses a directory without an installation', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ramkey-accounts-empty-'));
    const res = await runCli(['accounts', 'list', '--data', empty]);
    rmSync(empty, { recursive: true, force: true });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('ramkey init');
  });
});
