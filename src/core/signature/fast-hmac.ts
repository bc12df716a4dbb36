// HMAC (RFC 2104) from one-shot `crypto.hash` calls, with the key blocks prepared once per key.
//
// Why not `createHmac`: for the short strings a request signs, the one-shot `crypto.hash` (Node >= 20.12)
// is several times cheaper than a streaming hash object, and `createHmac` re-derives the key blocks on
// every call (reference/performance-floor.md). fast-hmac.test.ts checks this against `createHmac`.
//
//   HMAC(K, m) = H( (K' xor opad) || H( (K' xor ipad) || m ) )
//   K' = K padded with zeros to the block size, or H(K) first when K is longer than a block.
import { hash } from 'node:crypto';
import { inspect } from 'node:util';

export type HmacAlgorithm = 'sha1' | 'sha256';
export type DigestEncoding = 'hex' | 'base64';

/** Both SHA-1 and SHA-256 work on 64-byte blocks. */
const BLOCK_SIZE = 64;
/** Where the message starts in a buffer from {@link HmacKey.innerBuffer}: after the ipad block. */
export const MESSAGE_OFFSET = BLOCK_SIZE;
const DIGEST_SIZE: Record<HmacAlgorithm, number> = { sha1: 20, sha256: 32 };

// The inner message is assembled here: `K' xor ipad` then the UTF-8 message. Hashing is synchronous,
// so one module-wide buffer is safe. Messages beyond SCRATCH_MAX get a buffer of their own instead of
// growing this one for the rest of the process's life. (Between calls it still holds the last key's
// ipad block: no more exposed than the HmacKey objects, which live in the key cache anyway.)
const SCRATCH_MAX = 64 * 1024;
let scratch = Buffer.allocUnsafe(4096);

function scratchOf(maxBytes: number): Buffer {
  if (maxBytes <= scratch.length) return scratch;
  if (maxBytes > SCRATCH_MAX) return Buffer.allocUnsafe(maxBytes);
  scratch = Buffer.allocUnsafe(SCRATCH_MAX);
  return scratch;
}

/**
 * A prepared HMAC key. It holds key-equivalent material (`K' xor ipad` reveals K), so it never prints:
 * `toString`, `toJSON` and `util.inspect` are redacted.
 */
export class HmacKey {
  readonly #algorithm: HmacAlgorithm;
  readonly #ipad: Buffer;
  /**
   * `K' xor ipad` as text, when all its bytes are ASCII (every ASCII key of at most a block, which
   * AccessKeySecrets are): its UTF-8 bytes are then exactly the block, so {@link digest} hands the
   * inner message to `hash` as one string instead of filling a buffer first (one call into C++ fewer).
   */
  readonly #ipadText: string | undefined;
  /** `K' xor opad` followed by room for the inner digest: the outer message, ready but for its tail. */
  readonly #outer: Buffer;

  constructor(algorithm: HmacAlgorithm, key: string | Uint8Array) {
    this.#algorithm = algorithm;
    let k: Uint8Array = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    if (k.length > BLOCK_SIZE) k = hash(algorithm, k, 'buffer');
    this.#ipad = Buffer.alloc(BLOCK_SIZE, 0x36);
    this.#outer = Buffer.alloc(BLOCK_SIZE + DIGEST_SIZE[algorithm]);
    this.#outer.fill(0x5c, 0, BLOCK_SIZE);
    for (let i = 0; i < k.length; i++) {
      const b = k[i] ?? 0;
      this.#ipad[i] = 0x36 ^ b;
      this.#outer[i] = 0x5c ^ b;
    }
    this.#ipadText = this.#ipad.every((b) => b < 0x80) ? this.#ipad.toString('latin1') : undefined;
  }

  /** HMAC of the UTF-8 bytes of `message` (like `createHmac(...).update(message)`), encoded. */
  digest(message: string, encoding: DigestEncoding): string;
  digest(message: string, encoding: 'buffer'): Buffer;
  digest(message: string, encoding: DigestEncoding | 'buffer'): string | Buffer {
    if (this.#ipadText !== undefined) {
      // `hash` encodes a string as UTF-8, as Buffer#write below does (a lone surrogate as U+FFFD).
      return this.#outerDigest(hash(this.#algorithm, this.#ipadText + message, 'hex'), encoding);
    }
    // A UTF-16 code unit is at most 3 UTF-8 bytes, so this bound avoids measuring the string first.
    const inner = this.innerBuffer(message.length * 3);
    const written = inner.write(message, BLOCK_SIZE, 'utf8');
    return encoding === 'buffer'
      ? this.digestInner(inner, BLOCK_SIZE + written, 'buffer')
      : this.digestInner(inner, BLOCK_SIZE + written, encoding);
  }

  /**
   * A buffer that starts with this key's `K' xor ipad` block and has room for `maxMessageBytes` after
   * it: write the message from offset {@link MESSAGE_OFFSET}, then call {@link digestInner}. For
   * callers that produce the message as bytes, which spares building and re-encoding a string.
   * Valid until the next call on any HmacKey (one shared scratch buffer; hashing is synchronous).
   */
  innerBuffer(maxMessageBytes: number): Buffer {
    const inner = scratchOf(BLOCK_SIZE + maxMessageBytes);
    this.#ipad.copy(inner, 0);
    return inner;
  }

  /** HMAC of the message bytes `inner[MESSAGE_OFFSET, end)` of a buffer from {@link innerBuffer}. */
  digestInner(inner: Buffer, end: number, encoding: DigestEncoding): string;
  digestInner(inner: Buffer, end: number, encoding: 'buffer'): Buffer;
  digestInner(inner: Buffer, end: number, encoding: DigestEncoding | 'buffer'): string | Buffer {
    return this.#outerDigest(hash(this.#algorithm, inner.subarray(0, end), 'hex'), encoding);
  }

  /** The outer hash, over `K' xor opad` and the inner digest, given in hex. */
  #outerDigest(innerHex: string, encoding: DigestEncoding | 'buffer'): string | Buffer {
    // Hex is the cheapest output of the one-shot hash; writing it back as bytes is cheap too.
    this.#outer.write(innerHex, BLOCK_SIZE, 'hex');
    return encoding === 'buffer'
      ? hash(this.#algorithm, this.#outer, 'buffer')
      : hash(this.#algorithm, this.#outer, encoding);
  }

  toString(): string {
    return '[HmacKey]';
  }

  toJSON(): string {
    return '[HmacKey]';
  }

  [inspect.custom](): string {
    return '[HmacKey]';
  }
}
