// The byte writer of the V1 string to sign against the string builder the signers use.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalQueryString,
  v1StringToSign,
  v1StringToSignMaxBytes,
  v1StringToSignOf,
  writeV1StringToSign,
} from './canonical-request.js';
import type { Param } from './signed-request.js';

function written(method: string, params: readonly Param[]): Buffer {
  const bound = v1StringToSignMaxBytes(method, params);
  // Filled with a marker, so that a write past the bound would show up as a changed byte.
  const buf = Buffer.alloc(7 + bound + 16, 0xee);
  const end = writeV1StringToSign(buf, 7, method, params);
  expect(end - 7).toBeLessThanOrEqual(bound);
  expect(buf.subarray(7 + bound).every((b) => b === 0xee)).toBe(true);
  return buf.subarray(7, end);
}

describe('writeV1StringToSign', () => {
  it('writes the bytes of v1StringToSign', () => {
    const params: Param[] = [
      ['Version', '2015-05-01'],
      ['Action', 'CreateUser'],
      ['Comments', "a b*~/!'()&=+%"],
      ['DisplayName', 'Zoë 名前 😀'],
      ['Empty', ''],
    ];
    expect(written('POST', params).toString('utf8')).toBe(v1StringToSign('POST', params));
    expect(written('GET', []).toString('utf8')).toBe('GET&%2F&');
  });

  it('agrees with v1StringToSign on any well-formed parameters', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const params = fc.uniqueArray(fc.tuple(text, fc.string({ unit: 'grapheme', maxLength: 30 })), {
      selector: ([name]) => name,
      maxLength: 12,
    });
    fc.assert(
      fc.property(params, (ps) => {
        expect(written('GET', ps).equals(Buffer.from(v1StringToSign('GET', ps), 'utf8'))).toBe(true);
      }),
    );
  });

  it('throws on a lone surrogate, as the string builder does', () => {
    expect(() => written('GET', [['a', '\ud800']])).toThrow(URIError);
    expect(() => v1StringToSign('GET', [['a', '\ud800']])).toThrow(URIError);
  });
});

describe('v1StringToSignOf', () => {
  it('is v1StringToSign, given the canonicalized query string', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const params = fc.uniqueArray(fc.tuple(text, fc.string({ unit: 'grapheme', maxLength: 30 })), {
      selector: ([name]) => name,
      maxLength: 12,
    });
    fc.assert(
      fc.property(params, fc.constantFrom('GET', 'POST'), (ps, method) => {
        expect(v1StringToSignOf(method, canonicalQueryString(ps))).toBe(v1StringToSign(method, ps));
      }),
    );
  });
});
