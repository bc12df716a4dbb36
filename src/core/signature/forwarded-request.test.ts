// V3 requests to an API's own paths, as a gateway forwards them: the path is the CanonicalURI, the
// body is opaque (any type, checked by its hash when present, its signed hash standing in when the
// gateway withholds it). Signed by the official SDK's own signer (@alicloud/openapi-util).
import { createHash } from 'node:crypto';
import * as openApiUtil from '@alicloud/openapi-util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_BODY_SHA256,
  parseSignedRequest,
  prepareSigningKey,
  signV3,
  verifySignature,
  type HttpRequestParts,
  type ParseOptions,
} from './index.js';

const KEY_ID = 'LTAI5tForwardAuthTest0001';
const SECRET = 'forward-auth-secret';
const key = prepareSigningKey(SECRET);

/** The SDK's V3 signer (a dependency of @alicloud/openapi-client), typed for what is used here. */
const sdkAuthorization = (
  openApiUtil.default as unknown as {
    getAuthorization: (
      request: {
        method: string;
        pathname: string;
        query: Record<string, string>;
        headers: Record<string, string>;
      },
      algorithm: string,
      payloadHash: string,
      accessKeyId: string,
      secret: string,
    ) => string;
  }
).getAuthorization;

/** A request signed the way openapi-client's `doRequest` signs one (ROA or RPC style, V3). */
function sdkSigned(input: {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: string;
  contentType?: string;
}): { parts: HttpRequestParts; path: string } {
  const body = input.body ?? '';
  const headers: Record<string, string> = {
    host: 'orders.example.com:8443',
    'x-acs-action': 'GetOrder',
    'x-acs-version': '2026-01-01',
    'x-acs-date': '2026-12-05T10:00:00Z',
    'x-acs-signature-nonce': 'nonce-1',
    'x-acs-content-sha256': createHash('sha256').update(body).digest('hex'),
    accept: 'application/json',
    ...(input.contentType !== undefined && { 'content-type': input.contentType }),
  };
  const query = input.query ?? {};
  headers.authorization = sdkAuthorization(
    { method: input.method, pathname: input.path, query, headers },
    'ACS3-HMAC-SHA256',
    headers['x-acs-content-sha256'] ?? '',
    KEY_ID,
    SECRET,
  );
  const rawQuery = Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return {
    parts: { method: input.method, rawQuery, headers, body: Buffer.from(body) },
    path: input.path,
  };
}

const opaque = (path: string): ParseOptions => ({ path, body: 'opaque' });

function verdict(parts: HttpRequestParts, options: ParseOptions) {
  const parsed = parseSignedRequest(parts, options);
  if (!parsed.ok) return parsed.code;
  return verifySignature(parsed.value, key).ok ? 'ok' : 'SignatureDoesNotMatch';
}

describe('a V3 request to an API path, as a gateway forwards it', () => {
  const json = '{"Item":"book","Count":2}';
  const signed = sdkSigned({
    method: 'POST',
    path: '/orders/o-1',
    query: { Expand: 'lines' },
    body: json,
    contentType: 'application/json; charset=utf-8',
  });

  it('verifies with the body forwarded, and with it withheld', () => {
    expect(verdict(signed.parts, opaque(signed.path))).toBe('ok');
    expect(verdict({ ...signed.parts, body: Buffer.alloc(0) }, opaque(signed.path))).toBe('ok');
  });

  it('keeps a JSON body out of the parameters', () => {
    const parsed = parseSignedRequest(signed.parts, opaque(signed.path));
    expect(parsed.ok && [...parsed.value.params]).toEqual([['Expand', 'lines']]);
  });

  it('refuses another path, another method, another query', () => {
    expect(verdict(signed.parts, opaque('/orders/o-2'))).toBe('SignatureDoesNotMatch');
    expect(verdict({ ...signed.parts, method: 'PUT' }, opaque(signed.path))).toBe('SignatureDoesNotMatch');
    expect(verdict({ ...signed.parts, rawQuery: 'Expand=none' }, opaque(signed.path))).toBe(
      'SignatureDoesNotMatch',
    );
  });

  it('refuses a forwarded body that is not the signed one', () => {
    const tampered = { ...signed.parts, body: Buffer.from(json.replace('2', '9')) };
    expect(verdict(tampered, opaque(signed.path))).toBe('IncompleteSignature');
  });

  it('at the RPC endpoint, the same request is a form-body error, not a path match', () => {
    expect(verdict(signed.parts, { path: '/', body: 'form' })).toBe('InvalidParameter.ContentType');
  });

  it('needs content-type signed when a withheld body exists by its hash', () => {
    const unsigned = sdkSigned({ method: 'POST', path: '/orders', body: json });
    expect(verdict({ ...unsigned.parts, body: Buffer.alloc(0) }, opaque('/orders'))).toBe(
      'IncompleteSignature',
    );
  });

  it('refuses a withheld body whose claimed hash is not a hash', () => {
    const parts = { ...signed.parts, body: Buffer.alloc(0) };
    parts.headers = { ...parts.headers, 'x-acs-content-sha256': 'UNSIGNED-PAYLOAD' };
    expect(verdict(parts, opaque(signed.path))).toBe('IncompleteSignature');
  });

  it('a bodyless GET claims the empty hash', () => {
    const get = sdkSigned({ method: 'GET', path: '/orders/o-1' });
    expect(get.parts.headers['x-acs-content-sha256']).toBe(EMPTY_BODY_SHA256);
    expect(verdict(get.parts, opaque(get.path))).toBe('ok');
  });

  it("Ramkey's signer and the SDK's agree on any encoded path", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (segments) => {
        const path = '/' + segments.join('/');
        const sdk = sdkSigned({ method: 'GET', path });
        const ours = signV3({
          method: 'GET',
          host: 'orders.example.com:8443',
          path,
          action: 'GetOrder',
          version: '2026-01-01',
          query: {},
          body: '',
          accessKeyId: KEY_ID,
          secret: SECRET,
          nonce: 'nonce-1',
          date: '2026-12-05T10:00:00Z',
        });
        expect(sdk.parts.headers.authorization).toContain(`Signature=${ours.signature}`);
      }),
    );
  });
});
