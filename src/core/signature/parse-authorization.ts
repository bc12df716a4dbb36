// Parsing of the V3 `Authorization` header (reference/alibaba-api.md 5.3 step 4).
import { fail, ok, type Result } from '../errors/ramkey-error.js';
import { V3_ALGORITHM } from './canonical-request.js';

/** The three fields of `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`. */
export interface V3Authorization {
  readonly credential: string;
  /** The list as sent, e.g. `host;x-acs-action;...`; it goes into the canonical request verbatim. */
  readonly signedHeaders: string;
  readonly signature: string;
}

/** An Authorization value in the V3 family. Other values (Basic, Bearer, ...) mean "not V3". */
export function isV3Authorization(value: string): boolean {
  return value.startsWith('ACS3-');
}

// RFC 9110 `tchar`, minus upper-case letters: a SignedHeaders entry names a header as the canonical
// request spells it, and both the SDKs and Node use lower case.
const HEADER_NAME_CHAR = new Uint8Array(128);
for (const ch of "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~")
  HEADER_NAME_CHAR[ch.charCodeAt(0)] = 1;

function isHeaderName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || HEADER_NAME_CHAR[c] !== 1) return false;
  }
  return true;
}

const MALFORMED = 'Malformed Authorization header.';

/**
 * Parses a V3 Authorization value into its three fields. Spaces after the commas are tolerated (the
 * SDKs send none). Every failure is `IncompleteSignature` with a short reason; any algorithm other
 * than `ACS3-HMAC-SHA256` (the SDK also knows ACS3-HMAC-SM3 and ACS3-RSA-SHA256) is refused: the
 * public V3 documentation names only HMAC-SHA256 for these APIs. The SignedHeaders list is checked
 * by {@link parseSignedHeaders}.
 */
export function parseAuthorization(value: string): Result<V3Authorization> {
  const space = value.indexOf(' ');
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== V3_ALGORITHM) return fail('IncompleteSignature', 'Unsupported signature algorithm.');
  if (space < 0) return fail('IncompleteSignature', MALFORMED);

  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  for (const rawPart of value.slice(space + 1).split(',')) {
    const part = rawPart.trim();
    const eq = part.indexOf('=');
    if (eq < 0) return fail('IncompleteSignature', MALFORMED);
    const field = part.slice(0, eq);
    const fieldValue = part.slice(eq + 1);
    if (field === 'Credential' && credential === undefined) credential = fieldValue;
    else if (field === 'SignedHeaders' && signedHeaders === undefined) signedHeaders = fieldValue;
    else if (field === 'Signature' && signature === undefined) signature = fieldValue;
    else return fail('IncompleteSignature', MALFORMED); // unknown or repeated field
  }
  if (!credential || !signedHeaders || !signature) {
    return fail('IncompleteSignature', 'Authorization must carry Credential, SignedHeaders and Signature.');
  }
  return ok({ credential, signedHeaders, signature });
}

/**
 * Splits a SignedHeaders list into its names, which must be lower-case header names, strictly sorted
 * and free of repeats. The canonical request carries the list verbatim while CanonicalHeaders is
 * sorted, so an unsorted or repeated list has no single meaning; refusing it keeps one request = one
 * string to sign.
 */
export function parseSignedHeaders(signedHeaders: string): Result<readonly string[]> {
  const names = signedHeaders.split(';');
  let previous = '';
  for (const name of names) {
    if (!isHeaderName(name) || name <= previous) {
      return fail('IncompleteSignature', 'SignedHeaders must be lower-case, sorted and without repeats.');
    }
    // The Authorization header cannot sign itself.
    if (name === 'authorization')
      return fail('IncompleteSignature', 'SignedHeaders must not list authorization.');
    previous = name;
  }
  return ok(names);
}
