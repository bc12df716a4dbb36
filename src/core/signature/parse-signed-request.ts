// parseSignedRequest: untrusted HTTP pieces in, a well-formed V1 or V3 SignedRequest (or a catalog error) out.
import { hash } from 'node:crypto';
import { fail, ok, type Result } from '../errors/ramkey-error.js';
import { canonicalHeaderValue, EMPTY_BODY_SHA256 } from './canonical-request.js';
import { decodeFormParams, splitParams } from './form-params.js';
import {
  isV3Authorization,
  parseAuthorization,
  parseSignedHeaders,
  type V3Authorization,
} from './parse-authorization.js';
import type { HttpRequestParts, Param, SignedRequest } from './signed-request.js';
import { parseWireTimestamp } from './timestamp.js';

type Headers = HttpRequestParts['headers'];

/**
 * The signing and routing parameters, never operation parameters (see SignedRequest.params). A V1
 * request must carry all of them (4.1): in this order they are reported missing, a missing and an
 * empty one alike (`MissingParameter`).
 */
const SIGNING_FIELDS = [
  'Action',
  'Version',
  'AccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
] as const;
type SigningField = (typeof SIGNING_FIELDS)[number];

/** The slot of each signing field in {@link splitParams}' `fields`. */
const FIELD = Object.fromEntries(SIGNING_FIELDS.map((name, i) => [name, i])) as Record<SigningField, number>;

/**
 * Security: the headers a V3 signature must cover, whatever the client chose to list. Unsigned, each
 * could be changed in flight without breaking the signature: x-acs-date and x-acs-signature-nonce
 * (replay a captured request later, with a fresh nonce), x-acs-action and x-acs-version (aim the
 * signature at another operation), x-acs-content-sha256 (swap the body), host (replay at another
 * endpoint that trusts the same key). Kept sorted: parseV3 checks it against the sorted SignedHeaders
 * in one merge pass.
 */
const V3_MUST_SIGN = [
  'host',
  'x-acs-action',
  'x-acs-content-sha256',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-version',
] as const;

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * Parses and checks the shape of a signed request: which algorithm (V3 when an `Authorization`
 * header starting with `ACS3-` is present, V1 otherwise), the signing fields, the timestamp format,
 * and the decoded parameters. It does not verify the signature (that needs the key:
 * {@link verifySignature}) nor the clock window ({@link checkTimestamp}). Never throws on untrusted
 * input: every refusal is a catalog code.
 *
 * @example
 * parseSignedRequest({ method: 'GET', rawQuery: 'Action=ListUsers', headers: {}, body: Buffer.alloc(0) });
 * // => { ok: false, code: 'MissingParameter', params: ['Version'] }
 */
export function parseSignedRequest(req: HttpRequestParts, options?: ParseOptions): Result<SignedRequest> {
  const authorization = headerValue(req.headers, 'authorization');
  if (authorization !== undefined && typeof authorization !== 'string') {
    return fail('InvalidParameter.Duplicate', 'authorization');
  }
  if (authorization !== undefined && isV3Authorization(authorization)) {
    return parseV3(req, authorization, options ?? RPC_ENDPOINT);
  }
  return parseV1(req);
}

/** Where a request was sent and what its body is; Ramkey's own RPC endpoint unless said otherwise. */
export interface ParseOptions {
  /** The path exactly as received, percent-encoding untouched: V3's CanonicalURI. */
  readonly path: string;
  /**
   * `form`: the body holds form parameters (Ramkey's own actions). `opaque`: the body is an API's
   * own payload (a request verified for a gateway): never read as parameters, and of any type. A
   * gateway may withhold it (nginx's auth_request does): then the signed `x-acs-content-sha256`
   * stands for it, and whoever holds the body must check it. V1 signs form bodies as parameters, so
   * for V1 `opaque` changes nothing.
   */
  readonly body: 'form' | 'opaque';
}

const RPC_ENDPOINT: ParseOptions = Object.freeze({ path: '/', body: 'form' });

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * V1 (RPC, HMAC-SHA1, 4.1 and 5.2): everything, signing fields included, travels as parameters in the
 * query string and/or a form body, and all of them except `Signature` are signed as one set.
 */
function parseV1(req: HttpRequestParts): Result<SignedRequest> {
  const params: Param[] = [];
  const query = decodeFormParams(req.rawQuery, params);
  if (!query.ok) return query;
  const bodyText = formBodyText(req);
  if (!bodyText.ok) return bodyText;
  const body = decodeFormParams(bodyText.value, params);
  if (!body.ok) return body;
  const split = splitParams(params, SIGNING_FIELDS);
  if (!split.ok) return split;
  const { fields, business } = split.value;

  for (let i = 0; i < SIGNING_FIELDS.length; i++) {
    if (!fields[i]) return fail('MissingParameter', SIGNING_FIELDS[i] ?? '');
  }
  const field = (name: SigningField): string => fields[FIELD[name]] ?? '';
  // Only HMAC-SHA1 / 1.0 exist for V1; anything else is refused rather than guessed at.
  if (field('SignatureMethod') !== 'HMAC-SHA1') return fail('InvalidParameter', 'SignatureMethod');
  if (field('SignatureVersion') !== '1.0') return fail('InvalidParameter', 'SignatureVersion');
  const timestamp = field('Timestamp');
  const timestampMs = parseWireTimestamp(timestamp);
  if (timestampMs === undefined) return fail('InvalidTimeStamp.Format');

  // Everything but Signature is signed; names are distinct now, so there is exactly one to take out.
  const signatureAt = params.findIndex(([name]) => name === 'Signature');
  params.splice(signatureAt, 1);

  // The canonicalized string can be cut from the parameters as sent when they all came in one source,
  // the query (pop-core's GET) or the body (its POST), in canonical form, and with Signature last.
  let sentCanonically: string | undefined;
  if (bodyText.value === '') sentCanonically = query.value ? req.rawQuery : undefined;
  else if (req.rawQuery === '') sentCanonically = body.value ? bodyText.value : undefined;
  const canonicalizedQuery =
    sentCanonically !== undefined && signatureAt === params.length
      ? canonicalizedQueryAsSent(sentCanonically, params)
      : undefined;

  return ok({
    style: 'v1',
    accessKeyId: field('AccessKeyId'),
    action: field('Action'),
    version: field('Version'),
    nonce: field('SignatureNonce'),
    timestamp,
    timestampMs,
    params: business,
    canonical: {
      style: 'v1',
      method: req.method,
      signedParams: params,
      canonicalizedQuery,
      signature: field('Signature'),
    },
  });
}

/**
 * The CanonicalizedQueryString (5.2 steps 1-3) cut from the parameters as the client sent them, when
 * it is there to cut: they arrived in canonical form (see {@link decodeFormParams}), `Signature` last
 * and the others sorted by name, which is what pop-core sends (openapi-client's V1 does not sort, and
 * takes the general path). It is then `sent` without its last piece, and the verifier need not sort
 * and encode the parameters again. `undefined` when the names are out of order.
 *
 * `signed` is in arrival order without `Signature`, its names distinct: strictly increasing names are
 * already in the order canonical-request.ts sorts them into. The order is that of the decoded names
 * (UTF-16 code units), which encoding can change: `{` sorts after `a`, but `%7B` before it.
 */
function canonicalizedQueryAsSent(sent: string, signed: readonly Param[]): string | undefined {
  let previous = ''; // names are not empty
  for (const [name] of signed) {
    if (!(previous < name)) return undefined;
    previous = name;
  }
  return sent.slice(0, sent.lastIndexOf('&'));
}

/**
 * V3 (ACS3-HMAC-SHA256, 5.3): the signing fields travel in headers; the signature covers the query
 * string, the headers the client lists in SignedHeaders, and the body through x-acs-content-sha256.
 */
function parseV3(
  req: HttpRequestParts,
  authorizationValue: string,
  options: ParseOptions,
): Result<SignedRequest> {
  const parsedAuthorization = parseAuthorization(authorizationValue);
  if (!parsedAuthorization.ok) return parsedAuthorization;
  const authorization: V3Authorization = parsedAuthorization.value;
  const parsedList = signedHeaderList(authorization.signedHeaders);
  if (!parsedList.ok) return parsedList;
  const signedList = parsedList.value;
  const { headers, body } = req;

  // The required headers, in the order they are reported missing.
  const action = requiredHeader(headers, 'x-acs-action');
  if (typeof action !== 'string') return action;
  const version = requiredHeader(headers, 'x-acs-version');
  if (typeof version !== 'string') return version;
  const timestamp = requiredHeader(headers, 'x-acs-date');
  if (typeof timestamp !== 'string') return timestamp;
  const nonce = requiredHeader(headers, 'x-acs-signature-nonce');
  if (typeof nonce !== 'string') return nonce;
  const hashedPayload = requiredHeader(headers, 'x-acs-content-sha256');
  if (typeof hashedPayload !== 'string') return hashedPayload;

  if (signedList.firstUnsigned !== undefined) {
    return fail('IncompleteSignature', `SignedHeaders must include ${signedList.firstUnsigned}.`);
  }
  const opaque = options.body === 'opaque';
  // Security: with a body, its type decides how it is read, so it must be signed too. A withheld
  // opaque body is known to exist by its claimed hash.
  const hasBody = body.length > 0 || (opaque && hashedPayload !== EMPTY_BODY_SHA256);
  if (hasBody && !signedList.signsContentType) {
    return fail('IncompleteSignature', 'SignedHeaders must include content-type when there is a body.');
  }

  // Exactly the headers the client listed, not "every x-acs-* present": a proxy that adds a header
  // on the way must not break the signature (reference/performance-floor.md).
  let canonicalHeaders = '';
  for (const name of signedList.names) {
    const value = headerValue(headers, name);
    if (value === undefined) return fail('IncompleteSignature', `Signed header ${name} is missing.`);
    canonicalHeaders += name + ':' + canonicalHeaderValue(value) + '\n';
  }

  if (!opaque && body.length > 0 && !isFormContentType(headerValue(headers, 'content-type'))) {
    return fail('InvalidParameter.ContentType');
  }
  // Security: the signature covers the body only through this header, so it must be the body's hash.
  // IncompleteSignature rather than SignatureDoesNotMatch: the key is not involved, and the latter's
  // message carries a string to sign, which a hash mismatch does not have.
  if (opaque && body.length === 0) {
    // Withheld by the gateway: the claim stands, but it must at least be a hash.
    if (!SHA256_HEX.test(hashedPayload)) {
      return fail(
        'IncompleteSignature',
        'x-acs-content-sha256 must be the lower-case hex SHA-256 of the body.',
      );
    }
  } else {
    const bodyHash = body.length === 0 ? EMPTY_BODY_SHA256 : hash('sha256', body, 'hex');
    if (hashedPayload !== bodyHash) {
      return fail('IncompleteSignature', 'x-acs-content-sha256 does not match the body.');
    }
  }

  const timestampMs = parseWireTimestamp(timestamp);
  if (timestampMs === undefined) return fail('InvalidTimeStamp.Format');

  // The query is signed (CanonicalQueryString); the body only through its hash.
  const params: Param[] = [];
  const query = decodeFormParams(req.rawQuery, params);
  if (!query.ok) return query;
  const queryParams = params.slice();
  const bodyFailure = opaque ? undefined : decodeFormBody(req, params);
  if (bodyFailure) return bodyFailure;
  const split = splitParams(params, SIGNING_FIELDS);
  if (!split.ok) return split;
  const { fields, business } = split.value;

  // Action/Version come from the signed headers; a parameter saying otherwise is a contradiction.
  const paramAction = fields[FIELD.Action];
  if (paramAction !== undefined && paramAction !== action) return fail('InvalidParameter', 'Action');
  const paramVersion = fields[FIELD.Version];
  if (paramVersion !== undefined && paramVersion !== version) return fail('InvalidParameter', 'Version');

  return ok({
    style: 'v3',
    accessKeyId: authorization.credential,
    action,
    version,
    nonce,
    timestamp,
    timestampMs,
    params: business,
    canonical: {
      style: 'v3',
      method: req.method,
      canonicalUri: options.path,
      queryParams,
      canonicalHeaders,
      signedHeaders: authorization.signedHeaders,
      hashedPayload,
      signature: authorization.signature,
    },
  });
}

/** A checked SignedHeaders list and what parseV3 needs to know about it. */
interface SignedHeaderList {
  readonly text: string;
  readonly names: readonly string[];
  /** The first header of {@link V3_MUST_SIGN} the list lacks, if any. */
  readonly firstUnsigned: string | undefined;
  readonly signsContentType: boolean;
}

/** How many of the most recent distinct SignedHeaders lists are kept, checked. */
const RECENT_LISTS = 8;
const recentLists: { readonly ok: true; readonly value: SignedHeaderList }[] = [];
let nextListSlot = 0;

/**
 * The SignedHeaders list checked and analysed, from the recent lists when it is one of them: clients
 * send one of a handful (the SDK's default set, plus content-type with a body), so each is split and
 * checked once rather than per request. Reusing the same name strings also makes the header lookups
 * cheap (V8 finds a property by a string it has already internalised; a fresh one must be hashed and
 * looked up in its string table first). Found with `===` rather than a Map, which would hash the
 * whole list on every request. A list that is refused is not kept.
 */
function signedHeaderList(text: string): Result<SignedHeaderList> {
  for (const recent of recentLists) {
    if (recent.value.text === text) return recent;
  }
  const parsed = parseSignedHeaders(text);
  if (!parsed.ok) return parsed;
  const names = parsed.value;
  // Both lists are sorted and distinct (parseSignedHeaders checks), so one merge pass finds the first
  // must-sign header that is missing, the same one a search per name would.
  let firstUnsigned: string | undefined;
  let at = 0;
  for (const name of V3_MUST_SIGN) {
    while (at < names.length && (names[at] ?? '') < name) at++;
    if (names[at] !== name) {
      firstUnsigned = name;
      break;
    }
  }
  const list = {
    ok: true,
    value: { text, names, firstUnsigned, signsContentType: names.includes('content-type') },
  } as const;
  recentLists[nextListSlot] = list;
  nextListSlot = (nextListSlot + 1) % RECENT_LISTS;
  return list;
}

/**
 * A header every V3 request must carry (5.3), trimmed as CanonicalHeaders has it (the value used is
 * the value signed), or the refusal: absent or blank is MissingParameter, repeated is a duplicate.
 */
function requiredHeader(headers: Headers, name: string): string | Result<never> {
  const value = headerValue(headers, name);
  if (value !== undefined && typeof value !== 'string') return fail('InvalidParameter.Duplicate', name);
  const trimmed = value?.trim();
  return trimmed ? trimmed : fail('MissingParameter', name);
}

/** A non-empty body must be a form (`application/x-www-form-urlencoded`, parameters such as charset ignored). */
function decodeFormBody(req: HttpRequestParts, out: Param[]): Result<never> | undefined {
  const text = formBodyText(req);
  if (!text.ok) return text;
  const decoded = decodeFormParams(text.value, out);
  return decoded.ok ? undefined : decoded;
}

/** The text of a form body, `''` for none; a non-empty body of another content type is refused. */
function formBodyText(req: HttpRequestParts): Result<string> {
  if (req.body.length === 0) return NO_BODY;
  if (!isFormContentType(headerValue(req.headers, 'content-type'))) {
    return fail('InvalidParameter.ContentType');
  }
  // latin1 maps each byte to one char; a raw byte >= 0x80 then fails decoding as it should (a form
  // body is ASCII, with everything else percent-encoded).
  return ok(req.body.toString('latin1'));
}

const NO_BODY: Result<string> = Object.freeze(ok(''));

function isFormContentType(value: string | readonly string[] | undefined): boolean {
  if (typeof value !== 'string') return false;
  const semicolon = value.indexOf(';');
  const mediaType = (semicolon < 0 ? value : value.slice(0, semicolon)).trim();
  return mediaType.length === FORM_CONTENT_TYPE.length && mediaType.toLowerCase() === FORM_CONTENT_TYPE;
}

/**
 * A header's value(s), or `undefined` when absent. Own properties only: a SignedHeaders entry such as
 * `constructor` or `__proto__` must not find something on Object.prototype.
 */
function headerValue(headers: Headers, name: string): string | readonly string[] | undefined {
  if (!Object.hasOwn(headers, name)) return undefined;
  const value = headers[name];
  if (!Array.isArray(value)) return value;
  if (value.length === 0) return undefined;
  return value.length === 1 ? value[0] : value;
}
