// Signed test requests: built with Ramkey's signers, or with a small independent V3 reference signer.
import { createHash, createHmac } from 'node:crypto';
import { signRpcV1, signV3, type HttpRequestParts } from '../../src/core/signature/index.js';

export const KEY_ID = 'LTAI5tTestKeyId000000001';
export const SECRET = 'TestSecret0123456789abcdefABCDEF';
export const NOW = '2026-11-27T23:02:42Z';
export const NOW_MS = Date.UTC(2026, 10, 27, 23, 2, 42);
export const HOST = 'ram.example.test';
export const FORM = 'application/x-www-form-urlencoded';

/** A V1 request signed by signRpcV1: parameters in the query (GET or POST) or in a form body (POST). */
export function v1Request(
  options: {
    method?: 'GET' | 'POST';
    params?: Record<string, string>;
    inBody?: boolean;
    secret?: string;
    nonce?: string;
    timestamp?: string;
  } = {},
): HttpRequestParts {
  const method = options.method ?? 'GET';
  const { query } = signRpcV1({
    method,
    params: options.params ?? { Action: 'ListUsers', Version: '2015-05-01', Format: 'JSON' },
    accessKeyId: KEY_ID,
    secret: options.secret ?? SECRET,
    nonce: options.nonce ?? 'nonce-1',
    timestamp: options.timestamp ?? NOW,
  });
  return options.inBody
    ? { method, rawQuery: '', headers: { host: HOST, 'content-type': FORM }, body: Buffer.from(query) }
    : { method, rawQuery: query, headers: { host: HOST }, body: Buffer.alloc(0) };
}

/** A V3 request signed by signV3. `body`, if given, is a form body. */
export function v3Request(
  options: {
    method?: 'GET' | 'POST';
    action?: string;
    version?: string;
    query?: Record<string, string>;
    body?: string;
    secret?: string;
    date?: string;
  } = {},
): HttpRequestParts {
  const signed = signV3({
    method: options.method ?? 'POST',
    host: HOST,
    action: options.action ?? 'ListUsers',
    version: options.version ?? '2015-05-01',
    query: options.query ?? {},
    body: options.body ?? '',
    contentType: options.body === undefined ? undefined : FORM,
    accessKeyId: KEY_ID,
    secret: options.secret ?? SECRET,
    nonce: 'nonce-3',
    date: options.date ?? NOW,
  });
  return {
    method: options.method ?? 'POST',
    rawQuery: signed.query,
    headers: { ...signed.headers },
    body: Buffer.from(options.body ?? ''),
  };
}

function sdkEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * An independent V3 signer (node:crypto createHash/createHmac, the SDK's encoder) for request shapes
 * signV3 does not make: chosen SignedHeaders, repeated headers, extra headers. It signs the
 * `signedHeaders` names as listed (in that order) and returns the Authorization value.
 */
export function referenceV3Authorization(input: {
  method: string;
  query: [string, string][];
  headers: Record<string, string | string[]>;
  signedHeaders: string[];
  body: string;
  secret: string;
  accessKeyId?: string;
}): string {
  const query = [...input.query]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${sdkEncode(k)}=${sdkEncode(v)}`)
    .join('&');
  const canonicalHeaders = input.signedHeaders
    .map((name) => {
      const value = Object.hasOwn(input.headers, name) ? (input.headers[name] ?? '') : '';
      const joined = Array.isArray(value)
        ? value
            .map((v) => v.trim())
            .sort()
            .join(',')
        : value.trim();
      return `${name}:${joined}\n`;
    })
    .join('');
  const signedHeaders = input.signedHeaders.join(';');
  const payload = createHash('sha256').update(input.body).digest('hex');
  const canonicalRequest = [input.method, '/', query, canonicalHeaders, signedHeaders, payload].join('\n');
  const stringToSign = 'ACS3-HMAC-SHA256\n' + createHash('sha256').update(canonicalRequest).digest('hex');
  const signature = createHmac('sha256', input.secret).update(stringToSign).digest('hex');
  return `ACS3-HMAC-SHA256 Credential=${input.accessKeyId ?? KEY_ID},SignedHeaders=${signedHeaders},Signature=${signature}`;
}

/** The standard V3 header set for {@link referenceV3Authorization}, unsigned. */
export function v3BaseHeaders(body = ''): Record<string, string> {
  return {
    host: HOST,
    'x-acs-action': 'ListUsers',
    'x-acs-version': '2015-05-01',
    'x-acs-date': NOW,
    'x-acs-signature-nonce': 'nonce-r',
    'x-acs-content-sha256': createHash('sha256').update(body).digest('hex'),
  };
}
