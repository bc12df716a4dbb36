// Leak response through the official SDKs: a signed leak report (or an administrator) restricts a
// key, which then may not manage identities while its workloads keep running; the account is
// notified through its webhook at least once, exactly once per idempotency key on the receiver.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { callAction, clients, ImsModule, RamModule, sdkError, type Key } from '../support/sdk.js';

const IMS = '2019-08-15';
const HIGH_RISK = ['actiontrail:LookupEvents'];
let server: RunningApp;

beforeAll(async () => {
  server = await startApp({ ramkey: { leakHighRiskActions: HIGH_RISK } });
});
afterAll(async () => {
  await server.stop();
});

/** A fresh account's admin, and a user `app` of it with AdministratorAccess and a key. */
async function accountWithApp(server: RunningApp) {
  const account = await server.createAccount();
  const adminKey = { id: account.accessKeyId, secret: account.accessKeySecret };
  const admin = clients(server.endpoint, adminKey, 'v3');
  await admin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'app' }));
  await admin.ram.attachPolicyToUser(
    new RamModule.AttachPolicyToUserRequest({
      userName: 'app',
      policyName: 'AdministratorAccess',
      policyType: 'System',
    }),
  );
  const created = await admin.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'app' }));
  const appKey = {
    id: created.body?.accessKey?.accessKeyId ?? '',
    secret: created.body?.accessKey?.accessKeySecret ?? '',
  };
  return { account, adminKey, admin, appKey };
}

/** POSTs a leak report signed as `reporter` with `secret` (or as told otherwise). */
async function report(
  server: RunningApp,
  body: string,
  auth: { reporter: string; secret: string; timestamp?: number; signature?: string },
): Promise<{ status: number; json: Record<string, unknown> }> {
  const timestamp = String(auth.timestamp ?? Math.floor(server.clock.now() / 1000));
  const signature =
    auth.signature ??
    `sha256=${createHmac('sha256', auth.secret).update(`${timestamp}.${body}`).digest('hex')}`;
  const response = await fetch(`http://${server.endpoint}/leak-reports`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ramkey-reporter': auth.reporter,
      'x-ramkey-timestamp': timestamp,
      'x-ramkey-signature': signature,
    },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function expectLeakRefusal(call: Promise<unknown>): Promise<void> {
  const error = await sdkError(call);
  expect(error.code).toBe('Forbidden');
  expect(error.statusCode).toBe(403);
  expect(error.message).toContain('There is a risk of leakage of this AccessKey.');
}

async function whoAmI(server: RunningApp, key: Key): Promise<string | undefined> {
  const sts = clients(server.endpoint, key, 'v3').sts;
  return (await sts.getCallerIdentity()).body?.identityType;
}

/** The whole path of one report: refusals, listing, delivery through refusals and a restart, audit. */
async function notifiesOnce(first: RunningApp, keep: (s: RunningApp) => void): Promise<void> {
  let server = first;
  let receiver: Server | undefined;
  try {
    const { account, adminKey, admin, appKey } = await accountWithApp(server);

    const app = clients(server.endpoint, appKey, 'v3');
    // Before: the app key can do everything its policy allows.
    await app.ram.listUsers(new RamModule.ListUsersRequest({}));

    // The webhook receiver refuses the first two attempts, then accepts.
    const received: { headers: IncomingMessage['headers']; body: string }[] = [];
    let refusals = 2;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = refusals-- > 0 ? 503 : 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    if (address === null || typeof address === 'string') throw new Error('no receiver address');
    const hook = (await callAction(server.endpoint, adminKey, {
      action: 'SetNotificationWebhook',
      version: IMS,
      query: { Url: `http://127.0.0.1:${String(address.port)}/ramkey` },
    })) as { Webhook: { Url: string; Secret: string } };
    expect(hook.Webhook.Secret).toMatch(/^[0-9A-Za-z]{40}$/);

    const reporterName = `scanner-${randomUUID().slice(0, 8)}`;
    const reporterSecret = await server.addLeakReporter(reporterName);
    const body = JSON.stringify([
      {
        token: appKey.id,
        type: 'ramkey_access_key_id',
        url: 'https://git.example/x/y/blob/main/.env',
        source: 'content',
      },
      { token: 'LTAI' + 'x'.repeat(20), type: 'ramkey_access_key_id', url: '', source: 'content' },
      { token: 'not a key', type: 'unknown', url: '', source: '' },
    ]);
    const answer = await report(server, body, { reporter: reporterName, secret: reporterSecret });
    expect(answer.status).toBe(200);
    expect(answer.json.Results).toEqual([
      { Index: 0, Matched: true },
      { Index: 1, Matched: false },
      { Index: 2, Matched: false },
    ]);
    // Nothing about the owner is in the answer.
    expect(JSON.stringify(answer.json)).not.toContain(account.accountId);

    // Identity actions (RAM and IMS) and the operator's high-risk list are refused, whatever the policy.
    await expectLeakRefusal(
      app.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'app' })),
    );
    await expectLeakRefusal(app.ram.listUsers(new RamModule.ListUsersRequest({})));
    await expectLeakRefusal(app.ims.getAccountSummary());
    await expect(
      callAction(server.endpoint, appKey, { action: 'LookupEvents', version: '2020-07-06' }),
    ).rejects.toMatchObject({ code: 'Forbidden' });
    // Its workloads keep running.
    expect(await whoAmI(server, appKey)).toBe('RAMUser');
    // The administrator's key is unaffected, and sees the restriction in the listing.
    const listed = await admin.ims.listAccessKeys(
      new ImsModule.ListAccessKeysRequest({ userPrincipalName: `app@${account.accountId}.onaliyun.com` }),
    );
    expect(listed.statusCode).toBe(200);
    const raw = (await callAction(server.endpoint, adminKey, {
      action: 'ListAccessKeys',
      version: IMS,
      query: { UserPrincipalName: `app@${account.accountId}.onaliyun.com` },
    })) as { AccessKeys: { AccessKey: Record<string, unknown>[] } };
    expect(raw.AccessKeys.AccessKey).toEqual([
      expect.objectContaining({
        AccessKeyId: appKey.id,
        Status: 'Active',
        LeakRestricted: true,
        LeakRestrictionReporter: `leak-report:${reporterName}`,
        LeakRestrictionReason: expect.stringContaining('https://git.example/x/y/blob/main/.env') as unknown,
      }),
    ]);

    // The same report again (a new signature) changes nothing and notifies nobody again.
    server.clock.advance(1000);
    const again = await report(server, body, { reporter: reporterName, secret: reporterSecret });
    expect(again.json.Results).toEqual(answer.json.Results);

    // Delivery: refused twice (with a restart in between), then delivered; one notification in all.
    expect(await server.deliverNotifications()).toBe(0);
    await server.stop({ keepData: true });
    server = await startApp({
      reuse: server,
      clock: server.clock,
      ramkey: { leakHighRiskActions: HIGH_RISK },
    });
    keep(server);
    server.clock.advance(60_000);
    expect(await server.deliverNotifications()).toBe(0);
    server.clock.advance(60_000);
    expect(await server.deliverNotifications()).toBe(1);
    server.clock.advance(3_600_000);
    expect(await server.deliverNotifications()).toBe(0);
    // Back to real time, for the SDKs' timestamps.
    server.clock.advance(-3_720_000);
    expect(received).toHaveLength(3);
    const keys = new Set(received.map((r) => r.headers['x-ramkey-idempotency-key']));
    expect(keys.size).toBe(1);
    for (const r of received) {
      const timestamp = String(r.headers['x-ramkey-timestamp']);
      const expected = createHmac('sha256', hook.Webhook.Secret)
        .update(`${timestamp}.${r.body}`)
        .digest('hex');
      expect(r.headers['x-ramkey-signature']).toBe(`sha256=${expected}`);
      expect(r.headers['x-ramkey-event']).toBe('AccessKeyRestricted');
      expect(JSON.parse(r.body)).toMatchObject({
        Event: 'AccessKeyRestricted',
        AccountId: account.accountId,
        AccessKeyId: appKey.id,
        Reporter: `leak-report:${reporterName}`,
      });
    }
    const adminAfter = { id: adminKey.id, secret: adminKey.secret };
    const alerts = (await callAction(server.endpoint, adminAfter, {
      action: 'ListAlerts',
      version: IMS,
    })) as {
      Alerts: { Alert: Record<string, unknown>[] };
    };
    expect(alerts.Alerts.Alert).toEqual([
      expect.objectContaining({
        AlertId: keys.values().next().value as string,
        Type: 'AccessKeyRestricted',
        DeliveryStatus: 'Delivered',
        DeliveryAttempts: 3,
      }),
    ]);

    // The marking is in the audit trail, with the reporter and the reason.
    await server.flush();
    const events = (await callAction(server.endpoint, adminAfter, {
      action: 'LookupEvents',
      version: '2020-07-06',
      query: { LookupAttribute: [{ Key: 'EventName', Value: 'RestrictAccessKey' }] },
    })) as { Events: Record<string, unknown>[] };
    expect(events.Events).toHaveLength(1);
    expect(JSON.stringify(events.Events[0])).toContain(`leak-report:${reporterName}`);
    expect(JSON.stringify(events.Events[0])).toContain('https://git.example/x/y/blob/main/.env');
  } finally {
    await new Promise((resolve) => {
      if (receiver) receiver.close(resolve);
      else resolve(undefined);
    });
  }
}

describe('restrictive protection after a leak report', () => {
  it('refuses identity actions to the reported key, keeps its workloads running, and notifies once', async () => {
    // Its own server: it restarts it and moves its clock by hours.
    let server = await startApp({ ramkey: { leakHighRiskActions: HIGH_RISK } });
    try {
      await notifiesOnce(server, (restarted) => {
        server = restarted;
      });
    } finally {
      await server.stop();
    }
  });

  it('restricts a key whose secret is reported, found through the secret index', async () => {
    const { appKey } = await accountWithApp(server);
    const reporterName = `r-${randomUUID().slice(0, 8)}`;
    const reporterSecret = await server.addLeakReporter(reporterName);
    const answer = await report(server, JSON.stringify([{ token: appKey.secret }]), {
      reporter: reporterName,
      secret: reporterSecret,
    });
    expect(answer.json.Results).toEqual([{ Index: 0, Matched: true }]);
    const app = clients(server.endpoint, appKey, 'v2');
    await expectLeakRefusal(app.ram.listUsers(new RamModule.ListUsersRequest({})));
    expect(await whoAmI(server, appKey)).toBe('RAMUser');
  });

  it('refuses bad signatures, stale or replayed reports and malformed bodies, and changes nothing', async () => {
    const { appKey } = await accountWithApp(server);
    const reporterName = `r-${randomUUID().slice(0, 8)}`;
    const secret = await server.addLeakReporter(reporterName);
    const body = JSON.stringify([{ token: appKey.id }]);
    const now = Math.floor(server.clock.now() / 1000);
    // The window is 300 s; the stale and future reports sit a minute outside it, since the clock is
    // real time and a loaded machine can take seconds between this line and the server's check.
    const cases: [Promise<{ status: number; json: Record<string, unknown> }>, number, string][] = [
      [report(server, body, { reporter: reporterName, secret: 'wrong' }), 401, 'InvalidLeakReport.Signature'],
      [report(server, body, { reporter: 'nobody', secret }), 401, 'InvalidLeakReport.Signature'],
      [
        report(server, body, { reporter: reporterName, secret, signature: 'sha256=zz' }),
        401,
        'InvalidLeakReport.Signature',
      ],
      [
        report(server, body, { reporter: reporterName, secret, timestamp: now - 360 }),
        400,
        'InvalidLeakReport.TimeStamp',
      ],
      [
        report(server, body, { reporter: reporterName, secret, timestamp: now + 360 }),
        400,
        'InvalidLeakReport.TimeStamp',
      ],
      [report(server, '{"token":1}', { reporter: reporterName, secret }), 400, 'InvalidLeakReport.Body'],
      [report(server, '[{"token":', { reporter: reporterName, secret }), 400, 'InvalidLeakReport.Body'],
      [
        report(server, JSON.stringify([{ nottoken: appKey.id }]), { reporter: reporterName, secret }),
        400,
        'InvalidLeakReport.Body',
      ],
    ];
    for (const [pending, status, code] of cases) {
      const { status: got, json } = await pending;
      expect({ got, code: json.Code }).toEqual({ got: status, code });
    }
    const huge = JSON.stringify(Array.from({ length: 20_000 }, () => ({ token: 'x'.repeat(10) })));
    const tooBig = await report(server, huge, { reporter: reporterName, secret });
    expect(tooBig.json.Code).toBe('InvalidParameter.Body.TooLarge');
    // None of them restricted the key.
    await clients(server.endpoint, appKey, 'v3').ram.listUsers(new RamModule.ListUsersRequest({}));

    // A replay of a good report: refused the second time.
    const timestamp = now;
    const first = await report(server, JSON.stringify([{ token: 'LTAInothing' }]), {
      reporter: reporterName,
      secret,
      timestamp,
    });
    expect(first.status).toBe(200);
    const replay = await report(server, JSON.stringify([{ token: 'LTAInothing' }]), {
      reporter: reporterName,
      secret,
      timestamp,
    });
    expect({ status: replay.status, code: replay.json.Code }).toEqual({
      status: 400,
      code: 'InvalidLeakReport.Replayed',
    });
  });
});

describe('RestrictAccessKey', () => {
  it('lets an administrator restrict a user key, for good, with an audit event naming the reason', async () => {
    const { account, adminKey, appKey } = await accountWithApp(server);
    const upn = `app@${account.accountId}.onaliyun.com`;
    const first = (await callAction(server.endpoint, adminKey, {
      action: 'RestrictAccessKey',
      version: IMS,
      query: { UserAccessKeyId: appKey.id, UserPrincipalName: upn, Reason: 'pasted in a chat' },
    })) as { AccessKeyRestriction: Record<string, unknown> };
    expect(first.AccessKeyRestriction).toMatchObject({
      AccessKeyId: appKey.id,
      Reason: 'pasted in a chat',
      Reporter: `user:acs:ram::${account.accountId}:user/admin`,
      NewlyRestricted: true,
    });
    const second = (await callAction(server.endpoint, adminKey, {
      action: 'RestrictAccessKey',
      version: IMS,
      query: { UserAccessKeyId: appKey.id, UserPrincipalName: upn, Reason: 'again' },
    })) as { AccessKeyRestriction: Record<string, unknown> };
    expect(second.AccessKeyRestriction).toMatchObject({ Reason: 'pasted in a chat', NewlyRestricted: false });
    await expectLeakRefusal(
      clients(server.endpoint, appKey, 'v3').ims.createAccessKey(
        new ImsModule.CreateAccessKeyRequest({ userPrincipalName: upn }),
      ),
    );
    // Disabling and enabling does not lift it.
    const admin = clients(server.endpoint, adminKey, 'v3');
    for (const status of ['Inactive', 'Active']) {
      await admin.ram.updateAccessKey(
        new RamModule.UpdateAccessKeyRequest({ userName: 'app', userAccessKeyId: appKey.id, status }),
      );
    }
    await expectLeakRefusal(
      clients(server.endpoint, appKey, 'v3').ram.listUsers(new RamModule.ListUsersRequest({})),
    );
    // Another account's key, and a missing one, answer alike.
    const stranger = await accountWithApp(server);
    for (const id of [stranger.appKey.id, 'LTAI' + 'q'.repeat(20)]) {
      await expect(
        callAction(server.endpoint, adminKey, {
          action: 'RestrictAccessKey',
          version: IMS,
          query: { UserAccessKeyId: id, Reason: 'x' },
        }),
      ).rejects.toMatchObject({ code: 'EntityNotExist.User.AccessKey' });
    }
    await expect(
      callAction(server.endpoint, adminKey, {
        action: 'RestrictAccessKey',
        version: IMS,
        query: { UserAccessKeyId: appKey.id },
      }),
    ).rejects.toMatchObject({ code: 'MissingParameter' });
  });

  it('shows the restriction in the credential report', async () => {
    const { adminKey, appKey, admin } = await accountWithApp(server);
    await callAction(server.endpoint, appKey, {
      action: 'RestrictAccessKey',
      version: IMS,
      query: { UserAccessKeyId: appKey.id, Reason: 'my own key, in a public gist' },
    });
    await admin.ims.generateCredentialReport();
    const report = await admin.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({}));
    const csv = Buffer.from(report.body?.content ?? '', 'base64')
      .toString('utf8')
      .trim()
      .split('\r\n');
    const header = (csv[0] ?? '').split(',');
    const appRow = (csv.find((line) => line.startsWith('app,')) ?? '').split(',');
    const adminRow = (csv.find((line) => line.startsWith('admin,')) ?? '').split(',');
    const column = header.indexOf('access_key_1_leak_restricted');
    expect(column).toBeGreaterThan(0);
    expect(appRow[column]).toBe('true');
    expect(adminRow[column]).toBe('false');
    expect(adminRow[header.indexOf('access_key_1_id')]).toBe(adminKey.id);
  });
});
