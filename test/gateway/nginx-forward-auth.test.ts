// Your own API behind nginx and Ramkey: Debian's nginx with the README's auth_request configuration
// in front of a tiny upstream; the official SDK's generic client (@alicloud/openapi-client callApi,
// ROA and RPC styles, V3 and V1 signatures; pop-core for a bound source address) signs requests to it
// with keys Ramkey issued, and RAM policies on the custom service `orders` decide.
import { createRequire } from 'node:module';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signV3 } from '../../src/core/signature/index.js';
import { toWireDate } from '../../src/core/clock.js';
import { startEchoApi, type EchoApi } from '../support/echo-api.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { nginxAvailable, startNginx, type RunningNginx } from '../support/nginx.js';
import { callAction, ImsModule, PopRpcClient, RamModule, clients, type Key } from '../support/sdk.js';

const require = createRequire(import.meta.url);
const OpenApi = require('@alicloud/openapi-client') as typeof import('@alicloud/openapi-client');

const RAM = '2015-05-01';
const IMS = '2019-08-15';
const ORDERS_VERSION = '2026-01-01';

/** The platform's API, as its team registers it with Ramkey. */
const ORDERS_DOCUMENT = {
  Version: '1',
  PathPrefixes: ['/v1'],
  Actions: [
    {
      Name: 'GetOrder',
      Access: 'Read',
      Method: 'GET',
      Path: '/orders/{OrderId}',
      Resource: 'acs:orders:*:${AccountId}:order/${OrderId}',
    },
    {
      Name: 'CreateOrder',
      Access: 'Write',
      Method: 'POST',
      Path: '/orders',
      Resource: 'acs:orders:*:${AccountId}:order/*',
    },
    {
      Name: 'DeleteOrder',
      Access: 'Write',
      Method: 'DELETE',
      Path: '/orders/{OrderId}',
      Resource: 'acs:orders:*:${AccountId}:order/${OrderId}',
      Risk: 'High',
    },
    { Name: 'ListOrders', Access: 'Read' },
  ],
};

const CATALOG_DOCUMENT = {
  Version: '1',
  Hosts: ['127.0.0.1'],
  Actions: [{ Name: 'ListProducts', Access: 'Read' }],
};

const available = nginxAvailable();
if (!available && process.env.CI) throw new Error('nginx is required under CI (.ci/run installs it)');

let server: RunningApp;
let api: EchoApi;
let gateway: RunningNginx;
let admin: Key;
let accountId: string;

interface Outcome {
  status: number;
  body: Record<string, unknown>;
}

interface SdkFailure {
  code: string;
  statusCode: number;
  message: string;
  accessDeniedDetail?: Record<string, unknown>;
}

/** One call to the orders API through nginx, signed by @alicloud/openapi-client's callApi. */
async function callOrders(
  key: Key,
  call: {
    action: string;
    method: string;
    pathname: string;
    style?: 'ROA' | 'RPC';
    query?: Record<string, string>;
    body?: unknown;
    signature?: 'v3' | 'v1';
  },
): Promise<Outcome> {
  const client = new OpenApi.default(
    new OpenApi.Config({
      accessKeyId: key.id,
      accessKeySecret: key.secret,
      endpoint: gateway.endpoint,
      protocol: 'http',
      ...(call.signature === 'v1' && { signatureAlgorithm: 'v2' }),
    }),
  );
  const response = (await client.callApi(
    new OpenApi.Params({
      action: call.action,
      version: ORDERS_VERSION,
      protocol: 'HTTP',
      pathname: call.pathname,
      method: call.method,
      authType: 'AK',
      style: call.style ?? 'ROA',
      reqBodyType: 'json',
      bodyType: 'json',
    }),
    new OpenApi.OpenApiRequest({
      ...(call.query && { query: call.query }),
      ...(call.body !== undefined && { body: call.body }),
    }),
    { autoretry: false } as never,
  )) as { statusCode: number; body: Record<string, unknown> };
  return { status: response.statusCode, body: response.body };
}

async function failure(call: Promise<unknown>): Promise<SdkFailure> {
  try {
    await call;
  } catch (err) {
    return err as SdkFailure;
  }
  throw new Error('the call was expected to fail');
}

/** A RAM user with a custom policy and a key. */
async function userWithPolicy(name: string, statements: unknown[]): Promise<Key> {
  const ram = clients(server.endpoint, admin, 'v3').ram;
  await ram.createUser(new RamModule.CreateUserRequest({ userName: name }));
  await ram.createPolicy(
    new RamModule.CreatePolicyRequest({
      policyName: `${name}-policy`,
      policyDocument: JSON.stringify({ Version: '1', Statement: statements }),
    }),
  );
  await ram.attachPolicyToUser(
    new RamModule.AttachPolicyToUserRequest({
      userName: name,
      policyName: `${name}-policy`,
      policyType: 'Custom',
    }),
  );
  const created = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: name }));
  return {
    id: created.body?.accessKey?.accessKeyId ?? '',
    secret: created.body?.accessKey?.accessKeySecret ?? '',
  };
}

const orderArn = (id: string) => `acs:orders:*:${accountId}:order/${id}`;

describe.skipIf(!available)('an API of your own behind nginx auth_request and Ramkey', () => {
  let reader: Key;
  let writer: Key;

  beforeAll(async () => {
    server = await startApp();
    api = await startEchoApi();
    gateway = await startNginx({ ramkey: server.port, api: api.port });
    admin = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
    accountId = server.admin.accountId;
    await callAction(server.endpoint, admin, {
      action: 'CreateService',
      version: RAM,
      query: { ServiceName: 'orders', ServiceDocument: JSON.stringify(ORDERS_DOCUMENT) },
    });
    // An RPC API on the gateway's host at any path (openapi-client sends V1 RPC calls to `/`); /v1's
    // service, by its longer path prefix, comes first.
    await callAction(server.endpoint, admin, {
      action: 'CreateService',
      version: RAM,
      query: { ServiceName: 'catalog', ServiceDocument: JSON.stringify(CATALOG_DOCUMENT) },
    });
    reader = await userWithPolicy('reader', [
      { Effect: 'Allow', Action: 'orders:GetOrder', Resource: orderArn('*') },
      // ListOrders names no resource: it is authorized on `*`.
      { Effect: 'Allow', Action: ['orders:ListOrders', 'catalog:ListProducts'], Resource: '*' },
      { Effect: 'Deny', Action: 'orders:GetOrder', Resource: orderArn('o-secret') },
    ]);
    writer = await userWithPolicy('writer', [{ Effect: 'Allow', Action: 'orders:*', Resource: '*' }]);
  }, 60_000);

  afterAll(async () => {
    // Each is undefined when the suite skips (no nginx outside CI).
    await (gateway as RunningNginx | undefined)?.stop();
    await (api as EchoApi | undefined)?.stop();
    await (server as RunningApp | undefined)?.stop();
  });

  it('lets an allowed call through, with the caller named to the API', async () => {
    const { status, body } = await callOrders(reader, {
      action: 'GetOrder',
      method: 'GET',
      pathname: '/v1/orders/o-1',
    });
    expect(status).toBe(200);
    expect(body.Path).toBe('/v1/orders/o-1');
    expect(body.Identity).toMatchObject({
      'x-ramkey-account-id': accountId,
      'x-ramkey-principal-type': 'RAMUser',
      'x-ramkey-principal-name': 'reader',
      'x-ramkey-access-key-id': reader.id,
      'x-ramkey-service': 'orders',
      'x-ramkey-action': 'GetOrder',
      'x-ramkey-body-verified': 'false',
    });
    expect((body.Identity as Record<string, string>)['x-ramkey-request-id']).toMatch(/^[0-9A-F-]{36}$/);
  });

  it('refuses what the policies do not allow, with the detail the SDK reads', async () => {
    const seen = api.seen.length;
    const implicit = await failure(
      callOrders(reader, {
        action: 'CreateOrder',
        method: 'POST',
        pathname: '/v1/orders',
        body: { Item: 'x' },
      }),
    );
    expect(implicit.code).toBe('NoPermission');
    expect(implicit.statusCode).toBe(403);
    expect(implicit.accessDeniedDetail).toMatchObject({
      AuthAction: 'orders:CreateOrder',
      AuthPrincipalDisplayName: 'reader',
      NoPermissionType: 'ImplicitDeny',
    });
    const explicit = await failure(
      callOrders(reader, { action: 'GetOrder', method: 'GET', pathname: '/v1/orders/o-secret' }),
    );
    expect(explicit.code).toBe('NoPermission');
    expect(explicit.accessDeniedDetail).toMatchObject({
      AuthAction: 'orders:GetOrder',
      AuthResource: orderArn('o-secret'),
      PolicyName: 'reader-policy',
      NoPermissionType: 'ExplicitDeny',
    });
    // Neither reached the API.
    expect(api.seen.length).toBe(seen);
  });

  it('maps RPC-style calls by their action, signed V3 or V1', async () => {
    const v3 = await callOrders(reader, {
      action: 'ListOrders',
      method: 'GET',
      pathname: '/v1/',
      style: 'RPC',
      query: { PageSize: '10' },
    });
    expect(v3.status).toBe(200);
    expect((v3.body.Identity as Record<string, string>)['x-ramkey-action']).toBe('ListOrders');
    // openapi-client sends V1 (HMAC-SHA1) RPC calls to `/`, every parameter in the query.
    const v1 = await callOrders(reader, {
      action: 'ListProducts',
      method: 'GET',
      pathname: '/',
      style: 'RPC',
      query: { PageSize: '10' },
      signature: 'v1',
    });
    expect(v1.status).toBe(200);
    expect(v1.body.Identity).toMatchObject({
      'x-ramkey-service': 'catalog',
      'x-ramkey-action': 'ListProducts',
    });
  });

  it('passes a JSON body the API checks against the signed hash', async () => {
    const { status, body } = await callOrders(writer, {
      action: 'CreateOrder',
      method: 'POST',
      pathname: '/v1/orders',
      body: { Item: 'book', Count: 2 },
    });
    expect(status).toBe(200);
    expect(JSON.parse(String(body.Body))).toEqual({ Item: 'book', Count: 2 });
  });

  it('a body changed after signing passes Ramkey (which never saw it) but not the API', async () => {
    const signed = signV3({
      method: 'POST',
      host: gateway.endpoint,
      path: '/v1/orders',
      action: 'CreateOrder',
      version: ORDERS_VERSION,
      query: {},
      body: '{"Count":1}',
      contentType: 'application/json',
      accessKeyId: writer.id,
      secret: writer.secret,
      nonce: `tamper-${String(Date.now())}`,
      date: toWireDate(Date.now()),
    });
    const response = await fetch(`http://${gateway.endpoint}/v1/orders`, {
      method: 'POST',
      headers: { ...signed.headers, authorization: signed.headers.authorization ?? '' },
      body: '{"Count":1000}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { Code: string }).Code).toBe('InvalidParameter.Body.Mismatch');
  });

  it('refuses a wrong secret, a disabled key and a replay', async () => {
    const wrong = await failure(
      callOrders(
        { id: reader.id, secret: 'not-the-secret' },
        { action: 'GetOrder', method: 'GET', pathname: '/v1/orders/o-1' },
      ),
    );
    expect(wrong.code).toBe('SignatureDoesNotMatch');
    expect(wrong.statusCode).toBe(400);

    // Replay: the exact request the API received once, sent again.
    await callOrders(reader, { action: 'GetOrder', method: 'GET', pathname: '/v1/orders/o-2' });
    const original = api.seen.at(-1);
    if (!original) throw new Error('nothing reached the API');
    const headers = Object.fromEntries(
      Object.entries(original.headers).filter(
        ([name]) => name === 'authorization' || name === 'user-agent' || name.startsWith('x-acs-'),
      ),
    ) as Record<string, string>;
    const replay = await fetch(`http://${gateway.endpoint}${original.url}`, { headers });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { Code: string }).Code).toBe('SignatureNonceUsed');

    const temp = await userWithPolicy('temp', [{ Effect: 'Allow', Action: 'orders:*', Resource: '*' }]);
    await clients(server.endpoint, admin, 'v3').ram.updateAccessKey(
      new RamModule.UpdateAccessKeyRequest({
        userName: 'temp',
        userAccessKeyId: temp.id,
        status: 'Inactive',
      }),
    );
    const disabled = await failure(
      callOrders(temp, { action: 'GetOrder', method: 'GET', pathname: '/v1/orders/o-1' }),
    );
    expect(disabled.code).toBe('InvalidAccessKeyId.Inactive');
  });

  it('applies the key network policy to the client address nginx saw', async () => {
    const key = await userWithPolicy('pinned', [{ Effect: 'Allow', Action: 'orders:*', Resource: '*' }]);
    await callAction(server.endpoint, admin, {
      action: 'SetAccessKeyPolicy',
      version: IMS,
      query: {
        UserAccessKeyId: key.id,
        UserPrincipalName: `pinned@${accountId}.onaliyun.com`,
        AccessKeyPolicy: JSON.stringify({
          Version: 1,
          Status: 'Active',
          Statements: [{ Type: 'ClassicWhiteList', IPList: ['127.0.0.2'] }],
        }),
      },
    });
    /** ListOrders through pop-core (V1, GET), from `localAddress`. */
    const listFrom = async (localAddress: string) => {
      const client = new PopRpcClient({
        accessKeyId: key.id,
        accessKeySecret: key.secret,
        endpoint: `http://${gateway.endpoint}/v1`,
        apiVersion: ORDERS_VERSION,
        opts: { agent: new http.Agent({ localAddress }) },
      });
      try {
        await client.request('ListOrders', {}, { method: 'GET' });
        return 'OK';
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    expect(await listFrom('127.0.0.2')).toBe('OK');
    expect(await listFrom('127.0.0.3')).toBe('InvalidAccessKeyId.AccessPolicyDenied');
  });

  it('refuses a leak-restricted key its high-risk actions only', async () => {
    const key = await userWithPolicy('leaky', [{ Effect: 'Allow', Action: 'orders:*', Resource: '*' }]);
    await callAction(server.endpoint, admin, {
      action: 'RestrictAccessKey',
      version: IMS,
      query: {
        UserAccessKeyId: key.id,
        UserPrincipalName: `leaky@${accountId}.onaliyun.com`,
        Reason: 'found in a public repository',
      },
    });
    const refused = await failure(
      callOrders(key, { action: 'DeleteOrder', method: 'DELETE', pathname: '/v1/orders/o-1' }),
    );
    expect(refused.code).toBe('Forbidden');
    expect(refused.statusCode).toBe(403);
    const read = await callOrders(key, { action: 'GetOrder', method: 'GET', pathname: '/v1/orders/o-1' });
    expect(read.status).toBe(200);
  });

  it('records every decision under the service, and the last use with it', async () => {
    await server.flush();
    const events = (await callAction(server.endpoint, admin, {
      action: 'LookupEvents',
      version: '2020-07-06',
      query: { LookupAttribute: [{ Key: 'ServiceName', Value: 'orders' }], MaxResults: 50 },
    })) as { Events: { eventName: string; errorCode?: string; userIdentity: { userName?: string } }[] };
    const seen = events.Events.map((e) => `${e.eventName}:${e.errorCode ?? ''}`);
    expect(seen).toContain('GetOrder:');
    expect(seen).toContain('CreateOrder:NoPermission');
    expect(seen).toContain('DeleteOrder:Forbidden');
    expect(seen).toContain('GetOrder:SignatureNonceUsed');

    const lastUsed = await clients(server.endpoint, admin, 'v3').ims.getAccessKeyLastUsed(
      new ImsModule.GetAccessKeyLastUsedRequest({
        userPrincipalName: `reader@${accountId}.onaliyun.com`,
        userAccessKeyId: reader.id,
      }),
    );
    expect(lastUsed.body?.accessKeyLastUsed?.lastUsedDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(lastUsed.body?.accessKeyLastUsed?.serviceName).toBe('orders');
  });
});
