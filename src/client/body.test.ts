// verifyBody: a body against the lower-case hex SHA-256 its signature declares.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyBody } from './body.js';

const sha256 = (body: Uint8Array | string) => createHash('sha256').update(body).digest('hex');
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('verifyBody', () => {
  it('holds for a body and its own hash, and an empty body hashes to the empty hash', () => {
    expect(verifyBody(Buffer.alloc(0), EMPTY)).toBe(true);
    expect(verifyBody('', EMPTY)).toBe(true);
    expect(verifyBody('{"a":1}', sha256('{"a":1}'))).toBe(true);
    expect(verifyBody('{"a":1}', EMPTY)).toBe(false);
  });

  it('hashes a string as its UTF-8 bytes', () => {
    expect(verifyBody('é', sha256(Buffer.from([0xc3, 0xa9])))).toBe(true);
    expect(verifyBody('é', sha256(Buffer.from([0xe9])))).toBe(false);
  });

  it('takes only 64 lower-case hex digits as a declared hash', () => {
    const body = 'UserName=alice';
    const hash = sha256(body);
    expect(verifyBody(body, hash.toUpperCase())).toBe(false);
    expect(verifyBody(body, ` ${hash}`)).toBe(false);
    expect(verifyBody(body, `${hash}00`)).toBe(false);
    expect(verifyBody(body, hash.slice(0, 62))).toBe(false);
    expect(verifyBody(body, `${hash.slice(0, 63)}g`)).toBe(false);
    expect(verifyBody(body, '')).toBe(false);
  });

  it('holds for any body with its own hash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const body = Buffer.from(bytes);
        expect(verifyBody(body, sha256(body))).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 256 }), (text) => {
        expect(verifyBody(text, sha256(Buffer.from(text, 'utf8')))).toBe(true);
      }),
    );
  });

  it('fails for any other body, down to a single changed, added or removed byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), fc.uint8Array({ maxLength: 1024 }), (signed, sent) => {
        fc.pre(!Buffer.from(signed).equals(Buffer.from(sent)));
        expect(verifyBody(Buffer.from(sent), sha256(signed))).toBe(false);
      }),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 1024 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, at, flip) => {
          const signed = Buffer.from(bytes);
          const declared = sha256(signed);
          const changed = Buffer.from(signed);
          const i = at % changed.length;
          changed[i] = (changed[i] ?? 0) ^ flip;
          expect(verifyBody(changed, declared)).toBe(false);
          expect(verifyBody(Buffer.concat([signed, Buffer.from([flip])]), declared)).toBe(false);
          expect(verifyBody(signed.subarray(0, signed.length - 1), declared)).toBe(false);
        },
      ),
    );
  });
});
