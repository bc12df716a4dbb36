// A request body against the SHA-256 its signature covers (V3's x-acs-content-sha256), and reading a
// body whole, within a limit, for the middlewares.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';

/** What x-acs-content-sha256 holds: lower-case hex, as the SDKs send it and Ramkey requires. */
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * True when `body` hashes to `declaredSha256`, the lower-case hex SHA-256 a V3 signature covers
 * (the request's `x-acs-content-sha256`, or Ramkey's `X-Ramkey-Content-Sha256`). A string body is
 * hashed as its UTF-8 bytes; an empty body hashes to e3b0c442...b855. Anything but 64 lower-case hex
 * digits is no match. The digests are compared in constant time.
 */
export function verifyBody(body: Buffer | string, declaredSha256: string): boolean {
  const digest = createHash('sha256').update(body).digest();
  // The declared hash is no secret (it travels in a header): checking its shape first leaks nothing.
  if (!SHA256_HEX.test(declaredSha256)) return false;
  const declared = Buffer.from(declaredSha256, 'hex');
  return declared.length === digest.length && timingSafeEqual(digest, declared);
}

export type BodyRead = { readonly body: Buffer } | { readonly tooLarge: true };

/**
 * Reads `stream` to its end, or until it has given more than `limit` bytes: then it stops reading
 * (the rest is never buffered) and reports the body too large. Rejects when the stream fails or
 * closes first (the client went away).
 */
export function readBody(stream: Readable, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    if (stream.readableEnded) {
      reject(new Error('the request body was read already'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limit) {
        done();
        stream.pause();
        resolve({ tooLarge: true });
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      done();
      resolve({ body: Buffer.concat(chunks, size) });
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onClose = () => {
      done();
      reject(new Error('the request closed before its body was read'));
    };
    function done() {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    }
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
