// The hash-built HMAC equals node:crypto's createHmac, for any key and message.
import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HmacKey, type HmacAlgorithm } from './fast-hmac.js';

const algorithms: HmacAlgorithm[] = ['sha1', 'sha256'];

// Keys around the 64-byte block size matter most (shorter: padded; longer: hashed first).
const keyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.integer({ min: 60, max: 70 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
);
// ASCII keys up to a block take the text path of digest(); the others, the buffer path.
const keyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 70 }),
);
const message = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 2000 }),
);

describe('HmacKey', () => {
  it.each(algorithms)('%s equals createHmac for random byte keys and messages', (algorithm) => {
    fc.assert(
      fc.property(keyBytes, message, (key, msg) => {
        const prepared = new HmacKey(algorithm, key);
        const reference = createHmac(algorithm, key).update(msg).digest();
        expect(prepared.digest(msg, 'hex')).toBe(reference.toString('hex'));
        expect(prepared.digest(msg, 'base64')).toBe(reference.toString('base64'));
        expect(prepared.digest(msg, 'buffer').equals(reference)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each(algorithms)(
    '%s equals createHmac for text keys (UTF-8) and reuses the key correctly',
    (algorithm) => {
      fc.assert(
        fc.property(keyText, fc.array(message, { minLength: 1, maxLength: 4 }), (key, messages) => {
          const prepared = new HmacKey(algorithm, key);
          for (const msg of messages) {
            expect(prepared.digest(msg, 'hex')).toBe(createHmac(algorithm, key).update(msg).digest('hex'));
          }
        }),
        { numRuns: 200 },
      );
    },
  );

  // 'é' is not ASCII, so its key block goes through the shared scratch buffer; 'k' through text.
  it.each(algorithms)('%s handles messages beyond the shared scratch buffer', (algorithm) => {
    for (const secret of ['é', 'k']) {
      const key = new HmacKey(algorithm, secret);
      for (const msg of ['x'.repeat(5_000), '中'.repeat(30_000), 'y'.repeat(100_000)]) {
        expect(key.digest(msg, 'hex')).toBe(createHmac(algorithm, secret).update(msg).digest('hex'));
      }
    }
  });

  it('matches RFC 4231 test case 1 (HMAC-SHA256) and RFC 2202 test case 2 (HMAC-SHA1)', () => {
    expect(new HmacKey('sha256', Buffer.alloc(20, 0x0b)).digest('Hi There', 'hex')).toBe(
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    );
    expect(new HmacKey('sha1', 'Jefe').digest('what do ya want for nothing?', 'hex')).toBe(
      'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
    );
  });

  // Security: the prepared blocks are key-equivalent; they must never reach a log.
  it('never prints its key material', () => {
    const key = new HmacKey('sha256', 'TopSecretValue');
    expect(String(key)).toBe('[HmacKey]');
    expect(JSON.stringify({ key })).toBe('{"key":"[HmacKey]"}');
    expect(inspect(key)).toBe('[HmacKey]');
  });
});
