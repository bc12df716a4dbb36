// Alibaba's percent-encoding (reference/alibaba-api.md 5.1) and the strict form decoder used on requests.

// Unreserved characters (5.1): `A-Z a-z 0-9 - _ . ~`. Everything else is `%XY` of its UTF-8 bytes.
const UNRESERVED = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~') {
  UNRESERVED[ch.charCodeAt(0)] = 1;
}

// The encoding of each ASCII character, once (`%2A`) and twice (`%252A`).
const ONCE: readonly string[] = Array.from({ length: 128 }, (_, c) => '%' + hex2(c));
const TWICE: readonly string[] = Array.from({ length: 128 }, (_, c) => '%25' + hex2(c));

function hex2(c: number): string {
  return c.toString(16).toUpperCase().padStart(2, '0');
}

/**
 * Alibaba's percent-encoding, shared by V1 and V3 (5.1): unreserved characters stay, every other
 * UTF-8 byte becomes upper-case `%XY`. Space is `%20` (never `+`), `*` is `%2A`, `~` stays `~`.
 * Identical to the SDKs' `encodeURIComponent` followed by escaping `! ' ( ) *`.
 *
 * Throws `URIError` for a string that is not well-formed UTF-16 (a lone surrogate), exactly as
 * `encodeURIComponent` and therefore the SDKs do. Strings decoded from requests never contain one
 * (decoding is strict), so the server never reaches that throw.
 *
 * @example percentEncode('a b*~/') === 'a%20b%2A~%2F'
 */
export function percentEncode(s: string): string {
  return encode(s, ONCE, false);
}

/**
 * `percentEncode(percentEncode(s))` in one pass, for the V1 string to sign, which encodes the
 * already-encoded canonical string again (5.2 step 4): `*` becomes `%252A`.
 */
export function percentEncodeTwice(s: string): string {
  return encode(s, TWICE, true);
}

// Runs of unreserved characters are copied as slices, ASCII specials come from the table, and
// non-ASCII code points go through encodeURIComponent (for their UTF-8 bytes). Hand-rolled because
// this is on the request path: about twice as fast as encodeURIComponent plus replacements here.
function encode(s: string, table: readonly string[], twice: boolean): string {
  const n = s.length;
  let out = '';
  let runStart = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && UNRESERVED[c] === 1) continue;
    if (i > runStart) out += s.slice(runStart, i);
    if (c < 128) {
      out += table[c] ?? '';
    } else {
      // One code point: a surrogate pair when well formed; a lone surrogate makes encodeURIComponent throw.
      let end = i + 1;
      if (c >= 0xd800 && c <= 0xdbff && end < n) {
        const low = s.charCodeAt(end);
        if (low >= 0xdc00 && low <= 0xdfff) end++;
      }
      const bytes = encodeURIComponent(s.slice(i, end));
      out += twice ? bytes.replaceAll('%', '%25') : bytes;
      i = end - 1;
    }
    runStart = i + 1;
  }
  if (runStart === 0) return s; // all unreserved: the common case (names, ids, nonces) allocates nothing
  return runStart < n ? out + s.slice(runStart) : out;
}

/**
 * Whether every `%XY` escape in `s[start, end)` is one {@link percentEncode} writes: upper-case hex
 * digits, for a byte that is not an unreserved character (`%41` spells `A` otherwise than it does).
 * Escapes are assumed well formed (two hex digits), as in a component that decoded.
 */
export function escapesAreCanonical(s: string, start: number, end: number): boolean {
  for (let at = s.indexOf('%', start); at >= 0 && at < end; at = s.indexOf('%', at + 3)) {
    const hi = upperHexValue(s.charCodeAt(at + 1));
    const lo = upperHexValue(s.charCodeAt(at + 2));
    if (hi < 0 || lo < 0) return false;
    const byte = (hi << 4) | lo;
    if (byte < 128 && UNRESERVED[byte] === 1) return false;
  }
  return true;
}

function upperHexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

/**
 * The most bytes {@link writePercentEncodedTwice} writes per UTF-16 code unit: a BMP character is up
 * to 3 UTF-8 bytes and each byte becomes `%25XY` (5); a surrogate pair is 4 bytes for 2 units.
 */
export const MAX_TWICE_BYTES_PER_UNIT = 15;

const HEX_UPPER = Uint8Array.from('0123456789ABCDEF', (ch) => ch.charCodeAt(0));

/**
 * `percentEncodeTwice(s)` written as ASCII bytes into `buf` at `at` (room for
 * `s.length * MAX_TWICE_BYTES_PER_UNIT` bytes is the caller's to ensure); returns the end. The V1
 * verifier hashes these bytes directly, instead of building the string to sign and encoding it
 * again as UTF-8. Throws `URIError` on a lone surrogate, as percentEncode does.
 */
export function writePercentEncodedTwice(buf: Uint8Array, at: number, s: string): number {
  let p = at;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      if (UNRESERVED[c] === 1) {
        buf[p++] = c;
      } else {
        buf[p++] = 0x25; // %25XY: the byte's %XY, its % encoded again
        buf[p++] = 0x32;
        buf[p++] = 0x35;
        buf[p++] = HEX_UPPER[c >> 4] ?? 0;
        buf[p++] = HEX_UPPER[c & 15] ?? 0;
      }
      continue;
    }
    // Non-ASCII (rare): the same code-point step as encode(), then its %XY bytes with % encoded again.
    let end = i + 1;
    if (c >= 0xd800 && c <= 0xdbff && end < n) {
      const low = s.charCodeAt(end);
      if (low >= 0xdc00 && low <= 0xdfff) end++;
    }
    const bytes = encodeURIComponent(s.slice(i, end));
    for (let j = 0; j < bytes.length; j++) {
      const b = bytes.charCodeAt(j);
      buf[p++] = b;
      if (b === 0x25) {
        buf[p++] = 0x32;
        buf[p++] = 0x35;
      }
    }
    i = end - 1;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Strict decoding of `application/x-www-form-urlencoded` components (query string and form body).

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUE[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX_VALUE[0x41 + c] = 10 + c;
  HEX_VALUE[0x61 + c] = 10 + c;
}

function hexValue(code: number): number {
  return code < 128 ? (HEX_VALUE[code] ?? -1) : -1;
}

// `fatal`: invalid UTF-8 is an error, never U+FFFD. `ignoreBOM`: a leading EF BB BF is kept as
// U+FEFF instead of being silently dropped, so two different byte strings never decode to one value.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// One scratch buffer for the decoded bytes; decoding is synchronous, so sharing it is safe. Rare big
// components get their own buffer so that one huge request does not pin memory for the process life.
const SCRATCH_MAX = 64 * 1024;
let scratch = Buffer.allocUnsafe(1024);

function byteBuffer(size: number): Buffer {
  if (size <= scratch.length) return scratch;
  if (size > SCRATCH_MAX) return Buffer.allocUnsafe(size);
  scratch = Buffer.allocUnsafe(SCRATCH_MAX);
  return scratch;
}

/**
 * Decodes `s.slice(start, end)` as one form component: `%XY` is a byte, `+` is a space, other
 * characters stand for themselves. Returns `undefined` (the caller answers
 * `InvalidParameter.Encoding`) for a truncated or non-hex `%` escape, for a raw character outside
 * printable ASCII (a correct client percent-encodes everything else), and for bytes that are not
 * valid UTF-8.
 */
export function decodeFormComponent(s: string, start: number, end: number): string | undefined {
  // The bytes go to a scratch buffer and become one flat string at the end. (Appending the runs
  // between escapes to a string instead makes a rope, which every later character-by-character
  // reader of the value, the timestamp parser and the V1 encoder, pays for again.)
  const bytes = byteBuffer(end - start);
  let n = 0;
  let escaped = false;
  let ascii = true;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 >= end) return undefined;
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      bytes[n++] = (hi << 4) | lo;
      if (hi >= 8) ascii = false;
      escaped = true;
      i += 2;
    } else if (c === 0x2b) {
      bytes[n++] = 0x20;
      escaped = true;
    } else if (c < 0x21 || c > 0x7e) {
      return undefined;
    } else {
      bytes[n++] = c;
    }
  }
  if (!escaped) return s.slice(start, end);
  // ASCII bytes are their own UTF-8; anything else is checked strictly.
  if (ascii) return bytes.toString('latin1', 0, n);
  try {
    return strictUtf8.decode(bytes.subarray(0, n));
  } catch {
    return undefined;
  }
}
