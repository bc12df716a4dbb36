// The `ramkey` command's deletion safety: `keys delete` (refusing an Active key unless --force, always
// showing its last use), `keys recycle-bin` and `users recycle-bin` (list, restore, purge with a typed
// confirmation unless --yes), and `report idle-keys`; against a server in this process, each test in
// an account of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { runCli } from '../support/ramkey-server.js';

const noProfile = {
  RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
  RAMKEY_ACCESS_KEY_ID: '',
  RAMKEY_ACCESS_KEY_SECRET: '',
};

type Json = Record<string, unknown>;

// One command at a time: each spawns a Node process, and these tests run many.
describe('recycle bin and idle-key commands', { timeout: 120_000 }, () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp();
  });
  afterAll(async () => {
    await server.stop();
  });

  async function account() {
    const admin = await server.createAccount();
    return {
      admin,
      env: {
        ...noProfile,
        RAMKEY_ENDPOINT: `http://${server.endpoint}`,
        RAMKEY_ACCESS_KEY_ID: admin.accessKeyId,
        RAMKEY_ACCESS_KEY_SECRET: admin.accessKeySecret,
      },
    };
  }

  /** A user with a key that has been used once (so it has a last use to show). */
  async function usedKey(env: Record<string, string>, userName: string) {
    expect((await runCli(['users', 'create', userName], env)).code).toBe(0);
    const created = await runCli(['keys', 'create', '--user', userName, '--json'], env);
    const key = JSON.parse(created.stdout) as { AccessKeyId: string; AccessKeySecret: string };
    const asKey = {
      ...env,
      RAMKEY_ACCESS_KEY_ID: key.AccessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: key.AccessKeySecret,
    };
    expect((await runCli(['whoami'], asKey)).code).toBe(0);
    await server.flush();
    return { id: key.AccessKeyId, asKey };
  }

  it('refuses to delete an Active key unless --force, always showing its last use; a deleted key can be restored, Inactive', async () => {
    const { env } = await account();
    const { id, asKey } = await usedKey(env, 'cli-del');

    const refused = await runCli(['keys', 'delete', id, '--user', 'cli-del'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `${id} is Active \\(last used: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\(Sts, from 127\\.0\\.0\\.1\\)\\)`,
      ),
    );
    expect(refused.stderr).toContain('Disable it first');
    expect((await runCli(['whoami'], asKey)).code).toBe(0);

    expect((await runCli(['keys', 'disable', id, '--user', 'cli-del'], env)).code).toBe(0);
    const deleted = await runCli(['keys', 'delete', id, '--user', 'cli-del'], env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(new RegExp(`${id} was last used: \\S+Z \\(Sts, from 127\\.0\\.0\\.1\\)`));
    expect(deleted.stdout).toMatch(
      /Moved \S+ to the recycle bin\. Until \d{4}-\d\d-\d\dT\S+Z, "ramkey keys recycle-bin restore/,
    );
    expect((await runCli(['whoami'], asKey)).stderr).toContain('InvalidAccessKeyId.NotFound');

    const listed = await runCli(['keys', 'recycle-bin', 'list', '--user', 'cli-del'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^ACCESS KEY ID\s+CREATED\s+DELETED\s+PURGED ON/);
    expect(listed.stdout).toContain(id);

    const restored = await runCli(['keys', 'recycle-bin', 'restore', id], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(
      `Restored ${id} (Inactive). Enable it when ready: "ramkey keys enable ${id} --user cli-del"`,
    );
    expect((await runCli(['keys', 'list', '--user', 'cli-del'], env)).stdout).toMatch(
      new RegExp(`${id}\\s+Inactive`),
    );
    expect((await runCli(['keys', 'recycle-bin', 'list', '--user', 'cli-del'], env)).stdout).toBe('(none)\n');

    // --force deletes an Active key, still showing its last use, here as JSON.
    expect((await runCli(['keys', 'enable', id, '--user', 'cli-del'], env)).code).toBe(0);
    const forced = await runCli(['keys', 'delete', id, '--user', 'cli-del', '--force', '--json'], env);
    expect(forced.code, forced.stderr).toBe(0);
    const out = JSON.parse(forced.stdout) as Json;
    expect(out.AccessKeyId).toBe(id);
    expect(out.DeleteDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(out).toMatchObject({ LastUsedServiceName: 'Sts', LastUsedSourceIp: '127.0.0.1' });
  });

  it('purges a deleted key only once its ID is typed (or with --yes)', async () => {
    const { env } = await account();
    const { id } = await usedKey(env, 'cli-purge');
    expect((await runCli(['keys', 'delete', id, '--user', 'cli-purge', '--force'], env)).code).toBe(0);

    const wrong = await runCli(['keys', 'recycle-bin', 'purge', id], env, 'LTAIsomethingelse\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`Type the AccessKey ID (${id}) to purge it for good`);
    expect(wrong.stderr).toContain('Not confirmed');
    const silent = await runCli(['keys', 'recycle-bin', 'purge', id], env);
    expect(silent.code).toBe(1);
    expect((await runCli(['keys', 'recycle-bin', 'list', '--user', 'cli-purge'], env)).stdout).toContain(id);

    const typed = await runCli(['keys', 'recycle-bin', 'purge', id], env, `${id}\n`);
    expect(typed.code, typed.stderr).toBe(0);
    expect(typed.stdout).toBe(`Purged ${id} for good.\n`);
    expect((await runCli(['keys', 'recycle-bin', 'list', '--user', 'cli-purge'], env)).stdout).toBe(
      '(none)\n',
    );
    const again = await runCli(['keys', 'recycle-bin', 'restore', id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('EntityNotExist.User.AccessKey');
    expect((await runCli(['keys', 'owner', id], env)).stdout).toMatch(/Status:\s+Active \(deleted\)/);

    const other = (await runCli(['keys', 'create', '--user', 'cli-purge', '--json'], env)).stdout;
    const otherId = (JSON.parse(other) as { AccessKeyId: string }).AccessKeyId;
    expect((await runCli(['keys', 'delete', otherId, '--user', 'cli-purge', '--force'], env)).code).toBe(0);
    const scripted = await runCli(['keys', 'recycle-bin', 'purge', otherId, '--yes', '--json'], env);
    expect(scripted.code, scripted.stderr).toBe(0);
    expect(JSON.parse(scripted.stdout)).toEqual({ AccessKeyId: otherId, Purged: true });
  });

  it('moves a deleted user with its keys to the bin, restores it with them, and purges it once its name is typed', async () => {
    const { env } = await account();
    const { id, asKey } = await usedKey(env, 'cli-leaver');
    const deleted = await runCli(['users', 'delete', 'cli-leaver'], env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(
      /Moved user cli-leaver and its AccessKeys to the recycle bin\. Until \S+Z/,
    );
    expect((await runCli(['whoami'], asKey)).stderr).toContain('InvalidAccessKeyId.NotFound');

    const listed = await runCli(['users', 'recycle-bin', 'list'], env);
    expect(listed.stdout).toMatch(
      /^USER NAME\s+USER ID\s+DELETED\s+PURGED ON\ncli-leaver\s+\d{16}\s+\S+Z\s+\S+Z\n$/,
    );
    // Its key can only come back with it.
    const keyAlone = await runCli(['keys', 'recycle-bin', 'restore', id], env);
    expect(keyAlone.code).toBe(1);
    expect(keyAlone.stderr).toContain('"ramkey users recycle-bin restore cli-leaver"');
    expect((await runCli(['keys', 'recycle-bin', 'list', '--user', 'cli-leaver'], env)).stdout).toContain(id);

    const restored = await runCli(['users', 'recycle-bin', 'restore', 'cli-leaver'], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Restored user cli-leaver with its AccessKeys, Inactive: ${id}.`);
    expect((await runCli(['users', 'get', 'cli-leaver'], env)).code).toBe(0);
    expect((await runCli(['whoami'], asKey)).stderr).toContain('InvalidAccessKeyId.Inactive');

    expect((await runCli(['users', 'delete', 'cli-leaver'], env)).code).toBe(0);
    const wrong = await runCli(['users', 'recycle-bin', 'purge', 'cli-leaver'], env, 'cli-leaverX\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('purging it also purges 1 AccessKey(s) in the bin');
    const purged = await runCli(['users', 'recycle-bin', 'purge', 'cli-leaver'], env, 'cli-leaver\n');
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toBe('Purged user cli-leaver and its AccessKeys for good.\n');
    expect((await runCli(['users', 'recycle-bin', 'list'], env)).stdout).toBe('(none)\n');
    expect((await runCli(['keys', 'owner', id], env)).stdout).toMatch(/\(deleted\)/);
    // Its name is free again.
    expect((await runCli(['users', 'create', 'cli-leaver'], env)).code).toBe(0);
  });

  it('lists the Active keys MaxIdleDaysForAccessKeys would disable, with when', async () => {
    const { admin, env } = await account();
    const { id } = await usedKey(env, 'cli-idle');
    const all = await runCli(['report', 'idle-keys', '--days', '0', '--json'], env);
    expect(all.code, all.stderr).toBe(0);
    const rows = JSON.parse(all.stdout) as Json[];
    expect(rows.map((r) => r.AccessKeyId).sort()).toEqual([admin.accessKeyId, id].sort());
    const row = rows.find((r) => r.AccessKeyId === id) ?? {};
    expect(row).toMatchObject({ User: 'cli-idle', IdleDays: 0 });
    // 730 days (the default) after its last use.
    expect(Date.parse(String(row.DisableDate)) - Date.parse(String(row.LastUsedDate))).toBe(730 * 86_400_000);

    const none = await runCli(['report', 'idle-keys', '--days', '1'], env);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(
      /^Active AccessKeys unused for 1 days or more, as of \S+Z \(MaxIdleDaysForAccessKeys: 730;/,
    );
    expect(none.stdout).toContain('(none)');
    const byDefault = await runCli(['report', 'idle-keys'], env);
    expect(byDefault.stdout).toContain('unused for 730 days or more');
    const bad = await runCli(['report', 'idle-keys', '--days', 'many'], env);
    expect(bad.code).toBe(2);
  });

  it('documents the commands and the typed confirmation', async () => {
    const keysBin = await runCli(['keys', 'recycle-bin', '--help']);
    for (const sub of ['list', 'restore', 'purge']) expect(keysBin.stdout).toContain(sub);
    expect((await runCli(['keys', 'recycle-bin', 'purge', '--help'])).stdout).toContain(
      'the AccessKey ID must be typed',
    );
    expect((await runCli(['users', 'recycle-bin', 'purge', '--help'])).stdout).toContain(
      'the user name must be typed',
    );
    expect((await runCli(['keys', 'delete', '--help'])).stdout).toContain('--force');
    expect((await runCli(['report', 'idle-keys', '--help'])).stdout).toContain('--days');
  });
});
