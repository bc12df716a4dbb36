// The audit trail through the official SDKs: usage by source IP, LookupEvents by key (refused calls
// included), last use, the AccessKey audit actions, owner lookup, tenancy, and the CLI commands that
// read them. In process, once on SQLite and once on PostgreSQL; each test has an account of its own.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1 } from '../../src/core/signature/index.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { runCli } from '../support/ramkey-server.js';
import {
  callAction,
  clients,
  ImsModule,
  PopRpcClient,
  RamModule,
  sdkError,
  type Key,
} from '../support/sdk.js';
import { describePostgres, describeSqlite, type Engine } from '../support/test-stores.js';

const ACTIONTRAIL = '2020-07-06';
type Json = Record<string, unknown>;

/** pop-core, the generic RPC client, optionally sending from another loopback address. */
function pop(server: RunningApp, apiVersion: string, key: Key) {
  return new PopRpcClient({
    endpoint: `http://${server.endpoint}`,
    apiVersion,
    accessKeyId: key.id,
    accessKeySecret: key.secret,
  });
}

function from(localAddress: string) {
  return { method: 'POST', agent: new Agent({ localAddress }) };
}

/** ActionTrail through @alicloud/openapi-core's generic callApi (V3 signatures, as its SDK would). */
async function actiontrail(server: RunningApp, key: Key, action: string, query: Json = {}): Promise<Json> {
  return (await callAction(server.endpoint, key, { action, version: ACTIONTRAIL, query })) as Json;
}

function lookupByKey(server: RunningApp, key: Key, accessKeyId: string, extra: Json = {}) {
  return actiontrail(server, key, 'LookupEvents', {
    LookupAttribute: [{ Key: 'EventAccessKeyId', Value: accessKeyId }],
    MaxResults: 50,
    ...extra,
  });
}

function events(body: Json): Json[] {
  return (body.Events as Json[] | undefined) ?? [];
}

/** An account of its own, its `app` user (AliyunRAMReadOnlyAccess) and the app's recorded traffic. */
interface Scene {
  accountId: string;
  admin: Key;
  app: Key;
  /** The account admin's credentials for the client commands. */
  cliEnv: Record<string, string>;
}

function auditSuite(engine: Engine) {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp({ engine });
  });

  afterAll(async () => {
    await server.stop();
  });

  /** A fresh account with its user `app` and a key for it, whose traffic is not yet recorded. */
  async function quietScene(): Promise<Scene> {
    const account = await server.createAccount();
    const admin = { id: account.accessKeyId, secret: account.accessKeySecret };
    const ram = clients(server.endpoint, admin, 'v3').ram;
    await ram.createUser(new RamModule.CreateUserRequest({ userName: 'app' }));
    await ram.attachPolicyToUser(
      new RamModule.AttachPolicyToUserRequest({
        userName: 'app',
        policyName: 'AliyunRAMReadOnlyAccess',
        policyType: 'System',
      }),
    );
    const created = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'app' }));
    return {
      accountId: account.accountId,
      admin,
      app: {
        id: created.body?.accessKey?.accessKeyId ?? '',
        secret: created.body?.accessKey?.accessKeySecret ?? '',
      },
      cliEnv: {
        RAMKEY_ACCESS_KEY_ID: admin.id,
        RAMKEY_ACCESS_KEY_SECRET: admin.secret,
        RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      },
    };
  }

  /**
   * The app's traffic, flushed: from 127.0.0.1 one STS call and one refused write; from 127.0.0.2
   * two reads; plus one call claiming its key with a wrong secret.
   */
  async function scene(): Promise<Scene> {
    const s = await quietScene();
    const { app } = s;
    await pop(server, '2015-04-01', app).request('GetCallerIdentity', {}, from('127.0.0.1'));
    await expect(
      pop(server, '2015-05-01', app).request('CreateUser', { UserName: 'intruder' }, from('127.0.0.1')),
    ).rejects.toMatchObject({ code: 'NoPermission' });
    // A step of the clock: the reads from 127.0.0.2 are the latest use, even within one millisecond.
    server.clock.advance(1);
    for (let i = 0; i < 2; i++) {
      await pop(server, '2015-05-01', app).request('ListUsers', {}, from('127.0.0.2'));
    }
    await expect(
      pop(server, '2015-05-01', { id: app.id, secret: 'x'.repeat(30) }).request(
        'ListUsers',
        {},
        from('127.0.0.1'),
      ),
    ).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    await server.flush();
    return s;
  }

  // Each test has an account of its own, so they run side by side: the CLI processes overlap.
  describe.concurrent('on its own account', () => {
    it('lists both source addresses with their call counts (GetAccessKeyLastUsedIps)', async () => {
      const { admin, app } = await scene();
      const body = await actiontrail(server, admin, 'GetAccessKeyLastUsedIps', { AccessKey: app.id });
      const ips = body.Ips as Json[];
      // Most recent first; the wrong-secret call is no use of the key: 127.0.0.1 counts the two
      // verified calls only.
      expect(ips.map((ip) => [ip.Ip, ip.CallCount])).toEqual([
        ['127.0.0.2', 2],
        ['127.0.0.1', 2],
      ]);
      for (const ip of ips) {
        expect(ip.Source).toBe('ManagementEvent');
        expect(typeof ip.UsedTimestamp).toBe('number');
        expect(ip.FirstUsedTimestamp as number).toBeLessThanOrEqual(ip.UsedTimestamp as number);
        const detail = JSON.parse(ip.Detail as string) as Json;
        expect(detail.sourceIpAddress).toBe(ip.Ip);
        expect((detail.userIdentity as Json).accessKeyId).toBe(app.id);
      }
      // One service only, and paging.
      const sts = await actiontrail(server, admin, 'GetAccessKeyLastUsedIps', {
        AccessKey: app.id,
        ServiceName: 'Sts',
      });
      expect((sts.Ips as Json[]).map((ip) => [ip.Ip, ip.CallCount])).toEqual([['127.0.0.1', 1]]);
      const first = await actiontrail(server, admin, 'GetAccessKeyLastUsedIps', {
        AccessKey: app.id,
        PageSize: 1,
      });
      expect(first.Ips).toHaveLength(1);
      const second = await actiontrail(server, admin, 'GetAccessKeyLastUsedIps', {
        AccessKey: app.id,
        PageSize: 1,
        NextToken: first.NextToken,
      });
      expect([...(first.Ips as Json[]), ...(second.Ips as Json[])].map((ip) => ip.Ip).sort()).toEqual([
        '127.0.0.1',
        '127.0.0.2',
      ]);
      expect(second.NextToken).toBeUndefined();
    });

    it('shows the same with "ramkey keys ips"', async () => {
      const { app, cliEnv } = await scene();
      const json = await runCli(['keys', 'ips', app.id, '--json'], cliEnv);
      expect(json.code, json.stderr).toBe(0);
      const rows = JSON.parse(json.stdout) as { Ip: string; CallCount: number; FirstUsedDate: string }[];
      expect(rows.map((r) => [r.Ip, r.CallCount])).toEqual([
        ['127.0.0.2', 2],
        ['127.0.0.1', 2],
      ]);
      expect(rows[0]?.FirstUsedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const table = await runCli(['keys', 'ips', app.id], cliEnv);
      expect(table.stdout).toMatch(/SOURCE IP\s+FIRST SEEN\s+LAST SEEN\s+CALLS/);
      expect(table.stdout).toMatch(/127\.0\.0\.2\s+\S+\s+\S+\s+2/);
    });

    it("returns exactly the key's events from LookupEvents, refused calls with their error codes", async () => {
      const { accountId, admin, app } = await scene();
      const found = events(await lookupByKey(server, admin, app.id));
      expect(found.every((e) => (e.userIdentity as Json).accessKeyId === app.id)).toBe(true);
      expect(found.map((e) => [e.eventName, e.errorCode ?? 'OK']).sort()).toEqual(
        [
          ['CreateUser', 'NoPermission'],
          ['GetCallerIdentity', 'OK'],
          ['ListUsers', 'OK'],
          ['ListUsers', 'OK'],
          ['ListUsers', 'SignatureDoesNotMatch'],
        ].sort(),
      );
      // Newest first, and in ActionTrail's shape.
      const times = found.map((e) => e.eventTime as string);
      expect([...times].sort().reverse()).toEqual(times);
      const refused = found.find((e) => e.errorCode === 'NoPermission');
      expect(refused).toMatchObject({
        eventVersion: 1,
        eventType: 'ApiCall',
        eventRW: 'Write',
        serviceName: 'Ram',
        apiVersion: '2015-05-01',
        sourceIpAddress: '127.0.0.1',
        recipientAccountId: accountId,
        requestParameters: { UserName: 'intruder' },
        userIdentity: {
          type: 'ram-user',
          accountId,
          userName: 'app',
          accessKeyId: app.id,
        },
      });
      expect(refused?.errorMessage).toBe('You are not authorized to do this action.');
      expect(refused?.userAgent).toMatch(/\S/);
      expect(refused?.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(refused?.requestId).toMatch(/^[0-9A-F-]{36}$/);
      // No signing parameter was kept among the request's parameters.
      for (const e of found) {
        expect(Object.keys(e.requestParameters as Json).filter((k) => /Signature|AccessKey/.test(k))).toEqual(
          [],
        );
      }
    });

    it('filters by action, kind and user, and pages with NextToken without repeats', async () => {
      const { admin, app } = await scene();
      const reads = events(
        await actiontrail(server, admin, 'LookupEvents', {
          LookupAttribute: [
            { Key: 'EventAccessKeyId', Value: app.id },
            { Key: 'EventName', Value: 'ListUsers' },
          ],
        }),
      );
      expect(reads).toHaveLength(3);
      const writes = events(
        await actiontrail(server, admin, 'LookupEvents', {
          LookupAttribute: [
            { Key: 'User', Value: 'app' },
            { Key: 'EventRW', Value: 'Write' },
          ],
        }),
      );
      expect(writes.map((e) => e.eventName)).toEqual(['CreateUser']);
      const seen: string[] = [];
      let token: unknown;
      do {
        const page = await lookupByKey(server, admin, app.id, {
          MaxResults: 2,
          ...(token !== undefined && { NextToken: token }),
        });
        expect(events(page).length).toBeLessThanOrEqual(2);
        seen.push(...events(page).map((e) => e.eventId as string));
        token = page.NextToken;
      } while (token !== undefined);
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
    });

    it('commits a write action with its event: LookupEvents finds it at once, before any flush', async () => {
      const account = await server.createAccount();
      const admin = { id: account.accessKeyId, secret: account.accessKeySecret };
      const ram = clients(server.endpoint, admin, 'v3').ram;
      const made = await ram.createGroup(new RamModule.CreateGroupRequest({ groupName: 'audited' }));
      const found = events(
        await actiontrail(server, admin, 'LookupEvents', {
          LookupAttribute: [{ Key: 'EventName', Value: 'CreateGroup' }],
        }),
      );
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({
        requestId: made.body?.requestId,
        eventRW: 'Write',
        requestParameters: { GroupName: 'audited' },
        userIdentity: { userName: 'admin', accessKeyId: admin.id },
      });
      expect(found[0]?.errorCode).toBeUndefined();
    });

    // That the flush comes by itself within a second is the usage recorder's own test.
    it('moves GetAccessKeyLastUsed with the next flush after a call, with its service', async () => {
      const { accountId, admin, cliEnv } = await quietScene();
      const ims = clients(server.endpoint, admin, 'v3').ims;
      const upn = `app@${accountId}.onaliyun.com`;
      const created = await ims.createAccessKey(
        new ImsModule.CreateAccessKeyRequest({ userPrincipalName: upn }),
      );
      const fresh = {
        id: created.body?.accessKey?.accessKeyId ?? '',
        secret: created.body?.accessKey?.accessKeySecret ?? '',
      };
      const lastUsed = async () =>
        (
          await ims.getAccessKeyLastUsed(
            new ImsModule.GetAccessKeyLastUsedRequest({ userAccessKeyId: fresh.id, userPrincipalName: upn }),
          )
        ).body?.accessKeyLastUsed;
      expect((await lastUsed())?.lastUsedDate ?? '').toBe('');
      await clients(server.endpoint, fresh, 'v3').sts.getCallerIdentity();
      await server.flush();
      expect((await lastUsed())?.lastUsedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect((await lastUsed())?.serviceName).toBe('Sts');
      // The listing shows the same, as a Ramkey extension, for every key at once.
      const listed = await pop(server, '2019-08-15', admin).request<{ AccessKeys: { AccessKey: Json[] } }>(
        'ListAccessKeys',
        { UserPrincipalName: upn },
      );
      expect(listed.AccessKeys.AccessKey.find((k) => k.AccessKeyId === fresh.id)).toMatchObject({
        LastUsedServiceName: 'Sts',
        LastUsedSourceIp: '127.0.0.1',
      });
      const cli = await runCli(['keys', 'last-used', fresh.id, '--json'], cliEnv);
      expect(JSON.parse(cli.stdout)).toMatchObject({
        LastUsedServiceName: 'Sts',
        LastUsedSourceIp: '127.0.0.1',
      });
      await ims.deleteAccessKey(
        new ImsModule.DeleteAccessKeyRequest({ userAccessKeyId: fresh.id, userPrincipalName: upn }),
      );
    });

    it('answers the AccessKey audit actions: info, products and events', async () => {
      const { accountId, admin, app } = await scene();
      const info = await actiontrail(server, admin, 'GetAccessKeyLastUsedInfo', { AccessKey: app.id });
      expect(info).toMatchObject({
        AccessKeyId: app.id,
        AccountId: accountId,
        AccountType: 'ram-user',
        UserName: 'app',
        OwnerId: accountId,
        ServiceName: 'Ram',
        ServiceNameEn: 'Resource Access Management',
        Source: 'ManagementEvent',
      });
      expect((JSON.parse(info.Detail as string) as Json).eventName).toBe('ListUsers');

      const products = await actiontrail(server, admin, 'GetAccessKeyLastUsedProducts', {
        AccessKey: app.id,
      });
      expect((products.Products as Json[]).map((p) => [p.ServiceName, p.CallCount])).toEqual([
        ['Ram', 3],
        ['Sts', 1],
      ]);
      const ram = await actiontrail(server, admin, 'GetAccessKeyLastUsedEvents', {
        AccessKey: app.id,
        ServiceName: 'Ram',
      });
      expect((ram.Events as Json[]).map((e) => [e.EventName, e.CallCount])).toEqual([
        ['ListUsers', 2],
        ['CreateUser', 1],
      ]);
      // A built-in service's code matches in any case, as it does in the audit filters.
      const lower = await actiontrail(server, admin, 'GetAccessKeyLastUsedEvents', {
        AccessKey: app.id,
        ServiceName: 'ram',
      });
      expect(lower.Events).toEqual(ram.Events);
      const ips = await actiontrail(server, admin, 'GetAccessKeyLastUsedIps', {
        AccessKey: app.id,
        ServiceName: 'STS',
      });
      expect((ips.Ips as Json[]).map((i) => i.CallCount)).toEqual([1]);
      // The admin's key was used, the fresh one of another user never: an unused key has no use fields.
      const created = await clients(server.endpoint, admin, 'v3').ram.createAccessKey(
        new RamModule.CreateAccessKeyRequest({ userName: 'app' }),
      );
      const unusedId = created.body?.accessKey?.accessKeyId ?? '';
      const unused = await actiontrail(server, admin, 'GetAccessKeyLastUsedInfo', { AccessKey: unusedId });
      expect(unused).toMatchObject({ AccessKeyId: unusedId, UserName: 'app' });
      expect(unused.UsedTimestamp).toBeUndefined();
      await clients(server.endpoint, admin, 'v3').ram.deleteAccessKey(
        new RamModule.DeleteAccessKeyRequest({ userName: 'app', userAccessKeyId: unusedId }),
      );
    });

    it('names the owner of a key of the account, through the API and "ramkey keys owner"', async () => {
      const { accountId, admin, app, cliEnv } = await scene();
      const body = await pop(server, '2019-08-15', admin).request<{ AccessKeyOwner: Json }>(
        'GetAccessKeyOwner',
        { UserAccessKeyId: app.id },
      );
      expect(body.AccessKeyOwner).toMatchObject({
        AccessKeyId: app.id,
        AccountId: accountId,
        PrincipalType: 'ram-user',
        UserName: 'app',
        UserPrincipalName: `app@${accountId}.onaliyun.com`,
        Status: 'Active',
        State: 'Live',
      });
      const cli = await runCli(['keys', 'owner', app.id], cliEnv);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toMatch(/Owner:\s+RAM user app/);
    });

    it('keeps each account to its own: another account sees none of it, and its keys are "not found"', async () => {
      const { accountId, admin, app, cliEnv } = await scene();
      const other = await server.createAccount();
      const tenant = { id: other.accessKeyId, secret: other.accessKeySecret };
      expect(events(await lookupByKey(server, tenant, app.id))).toEqual([]);
      const theirs = events(await actiontrail(server, tenant, 'LookupEvents', {}));
      expect(theirs.every((e) => (e.userIdentity as Json).accountId !== accountId)).toBe(true);
      for (const action of ['GetAccessKeyLastUsedIps', 'GetAccessKeyLastUsedInfo']) {
        expect((await sdkError(actiontrail(server, tenant, action, { AccessKey: app.id }))).code).toBe(
          'InvalidAccessKeyId.NotFound',
        );
      }
      const owner = await runCli(['keys', 'owner', app.id], {
        ...cliEnv,
        RAMKEY_ACCESS_KEY_ID: tenant.id,
        RAMKEY_ACCESS_KEY_SECRET: tenant.secret,
      });
      expect(owner.code).toBe(1);
      expect(owner.stderr).toContain('InvalidAccessKeyId.NotFound');
      // A call with an unknown key is recorded against no account: no tenant sees it.
      const ghost = { id: 'LTAI' + 'A'.repeat(20), secret: 'x'.repeat(30) };
      await expect(pop(server, '2015-05-01', ghost).request('ListUsers', {})).rejects.toMatchObject({
        code: 'InvalidAccessKeyId.NotFound',
      });
      await server.flush();
      expect(events(await lookupByKey(server, admin, ghost.id))).toEqual([]);
      expect(events(await lookupByKey(server, tenant, ghost.id))).toEqual([]);
      // Operators see it, from the data directory, with the claimed ID masked (it is no real ID).
      const probes = await runCli(['audit', 'probes', '--data', server.dataDir, '--json'], server.env);
      expect(probes.code, probes.stderr).toBe(0);
      expect(JSON.parse(probes.stdout) as Json[]).toContainEqual(
        expect.objectContaining({
          eventName: 'ListUsers',
          errorCode: 'InvalidAccessKeyId.NotFound',
          recipientAccountId: '',
          userIdentity: expect.objectContaining({ accessKeyId: 'LTAI****', type: '' }) as unknown,
        }),
      );
    });

    it('needs permission: a user without ActionTrail rights is refused, ReadOnlyAccess may look', async () => {
      const { admin, app } = await scene();
      const denied = await sdkError(lookupByKey(server, app, app.id));
      expect(denied.code).toBe('NoPermission');
      await clients(server.endpoint, admin, 'v3').ram.attachPolicyToUser(
        new RamModule.AttachPolicyToUserRequest({
          userName: 'app',
          policyName: 'ReadOnlyAccess',
          policyType: 'System',
        }),
      );
      expect(events(await lookupByKey(server, app, app.id)).length).toBeGreaterThan(0);
    });

    it('answers LookupEvents in XML too, nested fields as elements', async () => {
      const { admin, app } = await scene();
      const signed = signRpcV1({
        method: 'GET',
        params: {
          Action: 'LookupEvents',
          Version: ACTIONTRAIL,
          Format: 'XML',
          'LookupAttribute.1.Key': 'EventAccessKeyId',
          'LookupAttribute.1.Value': app.id,
          MaxResults: '1',
        },
        accessKeyId: admin.id,
        secret: admin.secret,
        nonce: randomUUID(),
        timestamp: toWireDate(Date.now()),
      });
      const res = await fetch(`http://${server.endpoint}/?${signed.query}`);
      const xml = await res.text();
      expect(res.status, xml).toBe(200);
      expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><LookupEventsResponse><RequestId>/);
      expect(xml).toMatch(/<Events><eventId>[0-9a-f-]{36}<\/eventId>/);
      expect(xml).toContain(`<userIdentity><type>ram-user</type>`);
      expect(xml).toContain(`<accessKeyId>${app.id}</accessKeyId>`);
      expect(xml).toMatch(/<NextToken>[A-Za-z0-9_-]+<\/NextToken>/);
    });

    it('refuses bad LookupEvents parameters with clear codes', async () => {
      const admin = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
      const cases: [Json, string][] = [
        [{ MaxResults: 51 }, 'InvalidParameter'],
        [{ MaxResults: 0 }, 'InvalidParameter'],
        [{ NextToken: 'not-a-token' }, 'InvalidParameter.NextToken'],
        [{ LookupAttribute: [{ Key: 'Color', Value: 'red' }] }, 'InvalidParameter'],
        [{ LookupAttribute: [{ Key: 'EventRW', Value: 'Sometimes' }] }, 'InvalidParameter'],
        [
          { 'LookupAttribute.9.Key': 'EventName', 'LookupAttribute.9.Value': 'ListUsers' },
          'InvalidParameter',
        ],
        [{ 'LookupAttribute.1.Value': 'ListUsers' }, 'MissingParameter'],
        [{ 'LookupAttribute.1.Key': 'EventName' }, 'MissingParameter'],
        [
          {
            LookupAttribute: [
              { Key: 'EventName', Value: 'ListUsers' },
              { Key: 'EventName', Value: 'GetUser' },
            ],
          },
          'InvalidParameter',
        ],
        [{ StartTime: '2026-11-01T00:00:00Z' }, 'MissingParameter'],
        [{ StartTime: 'yesterday', EndTime: '2026-11-01T00:00:00Z' }, 'InvalidParameter'],
        [{ StartTime: '2026-11-02T00:00:00Z', EndTime: '2026-11-01T00:00:00Z' }, 'InvalidParameter'],
        [{ Direction: 'SIDEWAYS' }, 'InvalidParameter'],
      ];
      for (const [query, code] of cases) {
        const error = await sdkError(actiontrail(server, admin, 'LookupEvents', query));
        expect([JSON.stringify(query), error.code]).toEqual([JSON.stringify(query), code]);
        expect(error.statusCode).toBe(400);
      }
    });

    it('shows events with "ramkey audit events" and exports them as JSON Lines', async () => {
      const { admin, app, cliEnv } = await scene();
      await clients(server.endpoint, admin, 'v3').ram.createGroup(
        new RamModule.CreateGroupRequest({ groupName: 'audited' }),
      );
      const table = await runCli(['audit', 'events', '--key', app.id], cliEnv);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(
        /TIME\s+ACTION\s+SERVICE\s+USER\s+ACCESS KEY\s+SOURCE IP\s+TARGET\s+RESULT/,
      );
      // The target column names what the call acted on.
      expect(table.stdout).toMatch(
        /CreateUser\s+Ram\s+app\s+LTAI\S+\s+127\.0\.0\.1\s+UserName=intruder\s+NoPermission/,
      );
      const json = await runCli(['audit', 'events', '--action', 'CreateGroup', '--json'], cliEnv);
      expect((JSON.parse(json.stdout) as Json[]).map((e) => e.eventName)).toEqual(['CreateGroup']);

      const exported = await runCli(
        ['audit', 'export', '--since', '1h', '--until', '0s', '--key', app.id],
        cliEnv,
      );
      expect(exported.code, exported.stderr).toBe(0);
      const lines = exported.stdout.trim().split('\n');
      const parsed = lines.map((l) => JSON.parse(l) as Json);
      expect(parsed.length).toBeGreaterThanOrEqual(5);
      expect(parsed.every((e) => (e.userIdentity as Json).accessKeyId === app.id)).toBe(true);
      // Oldest first.
      const times = parsed.map((e) => e.eventTime as string);
      expect([...times].sort()).toEqual(times);
      expect(exported.stderr).toContain(`exported ${String(parsed.length)} events`);

      const file = join(server.dataDir, 'export.jsonl');
      const toFile = await runCli(
        ['audit', 'export', '--since', '1h', '--until', '0s', '--output', file],
        cliEnv,
      );
      expect(toFile.code, toFile.stderr).toBe(0);
      expect(toFile.stdout).toBe('');
      const written = readFileSync(file, 'utf8').trim().split('\n');
      expect(toFile.stderr).toContain(`exported ${String(written.length)} events`);
      expect(written.map((l) => (JSON.parse(l) as Json).eventId)).toEqual(
        expect.arrayContaining(parsed.map((e) => e.eventId)),
      );

      const bad = await runCli(['audit', 'export', '--since', 'last tuesday'], cliEnv);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('Invalid --since');
    });
  });
}

describeSqlite('audit trail on SQLite', () => {
  auditSuite('sqlite');
});

await describePostgres('audit trail on PostgreSQL', () => {
  auditSuite('postgres');
});
