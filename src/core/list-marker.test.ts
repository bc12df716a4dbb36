// Unit tests of the paging markers: every marker handed out decodes back, anything else is InvalidParameter.Marker.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RamkeyError } from './errors/ramkey-error.js';
import { decodeListMarker, encodeListMarker } from './list-marker.js';

function markerError(marker: string): string | undefined {
  try {
    decodeListMarker(marker);
    return undefined;
  } catch (error) {
    return error instanceof RamkeyError ? error.code : 'not a RamkeyError';
  }
}

describe('list markers', () => {
  it('decodeListMarker(encodeListMarker(k)) is k for every non-empty sort key', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (key) => {
        expect(decodeListMarker(encodeListMarker(key))).toBe(key);
      }),
    );
  });

  it('any string either decodes to the key it encodes or fails with InvalidParameter.Marker', () => {
    fc.assert(
      fc.property(fc.string(), (marker) => {
        const code = markerError(marker);
        if (code === undefined) expect(encodeListMarker(decodeListMarker(marker))).toBe(marker);
        else expect(code).toBe('InvalidParameter.Marker');
      }),
    );
  });

  it.each(['', '!', 'QQ==', 'QR', '_w', 'a b'])('refuses %j', (marker) => {
    expect(markerError(marker)).toBe('InvalidParameter.Marker');
  });
});
