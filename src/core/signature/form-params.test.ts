// The parameter-list decoder's fast path against decoding each component, and the duplicate split.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Result } from '../errors/ramkey-error.js';
import { decodeFormParams, splitParams } from './form-params.js';
import { decodeFormComponent, percentEncode } from './percent-encoding.js';
import type { Param } from './signed-request.js';

/**
 * The general path alone: every piece split on its first `=` and each side decoded by
 * decodeFormComponent, with the same rules for empty pieces and names (the limits are not reached
 * by these inputs).
 */
function referenceDecode(encoded: string): Param[] | 'Encoding' {
  const out: Param[] = [];
  for (const piece of encoded.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const rawName = eq < 0 ? piece : piece.slice(0, eq);
    if (rawName === '') return 'Encoding';
    const name = decodeFormComponent(rawName, 0, rawName.length);
    const value = eq < 0 ? '' : decodeFormComponent(piece, eq + 1, piece.length);
    if (name === undefined || value === undefined) return 'Encoding';
    out.push([name, value]);
  }
  return out;
}

function decoded(encoded: string): Param[] | 'Encoding' {
  const out: Param[] = [];
  const result = decodeFormParams(encoded, out);
  if (result.ok) return out;
  expect(result).toMatchObject({ ok: false, code: 'InvalidParameter.Encoding' });
  return 'Encoding';
}

/**
 * Canonical form by its definition: every piece is `name=value`, each side exactly percentEncode of
 * what it decodes to; no pieces at all qualify too.
 */
function referenceCanonical(encoded: string): boolean {
  if (encoded === '') return true;
  return encoded.split('&').every((piece) => {
    const eq = piece.indexOf('=');
    if (eq < 0) return false;
    const name = decodeFormComponent(piece, 0, eq);
    const value = decodeFormComponent(piece, eq + 1, piece.length);
    if (name === undefined || value === undefined) return false;
    return percentEncode(name) + '=' + percentEncode(value) === piece;
  });
}

/**
 * Query strings where plain pieces, escapes, `+`, separators and characters to refuse all turn up;
 * mostly printable, so that the fast path is taken often.
 */
const query = fc
  .array(
    fc.oneof(
      {
        arbitrary: fc.constantFrom('&', '=', '%3A', '%2a', '%E4%B8%AD', '~', '*', ':', '%41', '%7E'),
        weight: 6,
      },
      {
        arbitrary: fc.string({
          unit: fc.constantFrom('a', 'B', '0', '-', '.', '_'),
          minLength: 1,
          maxLength: 6,
        }),
        weight: 6,
      },
      { arbitrary: fc.constantFrom('%', '+', '%C0', ' ', '\u00e9', '\n'), weight: 2 },
      { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 1 },
    ),
    { maxLength: 16 },
  )
  .map((parts) => parts.join(''));

describe('decodeFormParams', () => {
  it('decodes like decodeFormComponent on each piece, fast path or not', () => {
    fc.assert(
      fc.property(query, (encoded) => {
        expect(decoded(encoded)).toEqual(referenceDecode(encoded));
      }),
      { numRuns: 2000 },
    );
  });

  it('tells whether the input was in canonical form', () => {
    fc.assert(
      fc.property(query, (encoded) => {
        const result = decodeFormParams(encoded, []);
        if (result.ok) expect(result.value).toBe(referenceCanonical(encoded));
      }),
      { numRuns: 2000 },
    );
    const canonical = (encoded: string) => {
      const result = decodeFormParams(encoded, []);
      return result.ok && result.value;
    };
    expect(canonical('A=b&T=23%3A02&N=&U=%E4%B8%AD')).toBe(true);
    expect(canonical('')).toBe(true); // no pieces: trivially
    // Each of these spells a parameter otherwise than percentEncode would.
    for (const other of ['A=b&', 'A=b&&C=d', 'A', 'A=b=c', 'T=23%3a02', 'S=a+b', 'X=%41', 'X=*', 'X=%7e']) {
      expect(canonical(other), other).toBe(false);
    }
  });

  it('slices plain pieces and decodes the others, in one string', () => {
    expect(decoded('A=b&T=23%3A02&S=a+b&E&&N=')).toEqual([
      ['A', 'b'],
      ['T', '23:02'],
      ['S', 'a b'],
      ['E', ''],
      ['N', ''],
    ]);
    // One character outside printable ASCII anywhere turns the fast path off; it is still refused.
    expect(decoded('A=b&X=a b')).toBe('Encoding');
    expect(decoded('A=b%ZZ&X=1')).toBe('Encoding');
  });
});

describe('splitParams', () => {
  const fieldNames = ['Action', 'Signature'];
  const split = (params: Param[]): Result<unknown> => splitParams(params, fieldNames);

  it('takes the fields out and keeps the rest in arrival order', () => {
    const result = splitParams(
      [
        ['Z', '1'],
        ['Signature', 's'],
        ['A', '2'],
      ],
      fieldNames,
    );
    expect(result.ok && result.value.fields).toEqual([undefined, 's']);
    expect(result.ok && [...result.value.business]).toEqual([
      ['Z', '1'],
      ['A', '2'],
    ]);
  });

  it('refuses the first repeated name in arrival order, field or not', () => {
    const dup = (name: string) => ({ ok: false, code: 'InvalidParameter.Duplicate', params: [name] });
    expect(
      split([
        ['X', '1'],
        ['Action', 'a'],
        ['Action', ''],
        ['X', '2'],
      ]),
    ).toMatchObject(dup('Action'));
    expect(
      split([
        ['X', '1'],
        ['Y', ''],
        ['X', ''],
      ]),
    ).toMatchObject(dup('X'));
  });
});
