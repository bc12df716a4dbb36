// Client-side signers (CLI, tests): V1 and V3 requests exactly as the official SDKs sign them.
import { hash } from 'node:crypto';
import {
  canonicalQueryString,
  V3_ALGORITHM,
  v1StringToSign,
  v3CanonicalRequest,
  v3StringToSign,
} from './canonical-request.js';
import { percentEncode } from './percent-encoding.js';
import type { Param } from './signed-request.js';
import { prepareSigningKey } from './verify.js';

/** The parameters {@link signRpcV1} adds itself. */
const V1_SIGNER_PARAMS = [
  'AccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
] as const;

/**
 * Signs an RPC request with V1 (HMAC-SHA1, SignatureVersion 1.0; reference/alibaba-api.md 5.2).
 * `params` holds Action, Version and the operation's parameters (Format too, if wanted); the signer adds
 * AccessKeyId, SignatureMethod, SignatureVersion, SignatureNonce and Timestamp, and throws a TypeError
 * if `params` already has one of those or Signature (a programming error).
 *
 * `query` is the complete encoded parameter list with `&Signature=...` last: the query string of a
 * GET, or equally the `application/x-www-form-urlencoded` body of a POST.
 *
 * @example
 * const { query } = signRpcV1({ method: 'GET', params: { Action: 'ListUsers', Version: '2015-05-01' },
 *   accessKeyId: 'LTAI5tExample', secret: 's3cr3t', nonce: 'n-1', timestamp: '2026-01-01T00:00:00Z' });
 * // GET https://ram.example.com/?${query}
 */
export function signRpcV1(input: {
  method: 'GET' | 'POST';
  params: Record<string, string>;
  accessKeyId: string;
  secret: string;
  nonce: string;
  timestamp: string;
}): { query: string; stringToSign: string; signature: string } {
  for (const name of V1_SIGNER_PARAMS) {
    if (Object.hasOwn(input.params, name)) throw new TypeError(`signRpcV1: ${name} is set by the signer`);
  }
  const params: Param[] = Object.entries(input.params);
  params.push(
    ['AccessKeyId', input.accessKeyId],
    ['SignatureMethod', 'HMAC-SHA1'],
    ['SignatureVersion', '1.0'],
    ['SignatureNonce', input.nonce],
    ['Timestamp', input.timestamp],
  );
  const canonical = canonicalQueryString(params);
  const stringToSign = v1StringToSign(input.method, params);
  const signature = prepareSigningKey(input.secret).v1.digest(stringToSign, 'base64');
  return { query: canonical + '&Signature=' + percentEncode(signature), stringToSign, signature };
}

/**
 * Signs an RPC request with V3 (ACS3-HMAC-SHA256; reference/alibaba-api.md 5.3). It signs `host`,
 * `content-type` (when given) and the five `x-acs-*` headers it sets, as the SDK does.
 *
 * Returns the headers to send (`authorization` included), the intermediate strings, and — beyond the
 * SDK's outputs — `query`, the encoded query string to put after `?` (it is also the
 * CanonicalQueryString). `body` is sent as its UTF-8 bytes; for a form body pass
 * `contentType: 'application/x-www-form-urlencoded'`.
 */
export function signV3(input: {
  method: string;
  host: string;
  /** The request path, encoded as it will be sent; `/` when absent. */
  path?: string;
  action: string;
  version: string;
  query: Record<string, string>;
  body: string;
  contentType?: string;
  accessKeyId: string;
  secret: string;
  nonce: string;
  date: string;
}): {
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
  query: string;
} {
  const headers: Record<string, string> = {
    host: input.host,
    'x-acs-action': input.action,
    'x-acs-version': input.version,
    'x-acs-date': input.date,
    'x-acs-signature-nonce': input.nonce,
    'x-acs-content-sha256': hash('sha256', input.body, 'hex'),
  };
  if (input.contentType !== undefined) headers['content-type'] = input.contentType;

  const signedNames = Object.keys(headers).sort();
  let canonicalHeaders = '';
  for (const name of signedNames) canonicalHeaders += name + ':' + (headers[name] ?? '').trim() + '\n';
  const signedHeaders = signedNames.join(';');
  const query = canonicalQueryString(Object.entries(input.query));
  const canonicalRequest = v3CanonicalRequest({
    method: input.method,
    canonicalUri: input.path ?? '/',
    canonicalQueryString: query,
    canonicalHeaders,
    signedHeaders,
    hashedPayload: headers['x-acs-content-sha256'] ?? '',
  });
  const stringToSign = v3StringToSign(canonicalRequest);
  const signature = prepareSigningKey(input.secret).v3.digest(stringToSign, 'hex');
  headers.authorization = `${V3_ALGORITHM} Credential=${input.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return { headers, canonicalRequest, stringToSign, signature, query };
}
