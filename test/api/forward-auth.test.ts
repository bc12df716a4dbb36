// The forward-authentication endpoint as each gateway calls it: Envoy's ext_authz (the request itself,
// its path after /forward-auth/envoy, the body forwarded with `with_request_body`), Traefik's forwardAuth
// (X-Forwarded-Method/-Uri/-Host) and nginx's auth_request (X-Original-*, refusals as 403 with the
// real status and body in headers); only configured gateways are answered and believed.
import http from 'node:http';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1, signV3 } from '../../src/core/signature/index.js';
import { createForwardAuthClient, fastifyForwardAuth } from '../../src/client/index.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { callAction, type Key } from '../support/sdk.js';

const SERVICE = {
  Version: '1',
  Hosts: ['api.example.com'],
  Actions: [
    {
      Name: 'PutThing',
      Access: 'Write',
      Method: 'PUT',
      Path: '/things/{ThingId}',
      Resource: 'acs:things:*:${AccountId}:thing/${ThingId}',
    },
    { Name: 'GetThing', Access: 'Read', Method: 'GET', Path: '/things/{ThingId}' },
  ],
};

const require = createRequire(import.meta.url);
const OpenApi = require('@alicloud/openapi-client') as typeof import('@alicloud/openapi-client');

let server: RunningApp;
let admin: Key;
let nonce = 0;

beforeAll(async () => {
  // 127.0.0.1 only: the tests call from 127.0.0.2 to be someone else.
  server = await startApp({ gateways: ['127.0.0.1'] });
  admin = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
  await callAction(server.endpoint, admin, {
    action: 'CreateService',
    version: '2015-05-01',
    query: { ServiceName: 'things', ServiceDocument: JSON.stringify(SERVICE) },
  });
});
afterAll(async () => {
  await server.stop();
});

/** The headers of a V3 request to api.example.com, signed by the admin key. */
function signed(method: string, path: string, action: string, body = '', query: Record<string, string> = {}) {
  nonce += 1;
  return signV3({
    method,
    host: 'api.example.com',
    path,
    action,
    version: '2026-01-01',
    query,
    body,
    ...(body !== '' && { contentType: 'application/json' }),
    accessKeyId: admin.id,
    secret: admin.secret,
    nonce: `fa-${String(nonce)}-${String(Date.now())}`,
    date: toWireDate(server.clock.now()),
  }).headers;
}

/** A raw request to the endpoint, optionally from another local address. */
function ask(
  path: string,
  init: { method: string; headers: Record<string, string>; body?: string; localAddress?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: init.method,
        headers: init.headers,
        ...(init.localAddress && { localAddress: init.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('forward authentication', () => {
  it('Envoy: the request itself, its body forwarded and checked', async () => {
    const body = '{"Color":"red"}';
    const answer = await ask('/forward-auth/envoy/things/t-1', {
      method: 'PUT',
      headers: { ...signed('PUT', '/things/t-1', 'PutThing', body), 'x-forwarded-for': '203.0.113.9' },
      body,
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      AccountId: server.admin.accountId,
      PrincipalType: 'RAMUser',
      PrincipalName: 'admin',
      Service: 'things',
      Action: 'PutThing',
      BodyVerified: true,
    });
    expect(answer.headers['x-ramkey-body-verified']).toBe('true');
    expect(answer.headers['x-ramkey-action']).toBe('PutThing');

    const tampered = await ask('/forward-auth/envoy/things/t-1', {
      method: 'PUT',
      headers: signed('PUT', '/things/t-1', 'PutThing', body),
      body: '{"Color":"blue"}',
    });
    expect(tampered.status).toBe(400);
    expect(tampered.json.Code).toBe('IncompleteSignature');
  });

  it('Traefik: X-Forwarded-Method, -Uri and -Host', async () => {
    const headers = signed('GET', '/things/t-2', 'GetThing', '', { View: 'full' });
    const answer = await ask('/forward-auth/traefik', {
      method: 'GET',
      headers: {
        ...headers,
        host: '127.0.0.1',
        // A client's own X-Original-URI, passed on by Traefik, is not read on this route.
        'x-original-uri': '/elsewhere',
        'x-forwarded-method': 'GET',
        'x-forwarded-uri': '/things/t-2?View=full',
        'x-forwarded-host': 'api.example.com',
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.Action).toBe('GetThing');
  });

  it('nginx: a refusal comes as 403 with the real status and body in headers', async () => {
    const headers = signed('GET', '/things/t-3', 'GetThing');
    const answer = await ask('/forward-auth', {
      method: 'GET',
      headers: {
        ...headers,
        authorization: (headers.authorization ?? '').replace(/Signature=[0-9a-f]{4}/, 'Signature=0000'),
        host: 'ramkey',
        'x-original-method': 'GET',
        'x-original-uri': '/things/t-3',
        'x-forwarded-host': 'api.example.com',
        'x-ramkey-gateway': 'nginx',
      },
    });
    expect(answer.status).toBe(403);
    expect(answer.headers['x-ramkey-status']).toBe('400');
    expect(JSON.parse(String(answer.headers['x-ramkey-error']))).toMatchObject({
      Code: 'SignatureDoesNotMatch',
    });
    expect(answer.json.Code).toBe('SignatureDoesNotMatch');
  });

  it('an unknown path or action is not found; a path the signature does not cover does not verify', async () => {
    const unknown = await ask('/forward-auth/envoy/gadgets/g-1', {
      method: 'GET',
      headers: signed('GET', '/gadgets/g-1', 'GetThing'),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.Code).toBe('InvalidAction.NotFound');
    const moved = await ask('/forward-auth/envoy/things/t-other', {
      method: 'GET',
      headers: signed('GET', '/things/t-4', 'GetThing'),
    });
    expect(moved.json.Code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a V1 signature for an action found by its path, which V1 does not sign', async () => {
    nonce += 1;
    const { query } = signRpcV1({
      method: 'GET',
      params: { Action: 'GetThing', Version: '2026-01-01' },
      accessKeyId: admin.id,
      secret: admin.secret,
      nonce: `v1-${String(nonce)}`,
      timestamp: toWireDate(server.clock.now()),
    });
    const answer = await ask(`/forward-auth/envoy/things/t-6?${query}`, {
      method: 'GET',
      headers: { host: 'api.example.com' },
    });
    expect(answer.status).toBe(400);
    expect(answer.json.Code).toBe('IncompleteSignature');
  });

  it('answers configured gateways only, and believes only them about the client', async () => {
    const answer = await ask('/forward-auth/envoy/things/t-5', {
      method: 'GET',
      headers: { ...signed('GET', '/things/t-5', 'GetThing'), 'x-real-ip': '127.0.0.1' },
      localAddress: '127.0.0.2',
    });
    expect(answer.status).toBe(403);
    expect(answer.json.Code).toBe('Forbidden.NotGateway');
  });
});

describe('the verification client (ramkey/client) in front of a Fastify API, against Ramkey', () => {
  it('lets a signed call through with its identity, and refuses as Ramkey does', async () => {
    await callAction(server.endpoint, admin, {
      action: 'CreateService',
      version: '2015-05-01',
      query: {
        ServiceName: 'widgets',
        ServiceDocument: JSON.stringify({
          Version: '1',
          PathPrefixes: ['/widgets'],
          Actions: [{ Name: 'PutWidget', Access: 'Write', Method: 'PUT', Path: '/{WidgetId}' }],
        }),
      },
    });
    const api = Fastify();
    await api.register(
      fastifyForwardAuth(createForwardAuthClient({ endpoint: `http://${server.endpoint}` })),
    );
    api.put('/widgets/:id', (request) => ({
      Who: request.ramkey?.PrincipalType,
      Action: request.ramkey?.Action,
      Body: request.body,
    }));
    await api.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = api.server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      const put = (key: Key) =>
        new OpenApi.default(
          new OpenApi.Config({
            accessKeyId: key.id,
            accessKeySecret: key.secret,
            endpoint: `127.0.0.1:${String(address.port)}`,
            protocol: 'http',
          }),
        ).callApi(
          new OpenApi.Params({
            action: 'PutWidget',
            version: '2026-01-01',
            protocol: 'HTTP',
            pathname: '/widgets/w-1',
            method: 'PUT',
            authType: 'AK',
            style: 'ROA',
            reqBodyType: 'json',
            bodyType: 'json',
          }),
          new OpenApi.OpenApiRequest({ body: { Size: 3 } }),
          { autoretry: false } as never,
        ) as Promise<{ body: Record<string, unknown> }>;
      const allowed = await put(admin);
      expect(allowed.body).toEqual({ Who: 'RAMUser', Action: 'PutWidget', Body: { Size: 3 } });
      const refused = await put({ id: admin.id, secret: 'wrong' }).catch(
        (err: unknown) => err as { code: string },
      );
      expect(refused).toMatchObject({ code: 'SignatureDoesNotMatch' });
    } finally {
      await api.close();
    }
  });
});
