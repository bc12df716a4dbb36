// Decoding of query strings and form bodies into one parameter set, with limits and duplicate refusal.
import { fail, type Result } from '../errors/ramkey-error.js';
import { decodeFormComponent } from './percent-encoding.js';
import type { Param } from './signed-request.js';

/** At most this many parameters per request, query and body together. */
export const MAX_PARAMETERS = 200;
/** Longest parameter name, in UTF-16 code units after decoding. */
export const MAX_PARAMETER_NAME_LENGTH = 128;
/** Longest parameter value, in UTF-16 code units after decoding. */
export const MAX_PARAMETER_VALUE_LENGTH = 16384;

/**
 * Decodes `name=value&name=value` (a raw query string or an `application/x-www-form-urlencoded` body)
 * and adds each pair to `out` and to `seen`, which spans every source of one request. Returns a
 * failure, or `undefined` when all went in.
 *
 * - A piece without `=` is a parameter with an empty value; empty pieces (`a=1&&b=2`, a trailing
 *   `&`) carry nothing and are skipped; an empty name (`=x`) is `InvalidParameter.Encoding`.
 * - Security: a name given twice (in one source or across query and body) is
 *   `InvalidParameter.Duplicate`. V1 signs query and body as one set, and a repeated name would let
 *   the signed value and the value a handler reads differ.
 * - The limits bound the work per request before any hashing happens.
 */
export function decodeFormParams(
  encoded: string,
  out: Param[],
  seen: Map<string, string>,
): Result<never> | undefined {
  const n = encoded.length;
  let start = 0;
  // Position of the next `=` at or after `start`, kept across pieces so a long run of pieces without
  // `=` costs O(n), not O(n^2).
  let nextEq = -1;
  while (start < n) {
    let amp = encoded.indexOf('&', start);
    if (amp < 0) amp = n;
    if (amp > start) {
      if (nextEq < start) {
        nextEq = encoded.indexOf('=', start);
        if (nextEq < 0) nextEq = n;
      }
      const nameEnd = nextEq < amp ? nextEq : amp;
      if (nameEnd === start) return fail('InvalidParameter.Encoding');
      if (seen.size >= MAX_PARAMETERS) return fail('InvalidParameter.TooMany', String(MAX_PARAMETERS));
      const name = decodeFormComponent(encoded, start, nameEnd);
      if (name === undefined) return fail('InvalidParameter.Encoding');
      if (name.length > MAX_PARAMETER_NAME_LENGTH) {
        // The name is echoed in the error; cut it so a huge one is not sent back whole.
        const shown = name.slice(0, MAX_PARAMETER_NAME_LENGTH) + '...';
        return fail('InvalidParameter.TooLong', shown, String(MAX_PARAMETER_NAME_LENGTH));
      }
      const value = nameEnd < amp ? decodeFormComponent(encoded, nameEnd + 1, amp) : '';
      if (value === undefined) return fail('InvalidParameter.Encoding');
      if (value.length > MAX_PARAMETER_VALUE_LENGTH) {
        return fail('InvalidParameter.TooLong', name, String(MAX_PARAMETER_VALUE_LENGTH));
      }
      if (seen.has(name)) return fail('InvalidParameter.Duplicate', name);
      seen.set(name, value);
      out.push([name, value]);
    }
    start = amp + 1;
  }
  return undefined;
}
