// Hostile and malformed requests over a real socket: every one gets a clear 4xx with the protocol's
// error envelope, never a 500, never a crash. In process, on one server for the whole file.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1, signV3 } from '../../src/core/signature/index.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';

let server: RunningApp;

beforeAll(async () => {
  server = await startApp();
});

afterAll(async () => {
  await server.stop();
});

// After each hostile request the server still serves, and nothing was logged as a server error.
afterEach(async () => {
  const res = await fetch(`http://${server.endpoint}/health`);
  expect(res.status).toBe(200);
  expect(server.logs.some((l) => l.includes('"level":50'))).toBe(false);
});

interface RawResponse {
  status: number;
  body: string;
  json: Record<string, unknown>;
}

async function send(
  method: 'GET' | 'POST',
  query: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`http://${server.endpoint}/${query ? `?${query}` : ''}`, {
    method,
    headers,
    ...(body !== undefined && { body }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // XML or empty: the test looks at `body`.
  }
  return { status: res.status, body: text, json } satisfies RawResponse;
}

/** A V1-signed request with the admin key; `params` are the business parameters. */
function signedV1(
  params: Record<string, string>,
  options: { method?: 'GET' | 'POST'; timestamp?: string } = {},
) {
  return signRpcV1({
    method: options.method ?? 'GET',
    params: { Format: 'JSON', ...params },
    accessKeyId: server.admin.accessKeyId,
    secret: server.admin.accessKeySecret,
    nonce: randomUUID(),
    timestamp: options.timestamp ?? toWireDate(server.clock.now()),
  });
}

function expectEnvelope(res: RawResponse, status: number, code: string) {
  expect(res.status, res.body).toBe(status);
  expect(res.json.Code).toBe(code);
  expect(res.json.RequestId).toMatch(/^[0-9A-F-]{36}$/);
  expect(typeof res.json.HostId).toBe('string');
  expect(typeof res.json.Message).toBe('string');
}

describe('malformed requests', () => {
  it('refuses an oversized parameter with InvalidParameter.TooLong', async () => {
    const signed = signedV1(
      { Action: 'CreateUser', Version: '2015-05-01', UserName: 'big', Comments: 'x'.repeat(20_000) },
      {
        method: 'POST',
      },
    );
    const res = await send('POST', '', signed.query, { 'content-type': 'application/x-www-form-urlencoded' });
    expectEnvelope(res, 400, 'InvalidParameter.TooLong');
  });

  it('refuses invalid UTF-8 with InvalidParameter.Encoding', async () => {
    const signed = signedV1({ Action: 'GetUser', Version: '2015-05-01', UserName: 'admin' });
    const res = await send('GET', `${signed.query}&Comments=%FF%FE`);
    expectEnvelope(res, 400, 'InvalidParameter.Encoding');
  });

  it('refuses a broken percent-encoding with InvalidParameter.Encoding', async () => {
    const signed = signedV1({ Action: 'GetUser', Version: '2015-05-01', UserName: 'admin' });
    const res = await send('GET', `${signed.query}&Comments=%G0`);
    expectEnvelope(res, 400, 'InvalidParameter.Encoding');
  });

  it('refuses a duplicated parameter with InvalidParameter.Duplicate', async () => {
    const signed = signedV1({ Action: 'GetUser', Version: '2015-05-01', UserName: 'admin' });
    const res = await send('GET', `${signed.query}&UserName=other`);
    expectEnvelope(res, 400, 'InvalidParameter.Duplicate');
    expect(res.json.Message).toContain('UserName');
  });

  it('refuses a 1 MB body with InvalidParameter.Body.TooLarge (413)', async () => {
    const res = await send('POST', '', Buffer.alloc(1024 * 1024, 'a'), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expectEnvelope(res, 413, 'InvalidParameter.Body.TooLarge');
  });

  it('refuses a JSON body with InvalidParameter.ContentType (415)', async () => {
    const res = await send('POST', '', '{"Action":"GetUser"}', { 'content-type': 'application/json' });
    expectEnvelope(res, 415, 'InvalidParameter.ContentType');
  });

  it('refuses user names with spaces or non-ASCII letters, and accepts unicode display names', async () => {
    for (const userName of ['my app', '用户', 'tab\tname', 'a'.repeat(65)]) {
      const signed = signedV1({ Action: 'CreateUser', Version: '2015-05-01', UserName: userName });
      const res = await send('GET', signed.query);
      expect(res.status, userName).toBe(400);
      expect(String(res.json.Code)).toMatch(/^InvalidParameter\.UserName\.(InvalidChars|Length)$/);
    }
    const ok = await send(
      'GET',
      signedV1({
        Action: 'CreateUser',
        Version: '2015-05-01',
        UserName: 'unicode-ok',
        DisplayName: 'App One (测试) *!~',
      }).query,
    );
    expect(ok.status, ok.body).toBe(200);
    expect((ok.json.User as Record<string, string>).DisplayName).toBe('App One (测试) *!~');
    const bad = await send(
      'GET',
      signedV1({ Action: 'CreateUser', Version: '2015-05-01', UserName: 'ctl', DisplayName: 'bell\u0007' })
        .query,
    );
    expectEnvelope(bad, 400, 'InvalidParameter.DisplayName.InvalidChars');
  });

  it('answers InvalidAction.NotFound and InvalidVersion for unknown APIs', async () => {
    expectEnvelope(
      await send('GET', signedV1({ Action: 'Nope', Version: '2015-05-01' }).query),
      404,
      'InvalidAction.NotFound',
    );
    expectEnvelope(
      await send('GET', signedV1({ Action: 'GetUser', Version: '2099-01-01' }).query),
      400,
      'InvalidVersion',
    );
    expectEnvelope(await send('GET', 'x=1', undefined, {}), 400, 'MissingParameter');
    const other = await fetch(`http://${server.endpoint}/some/path`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as Record<string, unknown>).Code).toBe('InvalidAction.NotFound');
  });

  it('answers MissingParameter naming the missing signing parameter', async () => {
    const signed = signedV1({ Action: 'GetUser', Version: '2015-05-01', UserName: 'admin' });
    const withoutSignature = signed.query.replace(/&?Signature=[^&]*/, '');
    const res = await send('GET', withoutSignature);
    expectEnvelope(res, 400, 'MissingParameter');
    expect(res.json.Message).toContain('"Signature"');
  });

  it('refuses expired and malformed timestamps', async () => {
    const old = signedV1(
      { Action: 'GetUser', Version: '2015-05-01', UserName: 'admin' },
      {
        timestamp: toWireDate(server.clock.now() - 16 * 60 * 1000),
      },
    );
    expectEnvelope(await send('GET', old.query), 400, 'InvalidTimeStamp.Expired');
    const future = signedV1(
      { Action: 'GetUser', Version: '2015-05-01', UserName: 'admin' },
      {
        timestamp: toWireDate(server.clock.now() + 16 * 60 * 1000),
      },
    );
    expectEnvelope(await send('GET', future.query), 400, 'InvalidTimeStamp.Expired');
    const malformed = signedV1(
      { Action: 'GetUser', Version: '2015-05-01', UserName: 'admin' },
      {
        timestamp: '2026-13-45 99:00',
      },
    );
    expectEnvelope(await send('GET', malformed.query), 400, 'InvalidTimeStamp.Format');
  });

  it('refuses a replayed request with SignatureNonceUsed', async () => {
    const signed = signedV1({ Action: 'GetCallerIdentity', Version: '2015-04-01' });
    expect((await send('GET', signed.query)).status).toBe(200);
    expectEnvelope(await send('GET', signed.query), 400, 'SignatureNonceUsed');
  });

  it('answers an unknown key with InvalidAccessKeyId.NotFound, revealing nothing else', async () => {
    const signed = signRpcV1({
      method: 'GET',
      params: { Action: 'GetCallerIdentity', Version: '2015-04-01' },
      accessKeyId: 'LTAI0000000000000000abcd',
      secret: 'x'.repeat(30),
      nonce: randomUUID(),
      timestamp: toWireDate(server.clock.now() - 60 * 60 * 1000),
    });
    expectEnvelope(await send('GET', signed.query), 404, 'InvalidAccessKeyId.NotFound');
  });
});

describe('response formats', () => {
  it('answers in XML when Format=XML, with lists repeated as elements', async () => {
    const signed = signedV1({ Action: 'ListAccessKeys', Version: '2015-05-01', Format: 'XML' });
    const res = await send('GET', signed.query);
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><ListAccessKeysResponse><RequestId>/);
    expect(res.body).toContain(
      `<AccessKeys><AccessKey><AccessKeyId>${server.admin.accessKeyId}</AccessKeyId>`,
    );
  });

  it('renders errors as <Error> in XML', async () => {
    const signed = signedV1({ Action: 'GetUser', Version: '2015-05-01', UserName: 'ghost', Format: 'xml' });
    const res = await send('GET', signed.query);
    expect(res.status).toBe(404);
    expect(res.body).toContain('<Error><RequestId>');
    expect(res.body).toContain('<Code>EntityNotExist.User</Code>');
  });

  it('accepts V3 requests with a form body, as openapi-client sends them', async () => {
    const date = toWireDate(server.clock.now());
    const body = 'UserName=admin';
    const signed = signV3({
      method: 'POST',
      host: server.endpoint,
      action: 'GetUser',
      version: '2015-05-01',
      query: {},
      body,
      contentType: 'application/x-www-form-urlencoded',
      accessKeyId: server.admin.accessKeyId,
      secret: server.admin.accessKeySecret,
      nonce: randomUUID(),
      date,
    });
    // fetch sets Host itself (to the same value that was signed).
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name !== 'host'));
    const res = await send('POST', '', body, headers);
    expect(res.status, res.body).toBe(200);
    expect((res.json.User as Record<string, string>).UserName).toBe('admin');
  });
});
