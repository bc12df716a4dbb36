// verifySignature: recomputes a parsed request's signature with a prepared key and compares in constant time.
import { timingSafeEqual } from 'node:crypto';
import {
  canonicalQueryString,
  v1StringToSignMaxBytes,
  v1StringToSignOf,
  v3CanonicalRequest,
  v3StringToSign,
  writeV1StringToSign,
} from './canonical-request.js';
import { HmacKey, MESSAGE_OFFSET } from './fast-hmac.js';
import type { SignedRequest } from './signed-request.js';

/**
 * The per-secret HMAC state, prepared once (cache it next to the key) so that a verification costs
 * two hashes per HMAC and nothing more. Holds key-equivalent material; it never prints.
 */
export interface SigningKey {
  /** HMAC-SHA1 keyed with `AccessKeySecret + "&"` (V1, 5.2 step 5). */
  readonly v1: HmacKey;
  /** HMAC-SHA256 keyed with the raw AccessKeySecret, no `&` (V3, 5.3 step 3). */
  readonly v3: HmacKey;
}

/** Prepares the HMAC state for one AccessKeySecret. */
export function prepareSigningKey(secret: string): SigningKey {
  return Object.freeze({ v1: new HmacKey('sha1', secret + '&'), v3: new HmacKey('sha256', secret) });
}

/**
 * On a mismatch, the server's string to sign: the API layer puts it in the SignatureDoesNotMatch
 * message (`server string to sign is:...`) as Alibaba's gateway does, so that an SDK can tell a wrong
 * secret (same string, different signature) from a canonicalisation problem. It is derived from the
 * request alone and reveals nothing about the key.
 */
export type VerifyResult = { ok: true } | { ok: false; code: 'SignatureDoesNotMatch'; stringToSign: string };

const MATCH: VerifyResult = Object.freeze({ ok: true });

/**
 * Verifies the signature of a parsed request with the key its AccessKeyId names.
 *
 * @example
 * const signed = signRpcV1({ method: 'GET', params: { Action: 'ListUsers', Version: '2015-05-01' },
 *   accessKeyId: 'LTAI5tExample', secret: 's3cr3t', nonce: 'n-1', timestamp: '2026-01-01T00:00:00Z' });
 * const parsed = parseSignedRequest({ method: 'GET', rawQuery: signed.query, headers: {}, body: Buffer.alloc(0) });
 * const key = prepareSigningKey('s3cr3t'); // once per AccessKey, then cached
 * if (parsed.ok) verifySignature(parsed.value, key); // => { ok: true }
 */
export function verifySignature(req: SignedRequest, key: SigningKey): VerifyResult {
  const c = req.canonical;
  let stringToSign: string;
  let matches: boolean;
  if (c.style === 'v1' && c.canonicalizedQuery !== undefined) {
    // The parser found the canonicalized string ready in the request (the SDK's own).
    stringToSign = v1StringToSignOf(c.method, c.canonicalizedQuery);
    matches = v1SignatureMatches(key.v1.digest(stringToSign, 'base64'), c.signature);
  } else if (c.style === 'v1') {
    // The string to sign is written as bytes straight after the HMAC's ipad block and hashed there;
    // it becomes a string only for a mismatch's message.
    const inner = key.v1.innerBuffer(v1StringToSignMaxBytes(c.method, c.signedParams));
    const end = writeV1StringToSign(inner, MESSAGE_OFFSET, c.method, c.signedParams);
    matches = v1SignatureMatches(key.v1.digestInner(inner, end, 'base64'), c.signature);
    stringToSign = matches ? '' : inner.toString('utf8', MESSAGE_OFFSET, end);
  } else {
    stringToSign = v3StringToSign(
      v3CanonicalRequest({
        method: c.method,
        canonicalUri: c.canonicalUri,
        canonicalQueryString: canonicalQueryString(c.queryParams),
        canonicalHeaders: c.canonicalHeaders,
        signedHeaders: c.signedHeaders,
        hashedPayload: c.hashedPayload,
      }),
    );
    const expected = key.v3.digest(stringToSign, 'hex');
    matches = encodedDigestsEqual(
      expected,
      isLowerHexSha256(c.signature) ? c.signature : undefined,
      v3Scratch,
    );
  }
  return matches ? MATCH : { ok: false, code: 'SignatureDoesNotMatch', stringToSign };
}

/** Whether `expected` (base64) is the V1 signature the client sent, compared in constant time. */
function v1SignatureMatches(expected: string, provided: string): boolean {
  return encodedDigestsEqual(expected, isCanonicalBase64Sha1(provided) ? provided : undefined, v1Scratch);
}

// Comparison buffers, one pair per encoded digest length (base64 SHA-1: 28, hex SHA-256: 64), as the
// two halves of one buffer: both values go in with one write (each Buffer#write is a call into C++,
// which costs more than the copy at this size). Plain Uint8Array views, so that wiping one is the
// typed array's own fill rather than Buffer#fill's argument handling. Verification is synchronous,
// so sharing them is safe. After a failed verification the expected value is a valid signature for
// the client's (forged) request, so it is wiped after each use.
interface ComparisonScratch {
  readonly both: Buffer;
  readonly expected: Uint8Array;
  readonly provided: Uint8Array;
}

function comparisonScratch(length: number): ComparisonScratch {
  const both = Buffer.alloc(2 * length);
  return {
    both,
    expected: new Uint8Array(both.buffer, both.byteOffset, length),
    provided: new Uint8Array(both.buffer, both.byteOffset + length, length),
  };
}
const v1Scratch = comparisonScratch(28);
const v3Scratch = comparisonScratch(64);

/**
 * Security: constant-time comparison of the expected and the provided signature.
 *
 * The digests are compared in their wire encoding (base64 for V1, hex for V3) rather than decoded:
 * the provided one was first checked to be the single canonical spelling of a digest of the right
 * length, so equal encodings and equal digests are the same thing, and this skips two decodes
 * (about a fifth of a verification). `timingSafeEqual` makes the time independent of how many
 * leading characters of a forged signature are right. A malformed signature (`undefined`) is still
 * compared, against zeros, and then refused, so it costs the same work as a wrong one.
 */
function encodedDigestsEqual(
  expected: string,
  provided: string | undefined,
  scratch: ComparisonScratch,
): boolean {
  if (provided === undefined) {
    scratch.both.write(expected, 0, 'latin1');
    scratch.provided.fill(0);
  } else {
    scratch.both.write(expected + provided, 0, 'latin1');
  }
  const same = timingSafeEqual(scratch.expected, scratch.provided);
  scratch.expected.fill(0);
  return same && provided !== undefined;
}

/**
 * The one canonical base64 spelling of a 20-byte HMAC-SHA1: 27 alphabet characters and `=`, the last
 * character's two spare bits zero (its value a multiple of 4: `AEIM...048`).
 * `Buffer.from(s, 'base64')` alone would also take URL-safe characters, missing padding, trailing
 * junk and non-zero spare bits, i.e. many spellings of one signature. (These checks read only the
 * client's own input, so their early exits leak nothing about the expected value; a regular
 * expression is also faster here than a loop over the characters.)
 */
const CANONICAL_BASE64_SHA1 = /^[A-Za-z0-9+/]{26}[AEIMQUYcgkosw048]=$/;

function isCanonicalBase64Sha1(s: string): boolean {
  return CANONICAL_BASE64_SHA1.test(s);
}

/**
 * 64 lower-case hex digits, a 32-byte HMAC-SHA256 (5.3 step 3 specifies lower case). Upper case is
 * refused so that a signature has exactly one spelling.
 */
const LOWER_HEX_SHA256 = /^[0-9a-f]{64}$/;

function isLowerHexSha256(s: string): boolean {
  return LOWER_HEX_SHA256.test(s);
}
