// Custom services through the official SDK clients (RAM 2015-05-01, Ramkey extensions, sent with
// @alicloud/openapi-core's generic callApi as a product SDK would): CreateService and friends, their
// refusals, the global services an operator registers, authorization, ReadOnlyAccess by the
// read/write flag, the simulator on custom actions, and the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDERS_DOCUMENT } from '../support/service-documents.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { runCli } from '../support/ramkey-server.js';
import { callAction, clients, RamModule, sdkError, type Key } from '../support/sdk.js';
import { describeSqlite } from '../support/test-stores.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RAM = '2015-05-01';
const ORDERS = JSON.stringify(ORDERS_DOCUMENT);
const WIRE_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app.stop();
});

function ram(key: Key, action: string, query: Record<string, unknown> = {}) {
  return callAction(app.endpoint, key, { action, version: RAM, query }) as Promise<Record<string, unknown>>;
}

/** A document of one RPC-style action under its own path prefix (no two services claim one). */
function rpcDocument(prefix: string, action = 'Ping') {
  return JSON.stringify({
    Version: '1',
    PathPrefixes: [prefix],
    Actions: [{ Name: action, Access: 'Read' }],
  });
}

async function tenant() {
  const account = await app.createAccount();
  const admin: Key = { id: account.accessKeyId, secret: account.accessKeySecret };
  const sdk = clients(app.endpoint, admin, 'v3');
  return {
    accountId: account.accountId,
    admin,
    sdk,
    /** A RAM user with a key and the given policies (system by name, or custom documents). */
    async user(userName: string, policies: (string | { name: string; document: unknown })[]): Promise<Key> {
      await sdk.ram.createUser(new RamModule.CreateUserRequest({ userName }));
      for (const p of policies) {
        if (typeof p !== 'string') {
          await sdk.ram.createPolicy(
            new RamModule.CreatePolicyRequest({
              policyName: p.name,
              policyDocument: JSON.stringify(p.document),
            }),
          );
        }
        await sdk.ram.attachPolicyToUser(
          new RamModule.AttachPolicyToUserRequest({
            userName,
            policyName: typeof p === 'string' ? p : p.name,
            policyType: typeof p === 'string' ? 'System' : 'Custom',
          }),
        );
      }
      const made = await sdk.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }));
      return {
        id: made.body?.accessKey?.accessKeyId ?? '',
        secret: made.body?.accessKey?.accessKeySecret ?? '',
      };
    },
  };
}

describe('custom services through the API', () => {
  it('creates, shows, lists, updates and deletes a service', async () => {
    const { admin } = await tenant();
    const created = await ram(admin, 'CreateService', {
      ServiceName: 'orders',
      ServiceDocument: ORDERS,
      Description: 'The orders API',
    });
    expect(created).toMatchObject({
      RequestId: expect.any(String) as unknown,
      Service: {
        ServiceName: 'orders',
        Scope: 'Account',
        Description: 'The orders API',
        ServiceDocument: ORDERS,
        CreateDate: expect.stringMatching(WIRE_DATE) as unknown,
        UpdateDate: expect.stringMatching(WIRE_DATE) as unknown,
      },
    });
    expect((await ram(admin, 'GetService', { ServiceName: 'orders' })).Service).toEqual(created.Service);

    await ram(admin, 'CreateService', { ServiceName: 'billing', ServiceDocument: rpcDocument('/billing') });
    const listed = await ram(admin, 'ListServices');
    expect(listed).toMatchObject({ IsTruncated: false });
    expect(
      (listed.Services as { Service: { ServiceName: string }[] }).Service.map((s) => s.ServiceName),
    ).toEqual(['billing', 'orders']);
    const first = await ram(admin, 'ListServices', { MaxItems: 1 });
    expect(first).toMatchObject({ IsTruncated: true, Services: { Service: [{ ServiceName: 'billing' }] } });
    const second = await ram(admin, 'ListServices', { MaxItems: 1, Marker: first.Marker });
    expect(second).toMatchObject({ Services: { Service: [{ ServiceName: 'orders' }] } });

    const moved = JSON.stringify({ ...ORDERS_DOCUMENT, PathPrefixes: ['/v2'] });
    const updated = await ram(admin, 'UpdateService', {
      ServiceName: 'orders',
      NewServiceDocument: moved,
      NewDescription: 'Orders, v2',
    });
    expect(updated.Service).toMatchObject({
      ServiceDocument: moved,
      Description: 'Orders, v2',
      Scope: 'Account',
    });
    const described = await ram(admin, 'UpdateService', { ServiceName: 'orders', NewDescription: 'Orders' });
    expect(described.Service).toMatchObject({ ServiceDocument: moved, Description: 'Orders' });

    expect(await ram(admin, 'DeleteService', { ServiceName: 'orders' })).toEqual({
      RequestId: expect.any(String) as unknown,
    });
    const gone = await sdkError(ram(admin, 'GetService', { ServiceName: 'orders' }));
    expect(gone).toMatchObject({ code: 'EntityNotExist.Service', statusCode: 404 });
  });

  it('refuses what is not valid, with codes and messages that say why', async () => {
    const { admin } = await tenant();
    const refused = async (action: string, query: Record<string, unknown>) => {
      const e = await sdkError(ram(admin, action, query));
      // The SDK's own message adds its decoration; the body's Message is the server's, as sent.
      const message = e.data?.Message;
      return `${String(e.statusCode)} ${e.code}: ${typeof message === 'string' ? message : e.message}`;
    };
    expect(await refused('CreateService', { ServiceName: 'Orders', ServiceDocument: ORDERS })).toBe(
      '400 InvalidParameter.ServiceName.Format: The parameter - "ServiceName" must be 2-32 lower-case letters, digits and "-", starting with a letter.',
    );
    expect(await refused('CreateService', { ServiceName: 'ims', ServiceDocument: ORDERS })).toContain(
      '400 InvalidParameter.ServiceName.Reserved: The service name "ims" is reserved',
    );
    expect(await refused('CreateService', { ServiceName: 'orders' })).toContain(
      '400 MissingParameter: The input parameter "ServiceDocument"',
    );
    const unknownKey = JSON.stringify({
      ...ORDERS_DOCUMENT,
      Actions: [{ Name: 'A', Access: 'Read', Rsik: 'High' }],
    });
    expect(await refused('CreateService', { ServiceName: 'orders', ServiceDocument: unknownKey })).toBe(
      '400 MalformedServiceDocument: The service document is malformed: Actions[0] has an unknown key "Rsik"; allowed (case-sensitive): Name, Access, Method, Path, Resource, Risk.',
    );
    expect(
      await refused('CreateService', { ServiceName: 'orders', ServiceDocument: '{"Version":"1",' }),
    ).toContain('MalformedServiceDocument: The service document is malformed: invalid JSON');
    await ram(admin, 'CreateService', { ServiceName: 'orders', ServiceDocument: ORDERS });
    expect(
      await refused('CreateService', { ServiceName: 'orders', ServiceDocument: rpcDocument('/x') }),
    ).toBe('409 EntityAlreadyExists.Service: The service does already EXIST.');
    expect(await refused('CreateService', { ServiceName: 'orders-copy', ServiceDocument: ORDERS })).toBe(
      '409 EntityAlreadyExists.Service.Route: The service "orders" already claims the host "orders.example.com" with the path prefix "/orders-api" ("" is any): a request there would match both.',
    );
    expect(await refused('UpdateService', { ServiceName: 'nothing', NewDescription: 'x' })).toBe(
      '404 EntityNotExist.Service: The service does not exist.',
    );
    expect(await refused('DeleteService', { ServiceName: 'nothing' })).toContain(
      '404 EntityNotExist.Service',
    );
    expect(
      await refused('UpdateService', { ServiceName: 'orders', NewDescription: 'x'.repeat(1025) }),
    ).toContain('400 InvalidParameter.NewDescription.Length');
    expect(await refused('ListServices', { Marker: 'bogus' })).toContain('400 InvalidParameter.Marker');
    expect(await refused('ListServices', { MaxItems: 0 })).toContain('400 InvalidParameter.MaxItems');
  });

  it('holds an account to 50 services, and reports them in GetAccountSummary', async () => {
    const { admin } = await tenant();
    for (let i = 0; i < 50; i++) {
      await ram(admin, 'CreateService', {
        ServiceName: `svc-${String(i)}`,
        ServiceDocument: rpcDocument(`/p${String(i)}`),
      });
    }
    const over = await sdkError(
      ram(admin, 'CreateService', { ServiceName: 'svc-50', ServiceDocument: rpcDocument('/p50') }),
    );
    expect(over).toMatchObject({ code: 'LimitExceeded.Service', statusCode: 409 });
    const summary = (await callAction(app.endpoint, admin, {
      action: 'GetAccountSummary',
      version: '2019-08-15',
    })) as {
      SummaryMap: Record<string, number>;
    };
    expect(summary.SummaryMap).toMatchObject({ Services: 50, ServicesQuota: 50 });
  });

  it("keeps one account's services from another, names and routes included", async () => {
    const [a, b] = [await tenant(), await tenant()];
    await ram(a.admin, 'CreateService', { ServiceName: 'orders', ServiceDocument: ORDERS });
    expect((await sdkError(ram(b.admin, 'GetService', { ServiceName: 'orders' }))).code).toBe(
      'EntityNotExist.Service',
    );
    expect((await sdkError(ram(b.admin, 'DeleteService', { ServiceName: 'orders' }))).code).toBe(
      'EntityNotExist.Service',
    );
    // The same name and the same host and prefix are free in another account.
    await ram(b.admin, 'CreateService', { ServiceName: 'orders', ServiceDocument: ORDERS });
    expect((await ram(b.admin, 'ListServices')).Services).toEqual({
      Service: [expect.objectContaining({ ServiceName: 'orders', Scope: 'Account' })],
    });
  });

  it('authorizes each action as ram:<Action> on the service, and records writes with their change', async () => {
    const t = await tenant();
    const arn = (name: string) => `acs:ram:*:${t.accountId}:service/${name}`;
    const nobody = await t.user('nobody', []);
    const denied = await sdkError(
      ram(nobody, 'CreateService', { ServiceName: 'orders', ServiceDocument: ORDERS }),
    );
    expect(denied).toMatchObject({ code: 'NoPermission', statusCode: 403 });
    expect(denied.accessDeniedDetail ?? denied.data?.AccessDeniedDetail).toMatchObject({
      AuthAction: 'ram:CreateService',
      AuthResource: arn('orders'),
    });
    const ordersOnly = await t.user('orders-team', [
      {
        name: 'ManageOrdersService',
        document: {
          Version: '1',
          Statement: [{ Effect: 'Allow', Action: 'ram:*Service', Resource: arn('orders') }],
        },
      },
    ]);
    await ram(ordersOnly, 'CreateService', { ServiceName: 'orders', ServiceDocument: ORDERS });
    await ram(ordersOnly, 'UpdateService', { ServiceName: 'orders', NewDescription: 'mine' });
    expect(
      (
        await sdkError(
          ram(ordersOnly, 'CreateService', { ServiceName: 'billing', ServiceDocument: rpcDocument('/b') }),
        )
      ).code,
    ).toBe('NoPermission');
    // ListServices is on `*`, which a right on one service does not cover.
    expect((await sdkError(ram(ordersOnly, 'ListServices'))).code).toBe('NoPermission');

    await app.flush();
    const events = (await callAction(app.endpoint, t.admin, {
      action: 'LookupEvents',
      version: '2020-07-06',
      query: { LookupAttribute: [{ Key: 'EventName', Value: 'CreateService' }] },
    })) as { Events: Record<string, unknown>[] };
    const written = events.Events.filter((e) => e.errorCode === undefined);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      eventName: 'CreateService',
      eventRW: 'Write',
      serviceName: 'Ram',
      userIdentity: { userName: 'orders-team' },
      requestParameters: { ServiceName: 'orders', ServiceDocument: ORDERS },
    });
    expect(events.Events.filter((e) => e.errorCode === 'NoPermission')).toHaveLength(2);
  });

  // A custom service's calls are audited and counted under its code (lower case, with dashes): the
  // trail's ServiceName filters take such a code.
  it("lets the trail's ServiceName filters name a service code", async () => {
    const { admin } = await tenant();
    const byService = (await callAction(app.endpoint, admin, {
      action: 'LookupEvents',
      version: '2020-07-06',
      query: { LookupAttribute: [{ Key: 'ServiceName', Value: 'orders-api' }] },
    })) as { Events: unknown[] };
    expect(byService.Events).toEqual([]);
    const ips = (await callAction(app.endpoint, admin, {
      action: 'GetAccessKeyLastUsedIps',
      version: '2020-07-06',
      query: { AccessKey: admin.id, ServiceName: 'orders-api' },
    })) as Record<string, unknown>;
    expect(ips).toMatchObject({ RequestId: expect.any(String) as unknown });
  });

  it("lets ReadOnlyAccess read services and simulate, and grants a service's actions by their flag", async () => {
    const t = await tenant();
    await ram(t.admin, 'CreateService', { ServiceName: 'orders', ServiceDocument: ORDERS });
    const reader = await t.user('reader', ['ReadOnlyAccess']);
    expect((await ram(reader, 'GetService', { ServiceName: 'orders' })).Service).toMatchObject({
      ServiceName: 'orders',
    });
    expect((await ram(reader, 'ListServices')).Services).toMatchObject({
      Service: [{ ServiceName: 'orders' }],
    });
    expect((await sdkError(ram(reader, 'DeleteService', { ServiceName: 'orders' }))).code).toBe(
      'NoPermission',
    );

    // The simulators are Read actions: ReadOnlyAccess covers them now (no read verb in their names).
    const simulate = (action: string, resource = '*') =>
      ram(reader, 'SimulatePrincipalPolicy', {
        UserName: 'reader',
        ActionName: action,
        ResourceArn: resource,
      });
    expect(await simulate('ram:GetUser')).toMatchObject({ EvalDecision: 'allowed' });
    const order = `acs:orders:*:${t.accountId}:order/42`;
    expect(await simulate('orders:GetOrder', order)).toMatchObject({
      EvalDecision: 'allowed',
      MatchedStatement: { PolicyName: 'ReadOnlyAccess', PolicyType: 'System' },
    });
    expect(await simulate('ORDERS:listorders')).toMatchObject({ EvalDecision: 'allowed' });
    expect(await simulate('orders:CreateOrder', order)).toMatchObject({ EvalDecision: 'implicitDeny' });
    // An action no service has has no flag: ReadOnlyAccess grants nothing for it.
    expect(await simulate('orders:Unknown')).toMatchObject({ EvalDecision: 'implicitDeny' });
    expect(await simulate('ram:CreateUser')).toMatchObject({ EvalDecision: 'implicitDeny' });
  });
});

describeSqlite('global services', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ramkey-global-services-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const operator = (...args: string[]) =>
    runCli(['global-services', ...args, '--data', app.dataDir], app.env);

  it('are registered by the operator, seen by every account, and read-only through the API', async () => {
    const file = join(dir, 'payments.json');
    writeFileSync(file, rpcDocument('/payments', 'Pay'));
    const created = await operator(
      'create',
      'payments',
      '--document',
      file,
      '--description',
      'Payments',
      '--json',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      ServiceName: 'payments',
      Scope: 'Global',
      Description: 'Payments',
    });

    const [a, b] = [await tenant(), await tenant()];
    await ram(a.admin, 'CreateService', { ServiceName: 'orders', ServiceDocument: ORDERS });
    for (const t of [a, b]) {
      expect((await ram(t.admin, 'GetService', { ServiceName: 'payments' })).Service).toMatchObject({
        ServiceName: 'payments',
        Scope: 'Global',
        Description: 'Payments',
      });
    }
    const listed = (await ram(a.admin, 'ListServices')).Services as {
      Service: { ServiceName: string; Scope: string }[];
    };
    expect(listed.Service.filter((s) => ['orders', 'payments'].includes(s.ServiceName))).toEqual([
      expect.objectContaining({ ServiceName: 'orders', Scope: 'Account' }),
      expect.objectContaining({ ServiceName: 'payments', Scope: 'Global' }),
    ]);
    const update = await sdkError(
      ram(b.admin, 'UpdateService', { ServiceName: 'payments', NewDescription: 'mine' }),
    );
    expect(update).toMatchObject({ code: 'InvalidParameter.ServiceName.Global', statusCode: 400 });
    expect((await sdkError(ram(b.admin, 'DeleteService', { ServiceName: 'payments' }))).code).toBe(
      'InvalidParameter.ServiceName.Global',
    );
    // An account's own service of that name takes the global one's place, for that account alone.
    await ram(b.admin, 'CreateService', {
      ServiceName: 'payments',
      ServiceDocument: rpcDocument('/my-payments'),
    });
    expect((await ram(b.admin, 'GetService', { ServiceName: 'payments' })).Service).toMatchObject({
      Scope: 'Account',
    });
    expect((await ram(a.admin, 'GetService', { ServiceName: 'payments' })).Service).toMatchObject({
      Scope: 'Global',
    });

    const removed = await operator('delete', 'payments');
    expect(removed.code, removed.stderr).toBe(0);
    expect((await sdkError(ram(a.admin, 'GetService', { ServiceName: 'payments' }))).code).toBe(
      'EntityNotExist.Service',
    );
  });
});
