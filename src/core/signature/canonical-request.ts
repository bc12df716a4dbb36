// The strings that get signed, V1 and V3, built the same way by the signers and by the verifier.
import { hash } from 'node:crypto';
import {
  MAX_TWICE_BYTES_PER_UNIT,
  percentEncode,
  percentEncodeTwice,
  writePercentEncodedTwice,
} from './percent-encoding.js';
import type { Param } from './signed-request.js';

export const V3_ALGORITHM = 'ACS3-HMAC-SHA256';

/** SHA-256 of an empty body, the `x-acs-content-sha256` of every bodiless request. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * A copy of `params` sorted by name in UTF-16 code-unit order, which is what the official TypeScript
 * SDKs do (`Object.keys(params).sort()`). It differs from UTF-8 byte order only when a character in
 * U+E000-U+FFFF meets an astral one at the same position; real parameter names are ASCII.
 * Insertion sort: requests carry a handful of parameters, where it beats `Array.prototype.sort` with
 * a comparator several times over; long lists fall back to the library sort.
 */
function sortedByName(params: readonly Param[]): Param[] {
  const out = params.slice();
  const n = out.length;
  if (n > 32) return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < n; i++) {
    const item = out[i];
    if (item === undefined) continue;
    let j = i - 1;
    for (; j >= 0; j--) {
      const prev = out[j];
      if (prev === undefined || prev[0] <= item[0]) break;
      out[j + 1] = prev;
    }
    out[j + 1] = item;
  }
  return out;
}

/**
 * The sorted, encoded parameter list shared by both algorithms:
 * V1 CanonicalizedQueryString (5.2 steps 1-3) and V3 CanonicalQueryString (5.3 step 1):
 *
 *   encode(name1)=encode(value1)&encode(name2)=encode(value2)...
 *
 * A parameter without a value is `name=`; no parameters give `''`.
 */
export function canonicalQueryString(params: readonly Param[]): string {
  let out = '';
  for (const [name, value] of sortedByName(params)) {
    if (out !== '') out += '&';
    out += percentEncode(name) + '=' + percentEncode(value);
  }
  return out;
}

/**
 * V1 StringToSign (5.2 step 4) for the given parameters (all but `Signature`):
 *
 *   HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(CanonicalizedQueryString)
 *
 * e.g. `GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateUser%26...`. Built in one pass: encoding the
 * canonicalized string again is the same as encoding each name and value twice and joining them with
 * `%3D` and `%26` (the encoded `=` and `&`).
 */
export function v1StringToSign(method: string, params: readonly Param[]): string {
  let out = method + '&%2F&';
  let first = true;
  for (const [name, value] of sortedByName(params)) {
    if (!first) out += '%26';
    first = false;
    out += percentEncodeTwice(name) + '%3D' + percentEncodeTwice(value);
  }
  return out;
}

/** Bytes of `method` + `&%2F&` + each `%26name%3Dvalue`, twice encoded, at most: a bound for {@link writeV1StringToSign}. */
export function v1StringToSignMaxBytes(method: string, params: readonly Param[]): number {
  let units = 0;
  for (const [name, value] of params) units += name.length + value.length;
  return method.length * 3 + 5 + params.length * 6 + units * MAX_TWICE_BYTES_PER_UNIT;
}

/**
 * {@link v1StringToSign} as UTF-8 bytes written into `buf` at `at` (room for
 * {@link v1StringToSignMaxBytes} is the caller's to ensure); returns the end. The same bytes, without
 * the string: the verifier hashes them in place (canonical-request.test.ts checks the two agree).
 * Separators are stored byte by byte: `Buffer#copy` costs more than the few stores it replaces.
 */
export function writeV1StringToSign(
  buf: Buffer,
  at: number,
  method: string,
  params: readonly Param[],
): number {
  let p = writeAscii(buf, at, method);
  p = writeAscii(buf, p, '&%2F&');
  let first = true;
  for (const [name, value] of sortedByName(params)) {
    if (!first) p = writeAscii(buf, p, '%26');
    first = false;
    p = writePercentEncodedTwice(buf, p, name);
    p = writeAscii(buf, p, '%3D');
    p = writePercentEncodedTwice(buf, p, value);
  }
  return p;
}

/**
 * {@link v1StringToSign} for parameters whose CanonicalizedQueryString is at hand (the parser cut it
 * from the request): `method&%2F&` + percentEncode(canonicalizedQuery).
 *
 * The second encoding is one native `encodeURIComponent`, which differs from percentEncode only on
 * `! ' ( ) *` (it leaves them raw) and on lone surrogates (it throws). A canonicalized string holds
 * neither: it consists of unreserved characters, `%XY` escapes (upper-case hex digits being
 * unreserved) and the separators `=` and `&`, and encodeURIComponent encodes the last three as
 * percentEncode does (`%25`, `%3D`, `%26`).
 */
export function v1StringToSignOf(method: string, canonicalizedQuery: string): string {
  return method + '&%2F&' + encodeURIComponent(canonicalizedQuery);
}

/** `s` as UTF-8 at `at`; a plain loop for ASCII (always, for an HTTP method), `Buffer#write` otherwise. */
function writeAscii(buf: Buffer, at: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return at + buf.write(s, at, 'utf8');
    buf[at + i] = c;
  }
  return at + n;
}

/**
 * V3 CanonicalRequest (5.3 step 1), six lines; CanonicalHeaders ends with its own `\n`, hence the
 * blank line before SignedHeaders:
 *
 *   POST
 *   /
 *   ImageId=win2019...&RegionId=cn-shanghai
 *   host:ecs.cn-shanghai.aliyuncs.com
 *   x-acs-action:RunInstances
 *   ...
 *   x-acs-version:2014-05-26
 *
 *   host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version
 *   e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
 *
 * CanonicalURI is the path as the client sent it: `/` for RAM, IMS and STS (RPC APIs served at the
 * root path), the API's own path for a request verified for a gateway (forward authentication).
 */
export function v3CanonicalRequest(parts: {
  method: string;
  /** The path as received, percent-encoding untouched (the SDK signs the path it sends); `/` when absent. */
  canonicalUri?: string;
  canonicalQueryString: string;
  canonicalHeaders: string;
  signedHeaders: string;
  hashedPayload: string;
}): string {
  return (
    parts.method +
    '\n' +
    (parts.canonicalUri ?? '/') +
    '\n' +
    parts.canonicalQueryString +
    '\n' +
    parts.canonicalHeaders +
    '\n' +
    parts.signedHeaders +
    '\n' +
    parts.hashedPayload
  );
}

/** V3 StringToSign (5.3 step 2): `ACS3-HMAC-SHA256\n` + hex(SHA-256(UTF-8(CanonicalRequest))). */
export function v3StringToSign(canonicalRequest: string): string {
  return V3_ALGORITHM + '\n' + hash('sha256', canonicalRequest, 'hex');
}

/**
 * One CanonicalHeaders value: trimmed; a repeated header's values trimmed, sorted and joined with `,`
 * (as the SDK's `getAuthorizationHeaders` does).
 */
export function canonicalHeaderValue(value: string | readonly string[]): string {
  if (typeof value === 'string') return value.trim();
  if (value.length === 1) return (value[0] ?? '').trim();
  return value
    .map((v) => v.trim())
    .sort()
    .join(',');
}
