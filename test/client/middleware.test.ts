// The Fastify plugin and the Express middleware in real apps on real listeners, in front of a
// stand-in for Ramkey's /forward-auth: customers' signed requests go through them, and the route
// handler runs only for what Ramkey allowed and what the signature covers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createForwardAuthClient,
  expressForwardAuth,
  fastifyForwardAuth,
  keepRawBody,
  type ForwardAuthClient,
  type RamkeyIdentity,
} from '../../src/client/index.js';
import { formatMessage } from '../../src/core/errors/catalog.js';
import {
  ACCOUNT_ID,
  KEY_ID,
  send,
  signV3,
  startFakeRamkey,
  type FakeRamkey,
  type Reply,
} from './fake-ramkey.js';

let ramkey: FakeRamkey;
beforeAll(async () => {
  ramkey = await startFakeRamkey();
});
afterAll(() => ramkey.close());
afterEach(() => {
  ramkey.behaviour = 'verify';
  ramkey.denied.clear();
  ramkey.received.length = 0;
  ramkey.sent.length = 0;
});

const BODY = '{"item":"tea","quantity":2}';
const TAMPERED = '{"item":"tea","quantity":9}';

interface AppOptions {
  forwardBody?: boolean;
  bodyLimit?: number;
  clientIp?: (req: { headers: Record<string, unknown> }) => string | undefined;
}

/** A running app and what its handler saw, one entry per call. */
interface App {
  readonly port: number;
  readonly calls: { identity: RamkeyIdentity | null | undefined; body: unknown }[];
  close(): Promise<void>;
}

type Kind = 'fastify' | 'express, parser first' | 'express, middleware first';

/**
 * An orders API guarded by forward-auth. Express two ways: a JSON parser mounted first that keeps
 * the raw bytes (keepRawBody), or the middleware first, reading the body itself.
 */
async function startApp(kind: Kind, client: ForwardAuthClient, options: AppOptions = {}): Promise<App> {
  const calls: App['calls'] = [];
  if (kind === 'fastify') {
    const app = Fastify({ ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }) });
    await app.register(fastifyForwardAuth(client, options));
    const handler = (request: { ramkey: RamkeyIdentity | null; body: unknown }) => {
      calls.push({ identity: request.ramkey, body: request.body });
      return { identity: request.ramkey, body: request.body ?? null };
    };
    app.post('/orders', handler);
    app.get('/orders', handler);
    app.get('/orders/*', handler);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return { port, calls, close: () => app.close() };
  }
  const app = express();
  if (kind === 'express, parser first') app.use(express.json({ verify: keepRawBody }));
  app.use(expressForwardAuth(client, options));
  const handler = (req: express.Request, res: express.Response) => {
    // Mounted first, the middleware leaves the raw bytes in req.body, as express.raw() would.
    const body: unknown = Buffer.isBuffer(req.body) ? JSON.parse(req.body.toString()) : (req.body ?? null);
    calls.push({ identity: req.ramkey, body });
    res.json({ identity: req.ramkey, body });
  };
  app.post('/orders', handler);
  app.get('/orders', handler);
  app.get('/orders/*rest', handler);
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A customer's call: signed over `signedBody`, sending `sentBody` (tampered when they differ). */
function order(
  port: number,
  options: {
    action?: string;
    signedBody?: string;
    sentBody?: string;
    method?: string;
    path?: string;
    chunked?: boolean;
  } = {},
): Promise<Reply> {
  const method = options.method ?? 'POST';
  const signedBody = options.signedBody ?? (method === 'POST' ? BODY : undefined);
  const signed = signV3({
    method,
    host: `127.0.0.1:${port}`,
    path: options.path ?? '/orders',
    query: { RegionId: 'cn-hangzhou' },
    action: options.action ?? 'CreateOrder',
    ...(signedBody !== undefined && { body: signedBody, contentType: 'application/json' }),
  });
  const sentBody = options.sentBody ?? signedBody;
  return send(port, {
    method,
    url: signed.url,
    headers: signed.headers,
    ...(sentBody !== undefined && { body: sentBody }),
    ...(options.chunked && { chunked: true }),
  });
}

function json(reply: Reply): Record<string, unknown> {
  return JSON.parse(reply.body.toString()) as Record<string, unknown>;
}

const KINDS: Kind[] = ['fastify', 'express, parser first', 'express, middleware first'];

describe.each(KINDS)('%s', (kind) => {
  let apps: App[] = [];
  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
  });
  async function start(client: ForwardAuthClient, options: AppOptions = {}): Promise<App> {
    const app = await startApp(kind, client, options);
    apps.push(app);
    return app;
  }
  const client = () => createForwardAuthClient({ endpoint: ramkey.endpoint });

  describe.each([false, true])('forwardBody %s', (forwardBody) => {
    it('lets an allowed request through, its identity and body reaching the handler', async () => {
      const app = await start(client(), { forwardBody });
      const reply = await order(app.port);
      expect(reply.status).toBe(200);
      expect(app.calls).toHaveLength(1);
      expect(app.calls[0]?.body).toEqual(JSON.parse(BODY));
      expect(app.calls[0]?.identity).toMatchObject({
        AccountId: ACCOUNT_ID,
        PrincipalType: 'RAMUser',
        PrincipalName: 'billing-app',
        AccessKeyId: KEY_ID,
        Action: 'CreateOrder',
        // Ramkey checked the body only when it was sent along; otherwise the middleware did.
        BodyVerified: forwardBody,
      });
      expect(ramkey.received[0]?.body.toString()).toBe(forwardBody ? BODY : '');
    });

    it('refuses with Ramkey’s status and body, byte for byte, and never calls the handler', async () => {
      ramkey.denied.add('CancelOrder');
      const app = await start(client(), { forwardBody });
      const reply = await order(app.port, { action: 'CancelOrder' });
      expect(reply.status).toBe(403);
      expect(reply.headers['content-type']).toBe('application/json;charset=utf-8');
      expect(reply.body).toEqual(ramkey.sent[0]);
      expect(json(reply)).toMatchObject({
        Code: 'NoPermission',
        AccessDeniedDetail: { NoPermissionType: 'ImplicitDeny' },
      });
      expect(app.calls).toEqual([]);
    });

    it('refuses a body changed after signing, and never calls the handler', async () => {
      const app = await start(client(), { forwardBody });
      const reply = await order(app.port, { sentBody: TAMPERED });
      expect(reply.status).toBe(400);
      expect(json(reply)).toMatchObject({
        Code: 'IncompleteSignature',
        Message: formatMessage('IncompleteSignature', ['x-acs-content-sha256 does not match the body.']),
      });
      if (forwardBody) {
        // Ramkey's own refusal, passed on.
        expect(reply.body).toEqual(ramkey.sent[0]);
      } else {
        // The middleware's, under the RequestId of Ramkey's allow (its audit event).
        const allow = JSON.parse(String(ramkey.sent[0])) as RamkeyIdentity;
        expect(json(reply).RequestId).toBe(allow.RequestId);
      }
      expect(app.calls).toEqual([]);
    });

    it('lets a GET through, with its empty body', async () => {
      const app = await start(client(), { forwardBody });
      const reply = await order(app.port, { method: 'GET' });
      expect(reply.status).toBe(200);
      expect(app.calls).toHaveLength(1);
    });

    it('refuses a body added to a GET signed without one', async () => {
      const app = await start(client(), { forwardBody });
      const reply = await order(app.port, { method: 'GET', sentBody: BODY });
      expect(reply.status).toBe(400);
      expect(json(reply)).toMatchObject({ Code: 'IncompleteSignature' });
      expect(app.calls).toEqual([]);
    });
  });

  it('fails closed with 503 ServiceUnavailable when Ramkey is down', async () => {
    const down = await startFakeRamkey();
    await down.close();
    const app = await start(createForwardAuthClient({ endpoint: down.endpoint }));
    const reply = await order(app.port);
    expect(reply.status).toBe(503);
    expect(json(reply)).toMatchObject({ Code: 'ServiceUnavailable', HostId: `127.0.0.1:${app.port}` });
    expect(app.calls).toEqual([]);
  });

  it('fails closed with 503 ServiceUnavailable when Ramkey does not answer in time', async () => {
    ramkey.behaviour = 'hang';
    const app = await start(createForwardAuthClient({ endpoint: ramkey.endpoint, timeoutMs: 300 }));
    const started = Date.now();
    const reply = await order(app.port);
    expect(reply.status).toBe(503);
    expect(json(reply)).toMatchObject({
      Code: 'ServiceUnavailable',
      Message: formatMessage('ServiceUnavailable'),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(app.calls).toEqual([]);
  });

  it('lets an allowed HEAD through (Ramkey’s answer to HEAD has the identity in headers only)', async () => {
    const app = await start(client());
    const reply = await order(app.port, { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(ramkey.received[0]?.method).toBe('HEAD');
    expect(app.calls[0]?.identity).toMatchObject({ AccountId: ACCOUNT_ID, Action: 'CreateOrder' });
  });

  it('tells Ramkey the client’s address as the app sees it, or as clientIp says', async () => {
    const app = await start(client());
    const signed = signV3({
      method: 'GET',
      host: `127.0.0.1:${app.port}`,
      path: '/orders',
      action: 'ListOrders',
    });
    await send(app.port, {
      method: 'GET',
      url: signed.url,
      headers: { ...signed.headers, 'x-real-ip': '6.6.6.6' },
    });
    expect(ramkey.received[0]?.headers['x-real-ip']).toBe('127.0.0.1');

    const overridden = await start(client(), { clientIp: () => '192.0.2.10' });
    await order(overridden.port, { method: 'GET' });
    expect(ramkey.received[1]?.headers['x-real-ip']).toBe('192.0.2.10');
  });

  it('passes the request target on exactly as received', async () => {
    const app = await start(client());
    const reply = await order(app.port, { method: 'GET', path: '/orders/a%2fb%7e' });
    expect(reply.status).toBe(200);
    expect(ramkey.received[0]?.headers['x-original-uri']).toBe('/orders/a%2fb%7e?RegionId=cn-hangzhou');
  });

  it('refuses a body no signature covers (RPC V1 signs the query), but lets an empty one through', async () => {
    const v1: ForwardAuthClient = {
      verify: () =>
        Promise.resolve({
          allowed: true,
          identity: {
            RequestId: 'V1-REQUEST',
            AccountId: ACCOUNT_ID,
            PrincipalType: 'Account',
            PrincipalName: 'root',
            UserId: ACCOUNT_ID,
            AccessKeyId: KEY_ID,
            Service: 'orders',
            Action: 'CreateOrder',
            ContentSha256: '',
            BodyVerified: false,
          },
        }),
    };
    const app = await start(v1);
    const withBody = await send(app.port, {
      method: 'POST',
      url: '/orders?Action=CreateOrder&Signature=x',
      headers: { host: 'orders.test', 'content-type': 'application/json' },
      body: BODY,
    });
    expect(withBody.status).toBe(400);
    expect(json(withBody)).toMatchObject({
      RequestId: 'V1-REQUEST',
      Code: 'IncompleteSignature',
      Message: formatMessage('IncompleteSignature', ['The request body is not covered by the signature.']),
    });
    expect(app.calls).toEqual([]);
    const empty = await send(app.port, {
      method: 'GET',
      url: '/orders?Action=ListOrders',
      headers: { host: 'orders.test' },
    });
    expect(empty.status).toBe(200);
    expect(app.calls).toHaveLength(1);
  });
});

describe.each(['fastify', 'express, middleware first'] as const)('%s, a body over the limit', (kind) => {
  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])(
    'is refused with 413, its body unread by Ramkey (forwardBody %s, chunked %s)',
    async (forwardBody, chunked) => {
      const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
      const app = await startApp(kind, client, { forwardBody, bodyLimit: 64 });
      try {
        const big = JSON.stringify({ item: 'x'.repeat(100) });
        const reply = await order(app.port, { signedBody: big, chunked });
        expect(reply.status).toBe(413);
        expect(json(reply)).toMatchObject({
          Code: 'InvalidParameter.Body.TooLarge',
          Message: formatMessage('InvalidParameter.Body.TooLarge', ['64']),
        });
        expect(app.calls).toEqual([]);
        // Without forwardBody Ramkey is asked first, from the headers: it never sees the body.
        expect(ramkey.received.map((r) => r.body.length)).toEqual(forwardBody ? [] : [0]);
      } finally {
        await app.close();
      }
    },
  );
});

describe('Express, a body parser that kept no raw bytes', () => {
  it('is a setup error: the request fails with 500 and the handler never runs', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const app = express();
    app.use(express.json());
    app.use(expressForwardAuth(client));
    let called = false;
    app.post('/orders', (_req, res) => {
      called = true;
      res.end();
    });
    const errors: unknown[] = [];
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(err);
      res.status(500).end();
    });
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const reply = await order(port);
      expect(reply.status).toBe(500);
      expect(called).toBe(false);
      expect(String(errors[0])).toMatch(/keepRawBody/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Fastify, registered in one context', () => {
  it('guards that context’s routes and no others', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const app = Fastify();
    app.get('/health', () => ({ ok: true }));
    await app.register(async (api) => {
      await api.register(fastifyForwardAuth(client));
      api.get('/orders', (request) => ({ account: request.ramkey?.AccountId }));
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as AddressInfo;
      const open = await send(port, { method: 'GET', url: '/health', headers: {} });
      expect(open.status).toBe(200);
      expect(ramkey.received).toEqual([]);
      const unsigned = await send(port, { method: 'GET', url: '/orders', headers: {} });
      expect(unsigned.status).toBe(400);
      const signed = await order(port, { method: 'GET' });
      expect(json(signed)).toEqual({ account: ACCOUNT_ID });
    } finally {
      await app.close();
    }
  });
});
