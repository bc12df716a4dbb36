// `ramkey network` as users run it (the built command against a server in this process): simulate,
// set, get, the self-lockout refusal, audit-mode denials, and usage errors with their exit codes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { runCli } from '../support/ramkey-server.js';
import { clients, PopRpcClient, RamModule, type Key } from '../support/sdk.js';
import { describeSqlite } from '../support/test-stores.js';

describeSqlite('ramkey network', () => {
  let app: RunningApp;
  let env: Record<string, string>;
  let appKey: Key;
  const dir = mkdtempSync(join(tmpdir(), 'ramkey-network-'));
  const file = (name: string, status: string, ...ips: string[]) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      JSON.stringify({ Version: 1, Status: status, Statements: [{ Type: 'ClassicWhiteList', IPList: ips }] }),
    );
    return path;
  };
  /** GetCallerIdentity with the app's key from `localAddress`: OK or the error code. */
  const callFrom = async (localAddress: string) => {
    const client = new PopRpcClient({
      accessKeyId: appKey.id,
      accessKeySecret: appKey.secret,
      endpoint: `http://${app.endpoint}`,
      apiVersion: '2015-04-01',
      opts: { agent: new http.Agent({ localAddress }) },
    });
    try {
      await client.request('GetCallerIdentity', {});
      return 'OK';
    } catch (err) {
      return (err as { code: string }).code;
    }
  };
  const cli = (...args: string[]) => runCli(['network', ...args], env);

  beforeAll(async () => {
    app = await startApp();
    env = {
      RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
      RAMKEY_ACCESS_KEY_ID: app.admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: app.admin.accessKeySecret,
      RAMKEY_ENDPOINT: `http://${app.endpoint}`,
    };
    const ram = clients(
      app.endpoint,
      { id: app.admin.accessKeyId, secret: app.admin.accessKeySecret },
      'v3',
    ).ram;
    await ram.createUser(new RamModule.CreateUserRequest({ userName: 'app' }));
    const made = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'app' }));
    appKey = {
      id: made.body?.accessKey?.accessKeyId ?? '',
      secret: made.body?.accessKey?.accessKeySecret ?? '',
    };
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('simulates, sets and shows a key-level policy (the key of a user, looked up), then enforces it', async () => {
    for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.1']) expect(await callFrom(from)).toBe('OK');
    const only2 = file('only2.json', 'Active', '127.0.0.2');

    const simulated = await cli('simulate', '--key', appKey.id, '--policy', only2, '--json');
    expect(simulated.code, simulated.stderr).toBe(0);
    const result = JSON.parse(simulated.stdout) as {
      SourceIpCount: number;
      DeniedSourceIps: { SourceIp: string; CallCount: number }[];
    };
    expect(result.SourceIpCount).toBe(2);
    expect(result.DeniedSourceIps.map((d) => [d.SourceIp, d.CallCount])).toEqual([['127.0.0.1', 2]]);
    const table = await cli('simulate', '--key', appKey.id, '--policy', only2, '--days', '7');
    expect(table.stdout).toContain('would deny 1 of them');
    expect(table.stdout).toMatch(/127\.0\.0\.1\s+2\s/);
    // A dry run changes nothing.
    expect(await callFrom('127.0.0.1')).toBe('OK');

    const set = await cli('set', '--key', appKey.id, '--policy', only2);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('Status:');
    expect(set.stdout).toContain('ClassicWhiteList: 127.0.0.2');
    expect(await callFrom('127.0.0.1')).toBe('InvalidAccessKeyId.AccessPolicyDenied');
    expect(await callFrom('127.0.0.2')).toBe('OK');

    const shown = await cli('get', '--key', appKey.id, '--json');
    expect(JSON.parse(shown.stdout)).toEqual({
      PolicyLevel: 'AccessKey',
      AccessKeyId: appKey.id,
      AccessKeyPolicy: {
        Version: 1,
        Status: 'Active',
        Statements: [{ Type: 'ClassicWhiteList', IPList: ['127.0.0.2'] }],
      },
    });
    const account = await cli('get', '--account');
    expect(account.stdout).toMatch(/Status:\s+Inactive/);
  });

  it('refuses to lock out the key in use unless --accept-self-lockout, exiting 1 with the code', async () => {
    const elsewhere = file('elsewhere.json', 'Active', '10.0.0.0/8');
    const refused = await cli('set', '--account', '--policy', elsewhere);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('AccessKeyPolicy.SelfLockout');
    expect(refused.stderr).toContain('--accept-self-lockout');
    expect((await cli('get', '--account', '--json')).stdout).toContain('"Inactive"');
  });

  it('lists the calls an Audit-mode policy would have denied, and only those', async () => {
    const audit = file('audit.json', 'Audit', '127.0.0.2');
    expect((await cli('set', '--key', appKey.id, '--policy', audit)).code).toBe(0);
    expect(await callFrom('127.0.0.1')).toBe('OK');
    expect(await callFrom('127.0.0.2')).toBe('OK');
    await app.flush();
    const denials = await cli('denials', '--key', appKey.id, '--json');
    expect(denials.code, denials.stderr).toBe(0);
    expect(
      (JSON.parse(denials.stdout) as Record<string, string>[]).map((d) => [
        d.SourceIp,
        d.PolicyLevel,
        d.UserName,
        d.Result,
      ]),
    ).toEqual([['127.0.0.1', 'AccessKey', 'app', 'OK']]);
    const table = await cli('denials');
    expect(table.stdout).toContain('POLICY LEVEL');
    expect(table.stdout).toContain(appKey.id);
  });

  it('exits 2 on wrong usage', async () => {
    expect((await cli('get')).code).toBe(2);
    expect((await cli('get', '--key', appKey.id, '--account')).code).toBe(2);
    expect((await cli('set', '--account', '--policy', join(dir, 'missing.json'))).code).toBe(2);
    expect(
      (await cli('simulate', '--key', appKey.id, '--policy', join(dir, 'audit.json'), '--days', '0')).code,
    ).toBe(2);
    expect((await cli('set', '--key', appKey.id)).code).toBe(2);
  });
});
