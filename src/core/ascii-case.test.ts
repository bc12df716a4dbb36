import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiLower } from './ascii-case.js';

describe('asciiLower', () => {
  it('lowers A-Z only', () => {
    expect(asciiLower('User-ADMIN_1.x')).toBe('user-admin_1.x');
    // Kelvin sign, Latin capital I with dot, German sharp s: Unicode folding would change them all.
    expect(asciiLower('\u212Ael-\u0130-\u1E9E')).toBe('\u212Ael-\u0130-\u1E9E');
    expect(asciiLower('ÄÖÜ Kelvin')).toBe('ÄÖÜ kelvin');
  });

  it('changes no character outside A-Z, and keeps the length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const lowered = asciiLower(s);
        expect(lowered).toHaveLength(s.length);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          expect(lowered.charCodeAt(i)).toBe(c >= 65 && c <= 90 ? c + 32 : c);
        }
      }),
    );
  });
});
