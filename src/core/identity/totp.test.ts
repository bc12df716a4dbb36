// TOTP against RFC 6238's SHA-1 test vectors (appendix B), Base32 against RFC 4648's, and the
// ±1-step window of matchTotpStep.
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  isTotpCodeFormat,
  matchTotpStep,
  otpauthUri,
  totpCode,
  totpStep,
} from './totp.js';

// RFC 6238 appendix B: the SHA-1 seed is the ASCII "12345678901234567890", codes are 8 digits.
const RFC_SEED = Buffer.from('12345678901234567890', 'ascii');
const RFC_VECTORS: [seconds: number, code: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('totpCode', () => {
  it.each(RFC_VECTORS)('matches RFC 6238 at T=%i', (seconds, code) => {
    expect(totpCode(RFC_SEED, totpStep(seconds * 1000), 8)).toBe(code);
  });

  it('gives the six-digit truncation by default (the last six digits of the 8-digit code)', () => {
    for (const [seconds, code] of RFC_VECTORS) {
      expect(totpCode(RFC_SEED, totpStep(seconds * 1000))).toBe(code.slice(2));
    }
  });
});

describe('base32', () => {
  it.each([
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('encodes %j as RFC 4648 does (unpadded) and back', (text, encoded) => {
    expect(base32Encode(Buffer.from(text))).toBe(encoded);
    expect(base32Decode(encoded)?.toString()).toBe(text);
  });

  it('refuses characters outside the alphabet', () => {
    expect(base32Decode('MZXW6=')).toBeUndefined();
    expect(base32Decode('mzxw6')).toBeUndefined();
  });
});

describe('matchTotpStep', () => {
  const at = 1111111111 * 1000;
  const step = totpStep(at);

  it('accepts the current step and one either side, naming the step', () => {
    expect(matchTotpStep(RFC_SEED, totpCode(RFC_SEED, step), at)).toBe(step);
    expect(matchTotpStep(RFC_SEED, totpCode(RFC_SEED, step - 1), at)).toBe(step - 1);
    expect(matchTotpStep(RFC_SEED, totpCode(RFC_SEED, step + 1), at)).toBe(step + 1);
  });

  it('refuses codes two steps away, of another seed, or not six digits', () => {
    expect(matchTotpStep(RFC_SEED, totpCode(RFC_SEED, step - 2), at)).toBeUndefined();
    expect(matchTotpStep(RFC_SEED, totpCode(RFC_SEED, step + 2), at)).toBeUndefined();
    const other = Buffer.from('another seed of twenty', 'ascii');
    expect(matchTotpStep(other, totpCode(RFC_SEED, step), at)).toBeUndefined();
    for (const bad of ['', '12345', '1234567', '12345a', ' 123456', '１２３４５６']) {
      expect(isTotpCodeFormat(bad)).toBe(false);
      expect(matchTotpStep(RFC_SEED, bad, at)).toBeUndefined();
    }
  });
});

describe('otpauthUri', () => {
  it('carries the seed, issuer and TOTP parameters', () => {
    const uri = new URL(otpauthUri('MZXW6YTBOI', 'Ramkey', 'alice@123.onaliyun.com'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Ramkey:alice@123.onaliyun.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: 'MZXW6YTBOI',
      issuer: 'Ramkey',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });
});
