// Alibaba percent-encoding and the strict form decoder.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFormComponent, percentEncode, percentEncodeTwice } from './percent-encoding.js';

/** The official SDKs' `encode()` (@alicloud/openapi-util, pop-core), as the reference. */
function sdkEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/!/g, '%21')
    .replace(/'/g, '%27')
    .replace(/\(/g, '%28')
    .replace(/\)/g, '%29')
    .replace(/\*/g, '%2A');
}

const decode = (s: string): string | undefined => decodeFormComponent(s, 0, s.length);

/** Well-formed strings over all of Unicode, with the characters that matter here made frequent. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      ' ',
      '*',
      '~',
      '+',
      '&',
      '=',
      '%',
      '/',
      '!',
      "'",
      '(',
      ')',
      '中',
      '😀',
      '\u00e9',
      '\ufeff',
    ),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

describe('percentEncode', () => {
  it('follows 5.1: unreserved stay, space is %20, * is %2A, ~ stays, / is %2F, UTF-8 bytes in upper-case hex', () => {
    expect(percentEncode('AZaz09-_.~')).toBe('AZaz09-_.~');
    expect(percentEncode('a b*~/')).toBe('a%20b%2A~%2F');
    expect(percentEncode("!'()")).toBe('%21%27%28%29');
    expect(percentEncode('a+b=c&d')).toBe('a%2Bb%3Dc%26d');
    expect(percentEncode('中文')).toBe('%E4%B8%AD%E6%96%87');
    expect(percentEncode('😀')).toBe('%F0%9F%98%80');
    expect(percentEncode('')).toBe('');
  });

  it('equals the SDK encoder for any well-formed string', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(percentEncode(s)).toBe(sdkEncode(s));
      }),
    );
  });

  it('percentEncodeTwice equals encoding twice', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(percentEncodeTwice(s)).toBe(percentEncode(percentEncode(s)));
      }),
    );
  });

  it('throws URIError on a lone surrogate, as the SDK does', () => {
    expect(() => percentEncode('a\ud800b')).toThrow(URIError);
    expect(() => percentEncode('\udc00')).toThrow(URIError);
  });
});

describe('decodeFormComponent', () => {
  it('decodes %XY (either case) and + as space', () => {
    expect(decode('a+b%20c')).toBe('a b c');
    expect(decode('%2a%2A')).toBe('**');
    expect(decode('%E4%B8%AD')).toBe('中');
    expect(decode('2026-11-27T23%3A02%3A42Z')).toBe('2026-11-27T23:02:42Z');
    expect(decode("(test)*!'~")).toBe("(test)*!'~");
    expect(decode('')).toBe('');
  });

  it('decodes a slice of a larger string', () => {
    expect(decodeFormComponent('x=a%20b&y', 2, 7)).toBe('a b');
  });

  it('refuses truncated and non-hex escapes', () => {
    for (const bad of ['%', '%4', 'a%', 'a%4', '%zz', '%4g', '%%41', '%\u00e9\u00e9'])
      expect(decode(bad)).toBeUndefined();
  });

  it('refuses invalid UTF-8: truncated, overlong, surrogate, out of range, stray continuation', () => {
    for (const bad of ['%E4%B8', '%C0%AF', '%ED%A0%80', '%F4%90%80%80', '%80', '%FF'])
      expect(decode(bad)).toBeUndefined();
  });

  it('refuses raw characters a client must percent-encode (space, controls, non-ASCII)', () => {
    for (const bad of ['a b', 'a\tb', '\u00e9', '中', 'a\u007fb', 'a\nb'])
      expect(decode(bad)).toBeUndefined();
  });

  it('keeps a leading byte-order mark (two inputs never decode to one value)', () => {
    expect(decode('%EF%BB%BFa')).toBe('\ufeffa');
  });

  it('inverts percentEncode and encodeURIComponent', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(decode(percentEncode(s))).toBe(s);
        expect(decode(encodeURIComponent(s))).toBe(s);
      }),
    );
  });

  it('handles components longer than the shared scratch buffer', () => {
    const big = '中'.repeat(30_000);
    expect(decode(percentEncode(big))).toBe(big);
    expect(decode('a'.repeat(70_000) + '%20')).toBe('a'.repeat(70_000) + ' ');
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const out = decode(s);
        expect(out === undefined || typeof out === 'string').toBe(true);
      }),
    );
  });
});
