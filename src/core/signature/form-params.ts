// Decoding of query strings and form bodies into one parameter set, with limits and duplicate refusal.
import { fail, ok, type Result } from '../errors/ramkey-error.js';
import { decodeFormComponent, escapesAreCanonical } from './percent-encoding.js';
import type { Param } from './signed-request.js';

/** At most this many parameters per request, query and body together. */
export const MAX_PARAMETERS = 200;
/** Longest parameter name, in UTF-16 code units after decoding. */
export const MAX_PARAMETER_NAME_LENGTH = 128;
/** Longest parameter value, in UTF-16 code units after decoding. */
export const MAX_PARAMETER_VALUE_LENGTH = 16384;

/**
 * Decodes `name=value&name=value` (a raw query string or an `application/x-www-form-urlencoded` body)
 * and appends each pair to `out`, which spans every source of one request. Returns a failure, or
 * whether `encoded` was in canonical form (below) when all went in. Repeated names are
 * {@link splitParams}'s to refuse.
 *
 * - A piece without `=` is a parameter with an empty value; empty pieces (`a=1&&b=2`, a trailing
 *   `&`) carry nothing and are skipped; an empty name (`=x`) is `InvalidParameter.Encoding`.
 * - The limits bound the work per request before any hashing happens.
 *
 * Canonical form: every piece is `name=value` with both spelled exactly as `percentEncode` spells
 * them (5.1: unreserved characters raw, every other byte as upper-case `%XY`; no `+`, no escaped
 * unreserved character). `encoded` is then the canonical query string of `out`'s new pairs in
 * arrival order, which spares the V1 verifier re-encoding them (parse-signed-request.ts).
 */
export function decodeFormParams(encoded: string, out: Param[]): Result<boolean> {
  const n = encoded.length;
  if (n === 0) return CANONICAL; // no pieces (most bodies, some queries): skip the scans
  // Only unreserved characters, `%`, `&` and `=`: what a canonical query consists of, and a subset of
  // printable ASCII, so one native scan settles both questions for what SDKs send.
  let canonical = !NOT_CANONICAL_CHARACTER.test(encoded);
  // Fast path: when every character is printable ASCII, a piece with no `%` and no `+` decodes to
  // itself, so its name and value are sliced rather than decoded character by character. SDKs
  // escape little beyond `:` and `=`, so most pieces take it.
  const printable = canonical || !NOT_PRINTABLE_ASCII.test(encoded);
  let start = 0;
  // Positions of the next `=`, `%` and `+` at or after `start`, kept across pieces so that a long
  // run of pieces without one costs O(n), not O(n^2).
  let nextEq = -1;
  let nextPercent = -1;
  let nextPlus = -1;
  while (start < n) {
    let amp = encoded.indexOf('&', start);
    if (amp < 0) amp = n;
    if (amp === start) canonical = false; // an empty piece
    if (amp > start) {
      nextEq = nextIndex(encoded, '=', start, nextEq);
      const nameEnd = nextEq < amp ? nextEq : amp;
      if (nameEnd === start) return fail('InvalidParameter.Encoding');
      if (out.length >= MAX_PARAMETERS) return fail('InvalidParameter.TooMany', String(MAX_PARAMETERS));
      // Where the piece's first `%` or `+` is says which of its sides need decoding (a name such as
      // Timestamp is plain, its value not).
      let firstEscape = start;
      if (printable) {
        nextPercent = nextIndex(encoded, '%', start, nextPercent);
        nextPlus = nextIndex(encoded, '+', start, nextPlus);
        firstEscape = Math.min(nextPercent, nextPlus);
      }
      const name = component(encoded, start, nameEnd, firstEscape >= nameEnd);
      if (name === undefined) return fail('InvalidParameter.Encoding');
      if (name.length > MAX_PARAMETER_NAME_LENGTH) {
        // The name is echoed in the error; cut it so a huge one is not sent back whole.
        const shown = name.slice(0, MAX_PARAMETER_NAME_LENGTH) + '...';
        return fail('InvalidParameter.TooLong', shown, String(MAX_PARAMETER_NAME_LENGTH));
      }
      const plainPiece = firstEscape >= amp;
      const value = nameEnd === amp ? '' : component(encoded, nameEnd + 1, amp, plainPiece);
      if (value === undefined) return fail('InvalidParameter.Encoding');
      if (value.length > MAX_PARAMETER_VALUE_LENGTH) {
        return fail('InvalidParameter.TooLong', name, String(MAX_PARAMETER_VALUE_LENGTH));
      }
      out.push([name, value]);
      if (canonical) {
        // The characters are unreserved ones, `%` and `=` (the scan above). Canonical: one `=`, and
        // escapes as percentEncode writes them. Looking for a second `=` also finds the next piece's
        // `=` for the lookup above.
        if (nameEnd === amp) {
          canonical = false;
        } else {
          nextEq = nextIndex(encoded, '=', nameEnd + 1, nextEq);
          canonical = nextEq >= amp && (plainPiece || escapesAreCanonical(encoded, start, amp));
        }
      }
    }
    start = amp + 1;
  }
  // The loop never reaches the empty piece after a trailing `&`.
  if (encoded.endsWith('&')) canonical = false;
  return canonical ? CANONICAL : NOT_CANONICAL;
}

/** Anything but printable ASCII (0x21-0x7e), the only characters {@link decodeFormComponent} takes raw. */
const NOT_PRINTABLE_ASCII = /[^\x21-\x7e]/;
/** Anything but an unreserved character (5.1: `A-Z a-z 0-9 - _ . ~`), `%`, `&` and `=`. */
const NOT_CANONICAL_CHARACTER = /[^A-Za-z0-9\-_.~%&=]/;

const CANONICAL: Result<boolean> = Object.freeze(ok(true));
const NOT_CANONICAL: Result<boolean> = Object.freeze(ok(false));

/** `encoded[start, end)` decoded; sliced when the caller knows it decodes to itself (`plain`). */
function component(encoded: string, start: number, end: number, plain: boolean): string | undefined {
  return plain ? encoded.slice(start, end) : decodeFormComponent(encoded, start, end);
}

/** The first index of `ch` in `s` at or after `from`, or `s.length` when none: `known` if it still is. */
function nextIndex(s: string, ch: string, from: number, known: number): number {
  if (known >= from) return known;
  const at = s.indexOf(ch, from);
  return at < 0 ? s.length : at;
}

/** A request's decoded parameters, sorted out by {@link splitParams}. */
export interface SplitParams {
  /** The value of each of the given field names, by position; `undefined` when absent. */
  readonly fields: (string | undefined)[];
  /** Every other parameter, in arrival order: the operation's own parameters. */
  readonly business: Map<string, string>;
}

/**
 * Takes the named signing and routing fields out of a request's parameters and puts the rest in a
 * Map. Security: a name given twice (in one source or across query and body) is
 * `InvalidParameter.Duplicate`, the first repeat in arrival order reported. V1 signs query and body
 * as one set, and a repeated name would let the signed value and the value a handler reads differ.
 *
 * The fields never enter the Map: a request carries more of them than operation parameters, and
 * filling a Map only to delete from it again cost more than the rest of the split.
 */
export function splitParams(params: readonly Param[], fieldNames: readonly string[]): Result<SplitParams> {
  const fields = new Array<string | undefined>(fieldNames.length).fill(undefined);
  const business = new Map<string, string>();
  for (const [name, value] of params) {
    const slot = fieldNames.indexOf(name);
    if (slot >= 0) {
      if (fields[slot] !== undefined) return fail('InvalidParameter.Duplicate', name);
      fields[slot] = value;
    } else {
      if (business.has(name)) return fail('InvalidParameter.Duplicate', name);
      business.set(name, value);
    }
  }
  return ok({ fields, business });
}
