// createForwardAuthClient against a stand-in for Ramkey's /forward-auth on a real listener: what it
// sends (the contract's headers, nothing a client could forge its address or the request with), what
// it makes of each answer, and that every failure is a refusal.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createForwardAuthClient, type RequestParts, type Verdict } from '../../src/client/index.js';
import { bodyMismatch, bodyTooLarge, bodyUnsigned, unavailable } from '../../src/client/errors.js';
import { catalog, formatMessage } from '../../src/core/errors/catalog.js';
import { ACCOUNT_ID, KEY_ID, signV3, startFakeRamkey, type FakeRamkey } from './fake-ramkey.js';

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

const HOST = 'orders.example.test';
const BODY = '{"item":"tea","quantity":2}';

/** A V3 request as the SDK signs it, in the shape a Node server receives it. */
function signedParts(options: { method?: string; action?: string; body?: string } = {}): RequestParts {
  const method = options.method ?? 'POST';
  const body = options.body ?? (method === 'POST' ? BODY : undefined);
  const signed = signV3({
    method,
    host: HOST,
    path: '/orders',
    query: { RegionId: 'cn-hangzhou' },
    action: options.action ?? 'CreateOrder',
    ...(body !== undefined && { body, contentType: 'application/json' }),
  });
  return {
    method,
    url: signed.url,
    headers: {
      ...signed.headers,
      'user-agent': 'AlibabaCloud (linux; x64) Node.js/v20',
      accept: 'application/json',
    },
    clientIp: '203.0.113.7',
  };
}

function refused(verdict: Verdict) {
  if (verdict.allowed) throw new Error(`expected a refusal, got ${JSON.stringify(verdict)}`);
  return { ...verdict, json: JSON.parse(verdict.body) as Record<string, unknown> };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('an allowed request', () => {
  it('yields the identity Ramkey answered, typed', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const verdict = await client.verify(signedParts());
    expect(verdict).toEqual({
      allowed: true,
      identity: {
        RequestId: expect.stringMatching(/^[0-9A-F-]{36}$/) as string,
        AccountId: ACCOUNT_ID,
        PrincipalType: 'RAMUser',
        PrincipalName: 'billing-app',
        UserId: '200000000000001',
        AccessKeyId: KEY_ID,
        Service: 'orders',
        Action: 'CreateOrder',
        ContentSha256: signedParts().headers['x-acs-content-sha256'],
        BodyVerified: false,
      },
    });
  });

  it('is asked with the original method, the X-Original-* headers and the signature headers', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const parts = signedParts();
    await client.verify(parts);
    const [got] = ramkey.received;
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe('/forward-auth');
    expect(got?.headers).toMatchObject({
      'x-original-method': 'POST',
      'x-original-uri': parts.url,
      'x-forwarded-host': HOST,
      'x-real-ip': '203.0.113.7',
      authorization: parts.headers.authorization,
      'content-type': 'application/json',
      'user-agent': 'AlibabaCloud (linux; x64) Node.js/v20',
      'x-acs-action': 'CreateOrder',
      'x-acs-version': '2024-01-01',
      'x-acs-content-sha256': parts.headers['x-acs-content-sha256'],
      'x-acs-date': parts.headers['x-acs-date'],
      'x-acs-signature-nonce': parts.headers['x-acs-signature-nonce'],
    });
    // Without forwardBody, no body goes along.
    expect(got?.body.length).toBe(0);
  });

  it('passes the request target exactly as received, percent-encoding and all', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const parts = signedParts({ method: 'GET' });
    // Lower-case escapes and a doubly encoded slash: a URL parser would rewrite either.
    const url = '/orders/a%2fb/%252F?RegionId=cn%2dhangzhou&Tag=%e4%bd%a0+%2B';
    await client.verify({ ...parts, url });
    expect(ramkey.received[0]?.headers['x-original-uri']).toBe(url);
  });

  it('passes repeated headers on, and no hop-by-hop header, nor a forged address or original', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const parts = signedParts();
    await client.verify({
      ...parts,
      clientIp: '198.51.100.4',
      headers: {
        ...parts.headers,
        connection: 'keep-alive, x-hop',
        'x-hop': 'per-connection',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        trailer: 'x-checksum',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
        'content-length': '27',
        expect: '100-continue',
        'x-real-ip': '6.6.6.6',
        'x-forwarded-for': '6.6.6.6',
        forwarded: 'for=6.6.6.6',
        'x-original-uri': '/somewhere-else',
        'x-original-method': 'DELETE',
        'x-forwarded-host': 'evil.example',
        ':authority': HOST,
        'x-acs-meta': ['one', 'two'],
      },
    });
    const headers = ramkey.received[0]?.headers ?? {};
    for (const name of [
      'x-hop',
      'keep-alive',
      'transfer-encoding',
      'te',
      'trailer',
      'upgrade',
      'proxy-authorization',
      'expect',
      'x-forwarded-for',
      'forwarded',
    ]) {
      expect(headers[name], name).toBeUndefined();
    }
    expect(headers).toMatchObject({
      'x-real-ip': '198.51.100.4',
      'x-original-uri': parts.url,
      'x-original-method': 'POST',
      'x-forwarded-host': HOST,
      'x-acs-meta': 'one, two',
    });
    // The connection to Ramkey is the client's own: its Host and framing are fetch's (a POST without
    // a body says Content-Length: 0, not the original's 27).
    expect(headers.host).toBe(new URL(ramkey.endpoint).host);
    expect(headers['content-length']).toBe('0');
  });

  it('sends no X-Real-IP when the address is unknown, even if the client sent one', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const parts = signedParts();
    await client.verify({
      ...parts,
      clientIp: undefined,
      headers: { ...parts.headers, 'x-real-ip': '6.6.6.6' },
    });
    expect(ramkey.received[0]?.headers['x-real-ip']).toBeUndefined();
  });

  it('with the body, lets Ramkey check it, and says so', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const verdict = await client.verify({ ...signedParts(), body: Buffer.from(BODY) });
    expect(verdict.allowed && verdict.identity.BodyVerified).toBe(true);
    expect(ramkey.received[0]?.body.toString()).toBe(BODY);
  });

  it('never sends a body with GET or HEAD, and then does not take it as verified', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const verdict = await client.verify({ ...signedParts({ method: 'GET' }), body: Buffer.from('ignored') });
    expect(verdict.allowed && verdict.identity.BodyVerified).toBe(false);
    expect(ramkey.received[0]?.body.length).toBe(0);
  });

  it('believes BodyVerified only for a body it sent', async () => {
    const answer = { ...identityAnswer(), BodyVerified: true };
    const client = createForwardAuthClient({ endpoint: 'http://ramkey.test', fetch: answering(200, answer) });
    const verdict = await client.verify(signedParts());
    expect(verdict.allowed && verdict.identity.BodyVerified).toBe(false);
  });

  it('to HEAD, reads the identity from the X-Ramkey-* headers (the answer has no body)', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const verdict = await client.verify(signedParts({ method: 'HEAD' }));
    expect(ramkey.received[0]?.method).toBe('HEAD');
    expect(verdict.allowed && verdict.identity).toMatchObject({
      AccountId: ACCOUNT_ID,
      PrincipalType: 'RAMUser',
      AccessKeyId: KEY_ID,
      Action: 'CreateOrder',
      BodyVerified: false,
    });
  });

  it('keeps only the contract fields of the identity', async () => {
    const answer = { ...identityAnswer(), IsAdmin: true };
    const client = createForwardAuthClient({ endpoint: 'http://ramkey.test', fetch: answering(200, answer) });
    const verdict = await client.verify(signedParts());
    expect(verdict.allowed && Object.keys(verdict.identity).sort()).toEqual(
      Object.keys(identityAnswer()).sort(),
    );
  });

  it('takes an answer without ContentSha256 (RPC V1 signs none) as an empty one', async () => {
    const answer: Partial<ReturnType<typeof identityAnswer>> = identityAnswer();
    delete answer.ContentSha256;
    const client = createForwardAuthClient({ endpoint: 'http://ramkey.test', fetch: answering(200, answer) });
    const verdict = await client.verify(signedParts());
    expect(verdict.allowed && verdict.identity.ContentSha256).toBe('');
  });

  it('appends /forward-auth to the endpoint path, with or without a trailing slash', async () => {
    const urls: string[] = [];
    const fetch = ((input: string | URL | Request) => {
      urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      return Promise.resolve(Response.json(identityAnswer()));
    }) as typeof globalThis.fetch;
    for (const endpoint of ['http://ramkey.test', 'http://ramkey.test/', 'https://gw.test/ramkey/?x=1#y']) {
      await createForwardAuthClient({ endpoint, fetch }).verify(signedParts());
    }
    expect(urls).toEqual([
      'http://ramkey.test/forward-auth',
      'http://ramkey.test/forward-auth',
      'https://gw.test/ramkey/forward-auth',
    ]);
  });
});

describe('a refused request', () => {
  it('carries Ramkey’s status and body byte for byte, and its content type', async () => {
    ramkey.denied.add('DeleteOrder');
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const verdict = refused(await client.verify(signedParts({ action: 'DeleteOrder' })));
    expect(verdict.status).toBe(403);
    expect(Buffer.from(verdict.body)).toEqual(ramkey.sent[0]);
    expect(verdict.contentType).toBe('application/json;charset=utf-8');
    expect(verdict.json).toMatchObject({
      Code: 'NoPermission',
      AccessDeniedDetail: { NoPermissionType: 'ImplicitDeny' },
    });
    expect(verdict.cause).toBeUndefined();
  });

  it('when the signature does not match what reached Ramkey', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const parts = signedParts();
    const verdict = refused(
      await client.verify({ ...parts, url: parts.url.replace('cn-hangzhou', 'cn-beijing') }),
    );
    expect(verdict.status).toBe(400);
    expect(verdict.json.Code).toBe('SignatureDoesNotMatch');
  });

  it('when the forwarded body is not the signed one (Ramkey’s own check)', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const verdict = refused(
      await client.verify({ ...signedParts(), body: Buffer.from(BODY.replace('2', '9')) }),
    );
    expect(verdict.status).toBe(400);
    expect(verdict.json.Code).toBe('IncompleteSignature');
    expect(Buffer.from(verdict.body)).toEqual(ramkey.sent[0]);
  });
});

describe('failing closed', () => {
  function expectUnavailable(verdict: Verdict, cause: RegExp) {
    const { status, json, contentType, ...rest } = refused(verdict);
    expect(status).toBe(503);
    expect(contentType).toBe('application/json;charset=utf-8');
    expect(json).toEqual({
      RequestId: expect.stringMatching(/^[0-9A-F-]{36}$/) as string,
      HostId: HOST,
      Code: 'ServiceUnavailable',
      Message: formatMessage('ServiceUnavailable'),
    });
    expect(rest.cause?.message).toMatch(cause);
  }

  it('when Ramkey is down', async () => {
    const client = createForwardAuthClient({ endpoint: `http://127.0.0.1:${await closedPort()}` });
    expectUnavailable(await client.verify(signedParts()), /fetch failed/);
  });

  it('when Ramkey does not answer in time', async () => {
    ramkey.behaviour = 'hang';
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint, timeoutMs: 200 });
    const started = Date.now();
    expectUnavailable(await client.verify(signedParts()), /did not answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('when the fetch ignores the abort and never settles', async () => {
    const fetch = (() => new Promise<Response>(() => undefined)) as typeof globalThis.fetch;
    const client = createForwardAuthClient({ endpoint: 'http://ramkey.test', timeoutMs: 50, fetch });
    expectUnavailable(await client.verify(signedParts()), /did not answer within 50 ms/);
  });

  it('when the answer is not JSON', async () => {
    ramkey.behaviour = 'html';
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    expectUnavailable(await client.verify(signedParts()), /answered 200 without the identity/);
  });

  it.each([
    ['a field missing', { ...identityAnswer(), AccessKeyId: undefined }],
    ['a field of the wrong type', { ...identityAnswer(), BodyVerified: 'true' }],
    ['an unknown principal type', { ...identityAnswer(), PrincipalType: 'Root' }],
    ['an empty account', { ...identityAnswer(), AccountId: '' }],
    ['an array', [identityAnswer()]],
    ['null', null],
  ])('when a 200 carries no identity of the contract: %s', async (_name, answer) => {
    const client = createForwardAuthClient({ endpoint: 'http://ramkey.test', fetch: answering(200, answer) });
    expectUnavailable(await client.verify(signedParts()), /answered 200 without the identity/);
  });

  it.each([
    ['a 502 page from a proxy in front', 502, '<html>Bad Gateway</html>'],
    ['a refusal without a Code', 403, '{"Message":"no"}'],
    ['a redirect', 302, ''],
    ['another success', 204, ''],
  ])('when the answer is not one of the contract: %s', async (_name, status, body) => {
    const fetch = (() =>
      Promise.resolve(new Response(body === '' ? null : body, { status }))) as typeof globalThis.fetch;
    const client = createForwardAuthClient({ endpoint: 'http://ramkey.test', fetch });
    expectUnavailable(await client.verify(signedParts()), new RegExp(`answered HTTP ${status}`));
  });

  it('when a redirect is answered, without following it', async () => {
    const redirecting = createServer((_req, res) => res.writeHead(307, { location: ramkey.endpoint }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = redirecting.address() as AddressInfo;
      const client = createForwardAuthClient({ endpoint: `http://127.0.0.1:${port}` });
      expectUnavailable(await client.verify(signedParts()), /fetch failed/);
      expect(ramkey.received).toEqual([]);
    } finally {
      await new Promise((resolve) => redirecting.close(resolve));
    }
  });

  it('when the request carries a header fetch cannot send', async () => {
    const client = createForwardAuthClient({ endpoint: ramkey.endpoint });
    const parts = signedParts();
    const verdict = await client.verify({ ...parts, headers: { ...parts.headers, 'x-acs-bad': 'a\u0100b' } });
    expectUnavailable(verdict, /./);
  });
});

it('refuses a bad endpoint or timeout when it is made, not per request', () => {
  expect(() => createForwardAuthClient({ endpoint: 'ramkey:8080' })).toThrow(TypeError);
  expect(() => createForwardAuthClient({ endpoint: 'not a url' })).toThrow(TypeError);
  expect(() => createForwardAuthClient({ endpoint: 'http://ramkey.test', timeoutMs: 0 })).toThrow(TypeError);
  expect(() => createForwardAuthClient({ endpoint: 'http://ramkey.test', timeoutMs: NaN })).toThrow(
    TypeError,
  );
});

describe('the client’s own error bodies', () => {
  // The client cannot import the server's catalog: this keeps its copies in step.
  it('use the catalog’s codes, statuses and messages', () => {
    const cases = [
      [unavailable(HOST), 'ServiceUnavailable', formatMessage('ServiceUnavailable')],
      [
        bodyMismatch(HOST, 'R-1'),
        'IncompleteSignature',
        formatMessage('IncompleteSignature', ['x-acs-content-sha256 does not match the body.']),
      ],
      [
        bodyUnsigned(HOST, 'R-1'),
        'IncompleteSignature',
        formatMessage('IncompleteSignature', ['The request body is not covered by the signature.']),
      ],
      [
        bodyTooLarge(HOST, 1024),
        'InvalidParameter.Body.TooLarge',
        formatMessage('InvalidParameter.Body.TooLarge', ['1024']),
      ],
    ] as const;
    for (const [refusal, code, message] of cases) {
      expect(JSON.parse(refusal.body)).toMatchObject({ HostId: HOST, Code: code, Message: message });
      expect(refusal.status).toBe(catalog[code].httpStatus);
    }
  });

  it('name the host only when it looks like one', () => {
    expect(JSON.parse(unavailable('evil"<host>').body)).toMatchObject({ HostId: 'ramkey' });
    expect(JSON.parse(unavailable(undefined).body)).toMatchObject({ HostId: 'ramkey' });
  });
});

function identityAnswer() {
  return {
    RequestId: 'R-1',
    AccountId: ACCOUNT_ID,
    PrincipalType: 'RAMUser',
    PrincipalName: 'billing-app',
    UserId: '200000000000001',
    AccessKeyId: KEY_ID,
    Service: 'orders',
    Action: 'CreateOrder',
    ContentSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    BodyVerified: false,
  };
}

/** A fetch that answers every request with this status and JSON body. */
function answering(status: number, body: unknown): typeof globalThis.fetch {
  return () =>
    Promise.resolve(
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }),
    );
}
