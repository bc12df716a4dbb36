// Network access restriction policies through the official SDKs and over real sockets from several
// source addresses (127.0.0.1, 127.0.0.2, 127.0.0.3, ::1, and a trusted proxy's X-Forwarded-For):
// key and account level, fallback, IPv6, the self-lockout guard, the dry run and audit mode.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DAY_MS, toWireDate } from '../../src/core/clock.js';
import { signRpcV1 } from '../../src/core/signature/index.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { callAction, clients, PopRpcClient, RamModule, sdkError, type Key } from '../support/sdk.js';
import { describeEachStore, describeSqlite, type Engine } from '../support/test-stores.js';

const IMS = '2019-08-15';
const ACTIONTRAIL = '2020-07-06';

function policy(status: string, ...ipList: string[]): string {
  return JSON.stringify({
    Version: 1,
    Status: status,
    Statements: ipList.length === 0 ? [] : [{ Type: 'ClassicWhiteList', IPList: ipList }],
  });
}

type Body = Record<string, unknown>;

/** An IMS action through openapi-core's generic callApi (the typed IMS client lacks these actions). */
function ims(app: RunningApp, key: Key, action: string, query: Record<string, string> = {}): Promise<Body> {
  return callAction(app.endpoint, key, { action, version: IMS, query }) as Promise<Body>;
}

/**
 * STS GetCallerIdentity through @alicloud/pop-core, from `localAddress` (an http.Agent bound to it):
 * 'OK', or the error code, HTTP status and message the server answered.
 */
async function whoAmIFrom(
  endpoint: string,
  key: Key,
  localAddress: string,
): Promise<'OK' | { code: string; status: number; message: string }> {
  const client = new PopRpcClient({
    accessKeyId: key.id,
    accessKeySecret: key.secret,
    endpoint: `http://${endpoint}`,
    apiVersion: '2015-04-01',
    opts: { agent: new http.Agent({ localAddress }) },
  });
  try {
    await client.request('GetCallerIdentity', {}, { method: 'POST' });
    return 'OK';
  } catch (err) {
    const e = err as {
      code: string;
      data?: { Message?: string };
      entry?: { response?: { statusCode?: number } };
    };
    return { code: e.code, status: e.entry?.response?.statusCode ?? 0, message: e.data?.Message ?? '' };
  }
}

const DENIED = {
  code: 'InvalidAccessKeyId.AccessPolicyDenied',
  status: 400,
  message: 'Specified access key denied due to access policy.',
};

/**
 * A V1-signed POST stamped with the server's (test) clock, from `localAddress`, optionally with an
 * X-Forwarded-For header: for calls after the test clock moved, where the SDKs' real-time stamps
 * would be out of the window.
 */
function signedCall(
  app: RunningApp,
  key: Key,
  call: { action: string; version: string; params?: Record<string, string> },
  options: { from?: string; forwardedFor?: string } = {},
): Promise<{ status: number; body: Body }> {
  const { query } = signRpcV1({
    method: 'POST',
    params: { Action: call.action, Version: call.version, Format: 'JSON', ...call.params },
    accessKeyId: key.id,
    secret: key.secret,
    nonce: randomUUID(),
    timestamp: toWireDate(app.clock.now()),
  });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: app.port,
        method: 'POST',
        path: '/',
        localAddress: options.from ?? '127.0.0.1',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(options.forwardedFor !== undefined && { 'x-forwarded-for': options.forwardedFor }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Body });
        });
      },
    );
    req.on('error', reject);
    req.end(query);
  });
}

const WHOAMI = { action: 'GetCallerIdentity', version: '2015-04-01' };

/** The account's admin (from `ramkey init`) and a RAM user `app` with one key, as an application has. */
async function withApp(app: RunningApp): Promise<{ admin: Key; root: Key; appKey: Key; upn: string }> {
  const admin = { id: app.admin.accessKeyId, secret: app.admin.accessKeySecret };
  const root = { id: app.admin.rootAccessKeyId ?? '', secret: app.admin.rootAccessKeySecret ?? '' };
  const ram = clients(app.endpoint, admin, 'v3').ram;
  await ram.createUser(new RamModule.CreateUserRequest({ userName: 'app' }));
  const made = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'app' }));
  const appKey = {
    id: made.body?.accessKey?.accessKeyId ?? '',
    secret: made.body?.accessKey?.accessKeySecret ?? '',
  };
  return { admin, root, appKey, upn: `app@${app.admin.accountId}.onaliyun.com` };
}

function scenario(engine: Engine): void {
  let app: RunningApp;
  beforeEach(async () => {
    app = await startApp({ engine });
  });
  afterEach(async () => {
    await app.stop();
  });

  it('refuses calls from outside a key-level policy, audited and counted as use, and admits calls from inside', async () => {
    const { admin, appKey, upn } = await withApp(app);
    const set = await ims(app, admin, 'SetAccessKeyPolicy', {
      UserAccessKeyId: appKey.id,
      UserPrincipalName: upn,
      AccessKeyPolicy: policy('Active', '127.0.0.2'),
    });
    expect(set).toMatchObject({ AccessKeyId: appKey.id, AccessKeyPolicy: policy('Active', '127.0.0.2') });

    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.1')).toEqual(DENIED);
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.2')).toBe('OK');
    // The typed SDK client (V3 signatures) from the default address is refused alike.
    const refused = await sdkError(clients(app.endpoint, appKey, 'v3').sts.getCallerIdentity());
    expect(refused).toMatchObject({ code: DENIED.code, statusCode: 400 });

    await app.flush();
    const events = (await callAction(app.endpoint, admin, {
      action: 'LookupEvents',
      version: ACTIONTRAIL,
      query: { 'LookupAttribute.1.Key': 'EventAccessKeyId', 'LookupAttribute.1.Value': appKey.id },
    })) as { Events: Body[] };
    expect(events.Events.map((e) => [e.sourceIpAddress, e.errorCode ?? 'OK'])).toEqual([
      ['127.0.0.1', DENIED.code],
      ['127.0.0.2', 'OK'],
      ['127.0.0.1', DENIED.code],
    ]);
    // A refused call was signed with the secret: it counts as use of the key, from where it came.
    const ips = (await callAction(app.endpoint, admin, {
      action: 'GetAccessKeyLastUsedIps',
      version: ACTIONTRAIL,
      query: { AccessKey: appKey.id },
    })) as { Ips: { Ip: string; CallCount: number }[] };
    expect(ips.Ips.map((i) => [i.Ip, i.CallCount]).sort()).toEqual([
      ['127.0.0.1', 2],
      ['127.0.0.2', 1],
    ]);
  });

  it("falls back to the account's policy once the key's is Inactive, and allows everything with both Inactive", async () => {
    const { admin, appKey, upn } = await withApp(app);
    const onKey = (doc: string) =>
      ims(app, admin, 'SetAccessKeyPolicy', {
        UserAccessKeyId: appKey.id,
        UserPrincipalName: upn,
        AccessKeyPolicy: doc,
      });
    await ims(app, admin, 'SetAccessKeyPolicyForAccount', { AccessKeyPolicy: policy('Active', '127.0.0.1') });
    await onKey(policy('Active', '127.0.0.2'));
    // The key's own Active policy replaces the account's for it.
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.2')).toBe('OK');
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.1')).toEqual(DENIED);

    await onKey(policy('Inactive', '127.0.0.2'));
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.1')).toBe('OK');
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.2')).toEqual(DENIED);
    // The account's policy covers every key of the account, the admin's as well.
    expect(await whoAmIFrom(app.endpoint, admin, '127.0.0.2')).toEqual(DENIED);

    expect(
      await ims(app, admin, 'GetAccessKeyPolicy', { UserAccessKeyId: appKey.id, UserPrincipalName: upn }),
    ).toMatchObject({
      AccessKeyId: appKey.id,
      AccessKeyPolicy: policy('Inactive', '127.0.0.2'),
    });
    expect(await ims(app, admin, 'GetAccessKeyPolicyForAccount')).toMatchObject({
      AccessKeyPolicy: policy('Active', '127.0.0.1'),
    });

    await ims(app, admin, 'SetAccessKeyPolicyForAccount', {
      AccessKeyPolicy: policy('Inactive', '127.0.0.1'),
    });
    for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) {
      expect(await whoAmIFrom(app.endpoint, appKey, from)).toBe('OK');
      expect(await whoAmIFrom(app.endpoint, admin, from)).toBe('OK');
    }
    // Active but empty denies every source.
    await onKey(policy('Active'));
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.1')).toEqual(DENIED);
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.2')).toEqual(DENIED);
  });
}

await describeEachStore('network access policies', (_makeStore, engine) => {
  scenario(engine);
});

describeSqlite('network access policies: addresses, proxies, safety, dry run and audit mode', () => {
  let app: RunningApp | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('matches IPv6 sources against IPv6 CIDRs, over a real IPv6 socket', async () => {
    app = await startApp({ host: '::' });
    const { admin, appKey, upn } = await withApp(app);
    const v6 = `[::1]:${String(app.port)}`;
    const set = (doc: string) =>
      ims(app as RunningApp, admin, 'SetAccessKeyPolicy', {
        UserAccessKeyId: appKey.id,
        UserPrincipalName: upn,
        AccessKeyPolicy: doc,
      });
    await set(policy('Active', '::/120'));
    expect(await whoAmIFrom(v6, appKey, '::1')).toBe('OK');
    // An IPv4 caller reaches a dual-stack socket as ::ffff:127.0.0.1, which no IPv6 range takes in.
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.1')).toEqual(DENIED);
    await set(policy('Active', '2001:db8::/32', '127.0.0.0/8'));
    expect(await whoAmIFrom(v6, appKey, '::1')).toEqual(DENIED);
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.1')).toBe('OK');
  });

  it("lets a trusted proxy's X-Forwarded-For decide the source, and ignores an untrusted one's", async () => {
    app = await startApp({ trustProxy: ['127.0.0.2'] });
    const { admin, appKey, upn } = await withApp(app);
    await ims(app, admin, 'SetAccessKeyPolicy', {
      UserAccessKeyId: appKey.id,
      UserPrincipalName: upn,
      AccessKeyPolicy: policy('Active', '203.0.113.0/24', '2001:db8::/32'),
    });
    const via = (from: string, forwardedFor?: string) =>
      signedCall(app as RunningApp, appKey, WHOAMI, {
        from,
        ...(forwardedFor !== undefined && { forwardedFor }),
      }).then((r) => (r.status === 200 ? 'OK' : String(r.body.Code)));
    // Through the trusted proxy (127.0.0.2): the client it names is the source.
    expect(await via('127.0.0.2', '203.0.113.9')).toBe('OK');
    expect(await via('127.0.0.2', '2001:db8::7')).toBe('OK');
    expect(await via('127.0.0.2', '198.51.100.1')).toBe(DENIED.code);
    // The proxy appends what it saw: an address the client put first proves nothing.
    expect(await via('127.0.0.2', '203.0.113.9, 198.51.100.1')).toBe(DENIED.code);
    expect(await via('127.0.0.2', '198.51.100.1, 203.0.113.9')).toBe('OK');
    // Junk from the proxy is no address, and no policy allows it.
    expect(await via('127.0.0.2', 'not-an-address')).toBe(DENIED.code);
    // Straight from an untrusted address (127.0.0.1): its X-Forwarded-For is ignored.
    expect(await via('127.0.0.1', '203.0.113.9')).toBe(DENIED.code);
    expect(await via('127.0.0.1')).toBe(DENIED.code);

    await app.flush();
    const events = (await callAction(app.endpoint, admin, {
      action: 'LookupEvents',
      version: ACTIONTRAIL,
      query: {
        'LookupAttribute.1.Key': 'EventAccessKeyId',
        'LookupAttribute.1.Value': appKey.id,
        Direction: 'FORWARD',
      },
    })) as { Events: Body[] };
    // As a multiset: two calls within one millisecond have no order between them.
    expect(events.Events.map((e) => String(e.sourceIpAddress)).sort()).toEqual(
      [
        '203.0.113.9',
        '2001:db8::7',
        '198.51.100.1',
        '198.51.100.1',
        '203.0.113.9',
        '(invalid)',
        '127.0.0.1',
        '127.0.0.1',
      ].sort(),
    );
  });

  // Security: the key that sets a policy cannot lock itself out by mistake.
  it("refuses a policy that would deny the setting call's own key from its own address, unless accepted", async () => {
    app = await startApp();
    const { admin, root, appKey, upn } = await withApp(app);
    const adminUpn = `admin@${app.admin.accountId}.onaliyun.com`;
    const onAdminKey = (doc: string, extra: Record<string, string> = {}) =>
      ims(app as RunningApp, admin, 'SetAccessKeyPolicy', {
        UserAccessKeyId: admin.id,
        UserPrincipalName: adminUpn,
        AccessKeyPolicy: doc,
        ...extra,
      });

    const lockout = await sdkError(onAdminKey(policy('Active', '127.0.0.2')));
    expect(lockout).toMatchObject({ code: 'AccessKeyPolicy.SelfLockout', statusCode: 409 });
    expect(lockout.message).toContain('127.0.0.1');
    expect(lockout.message).toContain('AcceptSelfLockout=true');
    const account = await sdkError(
      ims(app, admin, 'SetAccessKeyPolicyForAccount', { AccessKeyPolicy: policy('Active', '10.0.0.0/8') }),
    );
    expect(account).toMatchObject({ code: 'AccessKeyPolicy.SelfLockout', statusCode: 409 });
    // Nothing was set: both still answer "no policy".
    expect(
      await ims(app, admin, 'GetAccessKeyPolicy', { UserAccessKeyId: admin.id, UserPrincipalName: adminUpn }),
    ).toMatchObject({
      AccessKeyPolicy: policy('Inactive'),
    });
    expect(await ims(app, admin, 'GetAccessKeyPolicyForAccount')).toMatchObject({
      AccessKeyPolicy: policy('Inactive'),
    });
    expect(await whoAmIFrom(app.endpoint, admin, '127.0.0.1')).toBe('OK');

    // Policies that keep the caller in, Audit mode and other keys' policies are no lockout.
    await onAdminKey(policy('Active', '127.0.0.1', '127.0.0.2'));
    await onAdminKey(policy('Audit', '127.0.0.2'));
    await ims(app, admin, 'SetAccessKeyPolicy', {
      UserAccessKeyId: appKey.id,
      UserPrincipalName: upn,
      AccessKeyPolicy: policy('Active', '10.0.0.1'),
    });

    // Accepted: the key is locked out from here, as asked; another key can still undo it.
    await onAdminKey(policy('Active', '127.0.0.2'), { AcceptSelfLockout: 'true' });
    expect(await whoAmIFrom(app.endpoint, admin, '127.0.0.1')).toEqual(DENIED);
    expect(await whoAmIFrom(app.endpoint, admin, '127.0.0.2')).toBe('OK');
    await ims(app, root, 'SetAccessKeyPolicy', {
      UserAccessKeyId: admin.id,
      UserPrincipalName: adminUpn,
      AccessKeyPolicy: policy('Inactive'),
    });
    expect(await whoAmIFrom(app.endpoint, admin, '127.0.0.1')).toBe('OK');
  });

  it('lists exactly the addresses of the last Days days that a proposed policy would deny, changing nothing', async () => {
    app = await startApp();
    const { admin, appKey, upn } = await withApp(app);
    const whoAmI = (from: string) => signedCall(app as RunningApp, appKey, WHOAMI, { from });
    expect((await whoAmI('127.0.0.3')).status).toBe(200);
    app.clock.advance(31 * DAY_MS);
    for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.1']) expect((await whoAmI(from)).status).toBe(200);
    const simulate = async (params: Record<string, string>) => {
      const r = await signedCall(app as RunningApp, admin, {
        action: 'SimulateAccessKeyPolicy',
        version: IMS,
        params: { UserAccessKeyId: appKey.id, UserPrincipalName: upn, ...params },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as {
        DecidingPolicyLevel: string;
        SourceIpCount: number;
        IsTruncated: boolean;
        DeniedSourceIps: { DeniedSourceIp: { SourceIp: string; CallCount: number; LastUsedDate: string }[] };
      };
    };
    const denied = (r: Awaited<ReturnType<typeof simulate>>) =>
      r.DeniedSourceIps.DeniedSourceIp.map((d) => [d.SourceIp, d.CallCount]);

    const last30 = await simulate({ AccessKeyPolicy: policy('Active', '127.0.0.2') });
    expect(last30).toMatchObject({ DecidingPolicyLevel: 'AccessKey', SourceIpCount: 2, IsTruncated: false });
    expect(denied(last30)).toEqual([['127.0.0.1', 2]]);
    expect(last30.DeniedSourceIps.DeniedSourceIp[0]?.LastUsedDate).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    // Further back, the address used 31 days ago is in the replay too; Audit is simulated as enforced.
    const last40 = await simulate({ AccessKeyPolicy: policy('Audit', '127.0.0.2'), Days: '40' });
    expect(denied(last40)).toEqual([
      ['127.0.0.1', 2],
      ['127.0.0.3', 1],
    ]);
    expect(denied(await simulate({ AccessKeyPolicy: policy('Active', '127.0.0.0/31'), Days: '40' }))).toEqual(
      [
        ['127.0.0.2', 1],
        ['127.0.0.3', 1],
      ],
    );
    // At account level, for a key without its own policy, the proposal decides just the same.
    const asAccount = await simulate({
      AccessKeyPolicy: policy('Active', '127.0.0.2'),
      PolicyLevel: 'Account',
    });
    expect(asAccount.DecidingPolicyLevel).toBe('Account');
    expect(denied(asAccount)).toEqual([['127.0.0.1', 2]]);

    // With an Active key-level policy in place, an account-level proposal does not decide for the key.
    const keyPolicy = policy('Active', '127.0.0.0/8');
    const setKey = await signedCall(app, admin, {
      action: 'SetAccessKeyPolicy',
      version: IMS,
      params: { UserAccessKeyId: appKey.id, UserPrincipalName: upn, AccessKeyPolicy: keyPolicy },
    });
    expect(setKey.status).toBe(200);
    const overridden = await simulate({
      AccessKeyPolicy: policy('Active'),
      PolicyLevel: 'Account',
      Days: '40',
    });
    expect(overridden).toMatchObject({ DecidingPolicyLevel: 'AccessKey', SourceIpCount: 3 });
    expect(denied(overridden)).toEqual([]);
    // A simulation sets nothing.
    const get = await signedCall(app, admin, { action: 'GetAccessKeyPolicyForAccount', version: IMS });
    expect(get.body.AccessKeyPolicy).toBe(policy('Inactive'));
    expect((await whoAmI('127.0.0.1')).status).toBe(200);
  });

  it('records what an Audit-mode policy would deny without refusing it, and finds those calls', async () => {
    app = await startApp();
    const { admin, appKey, upn } = await withApp(app);
    await ims(app, admin, 'SetAccessKeyPolicy', {
      UserAccessKeyId: appKey.id,
      UserPrincipalName: upn,
      AccessKeyPolicy: policy('Audit', '127.0.0.2'),
    });
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.1')).toBe('OK');
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.2')).toBe('OK');
    expect(await whoAmIFrom(app.endpoint, appKey, '127.0.0.3')).toBe('OK');
    await app.flush();
    const lookup = (query: Record<string, string>) =>
      callAction((app as RunningApp).endpoint, admin, {
        action: 'LookupEvents',
        version: ACTIONTRAIL,
        query,
      }) as Promise<{
        Events: Body[];
      }>;
    const marked = await lookup({
      'LookupAttribute.1.Key': 'AccessKeyPolicyAudit',
      'LookupAttribute.1.Value': 'WouldDeny',
      'LookupAttribute.2.Key': 'EventAccessKeyId',
      'LookupAttribute.2.Value': appKey.id,
      Direction: 'FORWARD',
    });
    expect(marked.Events.map((e) => [e.sourceIpAddress, e.errorCode ?? 'OK', e.additionalEventData])).toEqual(
      [
        ['127.0.0.1', 'OK', { AccessKeyPolicyAudit: 'WouldDeny', AccessKeyPolicyLevel: 'AccessKey' }],
        ['127.0.0.3', 'OK', { AccessKeyPolicyAudit: 'WouldDeny', AccessKeyPolicyLevel: 'AccessKey' }],
      ],
    );
    const all = await lookup({
      'LookupAttribute.1.Key': 'EventAccessKeyId',
      'LookupAttribute.1.Value': appKey.id,
    });
    expect(all.Events).toHaveLength(3);
    const refused = await sdkError(
      lookup({ 'LookupAttribute.1.Key': 'AccessKeyPolicyAudit', 'LookupAttribute.1.Value': 'Denied' }),
    );
    expect(refused.code).toBe('InvalidParameter');
  });

  it("validates policies, naming the bad part, reports the quotas, and hides other accounts' keys", async () => {
    app = await startApp();
    const { admin, appKey, upn } = await withApp(app);
    const set = (doc: string, keyId = appKey.id, user: string | null = upn) =>
      ims(app as RunningApp, admin, 'SetAccessKeyPolicy', {
        UserAccessKeyId: keyId,
        ...(user !== null && { UserPrincipalName: user }),
        AccessKeyPolicy: doc,
      });
    expect(
      await ims(app, admin, 'GetAccessKeyPolicy', { UserAccessKeyId: appKey.id, UserPrincipalName: upn }),
    ).toEqual({
      RequestId: expect.any(String) as string,
      AccessKeyId: appKey.id,
      AccessKeyPolicy: '{"Version":1,"Status":"Inactive","Statements":[]}',
    });
    const vpc = await sdkError(
      set(
        JSON.stringify({
          Version: 1,
          Status: 'Active',
          Statements: [{ Type: 'VPCWhiteList', Value: 'vpc-bp1234567890abcdef', IPList: ['172.16.0.0/16'] }],
        }),
      ),
    );
    expect(vpc).toMatchObject({ code: 'InvalidParameter.AccessKeyPolicy.VPCWhiteList', statusCode: 400 });
    expect(vpc.message).toContain('Ramkey has no VPCs');
    const entry = await sdkError(set(policy('Active', '10.0.0.1', '10.0.0.300')));
    expect(entry).toMatchObject({ code: 'InvalidParameter.AccessKeyPolicy.IPList', statusCode: 400 });
    expect(entry.message).toContain('"10.0.0.300"');
    const nine = JSON.stringify({
      Version: 1,
      Status: 'Active',
      Statements: Array.from({ length: 9 }, () => ({ Type: 'ClassicWhiteList', IPList: ['10.0.0.1'] })),
    });
    expect(await sdkError(set(nine))).toMatchObject({ code: 'InvalidParameter.AccessKeyPolicy.Statements' });
    expect(await sdkError(set('{"Status":"On","Statements":[]}'))).toMatchObject({
      code: 'InvalidParameter.AccessKeyPolicy.Status',
    });
    expect(await sdkError(set(policy('Active', '10.0.0.1'), 'LTAI' + 'z'.repeat(20)))).toMatchObject({
      code: 'EntityNotExist.User.AccessKey',
    });
    // The key is the user's, not the caller's own (no UserPrincipalName): answered as missing.
    expect(await sdkError(set(policy('Active', '10.0.0.1'), appKey.id, null))).toMatchObject({
      code: 'EntityNotExist.User.AccessKey',
    });
    const other = await app.createAccount();
    const theirs = { id: other.accessKeyId, secret: other.accessKeySecret };
    expect(
      await sdkError(ims(app, theirs, 'GetAccessKeyPolicy', { UserAccessKeyId: appKey.id })),
    ).toMatchObject({
      code: 'EntityNotExist.User.AccessKey',
    });
    expect(await ims(app, theirs, 'GetAccessKeyPolicyForAccount')).toMatchObject({
      AccessKeyPolicy: policy('Inactive'),
    });

    const summary = await clients(app.endpoint, admin, 'v3').ims.getAccountSummary();
    expect(summary.body?.summaryMap).toMatchObject({
      conditionsPerAKPolicyQuota: 8,
      IPItemsPerAKPolicyQuota: 50,
    });
  });

  it('authorizes the actions as ram: on the key owner (or the account), with ims: as an alias', async () => {
    app = await startApp();
    const { admin, appKey, upn } = await withApp(app);
    const ram = clients(app.endpoint, admin, 'v3').ram;
    await ram.createUser(new RamModule.CreateUserRequest({ userName: 'ops' }));
    const opsMade = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'ops' }));
    const ops = {
      id: opsMade.body?.accessKey?.accessKeyId ?? '',
      secret: opsMade.body?.accessKey?.accessKeySecret ?? '',
    };
    const acct = app.admin.accountId;
    await ram.createPolicy(
      new RamModule.CreatePolicyRequest({
        policyName: 'ReadAppPolicy',
        policyDocument: JSON.stringify({
          Version: '1',
          Statement: [
            { Effect: 'Allow', Action: 'ims:GetAccessKeyPolicy', Resource: `acs:ram:*:${acct}:user/app` },
          ],
        }),
      }),
    );
    await ram.attachPolicyToUser(
      new RamModule.AttachPolicyToUserRequest({
        policyType: 'Custom',
        policyName: 'ReadAppPolicy',
        userName: 'ops',
      }),
    );
    expect(
      await ims(app, ops, 'GetAccessKeyPolicy', { UserAccessKeyId: appKey.id, UserPrincipalName: upn }),
    ).toMatchObject({
      AccessKeyId: appKey.id,
    });
    const denied = await sdkError(
      ims(app, ops, 'SetAccessKeyPolicy', {
        UserAccessKeyId: appKey.id,
        UserPrincipalName: upn,
        AccessKeyPolicy: policy('Inactive'),
      }),
    );
    expect(denied).toMatchObject({ code: 'NoPermission', statusCode: 403 });
    expect(denied.accessDeniedDetail ?? denied.data?.AccessDeniedDetail).toMatchObject({
      AuthAction: 'ram:SetAccessKeyPolicy',
      AuthResource: `acs:ram:*:${acct}:user/app`,
    });
    const forAccount = await sdkError(ims(app, ops, 'GetAccessKeyPolicyForAccount'));
    expect(forAccount.code).toBe('NoPermission');
  });
});
