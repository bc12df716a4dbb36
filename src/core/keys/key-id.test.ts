import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cryptoRandom, type Random } from '../random.js';
import {
  generateAccessKeyId,
  generateAccessKeySecret,
  generateAccountId,
  generateRequestId,
  isAccessKeyId,
  isAccountId,
  randomBase62,
} from './key-id.js';

/** Deterministic randomness from a fast-check byte array (repeated as needed). */
function bytesRandom(seed: Uint8Array): Random {
  let offset = 0;
  return {
    bytes(n) {
      const out = Buffer.alloc(n);
      // Kept below 248 so that the rejection sampling always makes progress.
      for (let i = 0; i < n; i++) out[i] = (seed[offset++ % seed.length] ?? i) % 248;
      return out;
    },
    uuid: () => '00000000-0000-4000-8000-000000000000',
  };
}

describe('AccessKey IDs', () => {
  it('are LTAI + 20 base62 characters, 24 in all, as Alibaba shapes them', () => {
    const id = generateAccessKeyId(cryptoRandom);
    expect(id).toMatch(/^LTAI[0-9A-Za-z]{20}$/);
  });

  it('carry a checksum that validates offline', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (seed) => {
        expect(isAccessKeyId(generateAccessKeyId(bytesRandom(seed)))).toBe(true);
      }),
    );
  });

  it('fail the checksum when any one character changes', () => {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 23 }), fc.integer({ min: 1, max: 61 }), (pos, shift) => {
        const id = generateAccessKeyId(cryptoRandom);
        const c = alphabet[(alphabet.indexOf(id.charAt(pos)) + shift) % 62] ?? '0';
        const changed = id.slice(0, pos) + c + id.slice(pos + 1);
        // A 4-character base62 checksum lets about one change in 14.8 million through; for a
        // single-character change in the body the CRC never collides at these lengths.
        expect(isAccessKeyId(changed)).toBe(false);
      }),
    );
  });

  it('refuse look-alikes: wrong prefix, length or characters', () => {
    const id = generateAccessKeyId(cryptoRandom);
    expect(isAccessKeyId(`XTAI${id.slice(4)}`)).toBe(false);
    expect(isAccessKeyId(id.slice(0, 23))).toBe(false);
    expect(isAccessKeyId(`${id.slice(0, 23)}-`)).toBe(false);
    expect(isAccessKeyId('LTAI5tVectorTestKeyId0001')).toBe(false);
  });
});

describe('secrets and other identifiers', () => {
  it('makes 30-character base62 secrets that differ every time', () => {
    const a = generateAccessKeySecret(cryptoRandom);
    expect(a).toMatch(/^[0-9A-Za-z]{30}$/);
    expect(generateAccessKeySecret(cryptoRandom)).not.toBe(a);
  });

  it('draws base62 characters without modulo bias (bytes >= 248 are rejected)', () => {
    // Only byte 255 and byte 0: 255 must be skipped, so every character is '0'.
    const random: Random = {
      bytes: (n) => Buffer.from(Array.from({ length: n }, (_, i) => (i % 2 ? 0 : 255))),
      uuid: () => '',
    };
    expect(randomBase62(random, 10)).toBe('0000000000');
  });

  it('makes 16-digit account IDs and upper-case UUID request IDs', () => {
    expect(isAccountId(generateAccountId(cryptoRandom))).toBe(true);
    expect(generateRequestId(cryptoRandom)).toMatch(
      /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/,
    );
  });
});
