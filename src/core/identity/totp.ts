// TOTP (RFC 6238) as virtual MFA devices use it: HMAC-SHA1, a 30-second step, 6 digits, and the
// seed shown to authenticator apps in Base32 (RFC 4648, no padding). Pure functions: time and the
// seed bytes are passed in.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of the current one a code may come from: clocks drift, people type slowly. */
export const TOTP_WINDOW = 1;
/** 20 bytes: the HMAC-SHA1 key length RFC 4226 recommends (160 bits). */
export const TOTP_SEED_BYTES = 20;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CODE = /^\d{6}$/;

/** Base32 (RFC 4648) without padding, as otpauth:// URIs and authenticator apps expect. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32.charAt((buffer >>> (bits - 5)) & 31);
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32.charAt((buffer << (5 - bits)) & 31);
  return out;
}

/** Decodes unpadded upper-case Base32; undefined for anything else. */
export function base32Decode(text: string): Buffer | undefined {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = BASE32.indexOf(char);
    if (value < 0) return undefined;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 255);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  return Buffer.from(bytes);
}

/** The time step an instant (ms since the epoch) falls in. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);
}

/** The code for one time step (RFC 4226's HOTP with the step as counter), `digits` long. */
export function totpCode(seed: Uint8Array, step: number, digits = TOTP_DIGITS): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', seed).update(counter).digest();
  const offset = mac.readUInt8(mac.length - 1) & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, '0');
}

/** True when `code` has TOTP's shape: exactly six ASCII digits. */
export function isTotpCodeFormat(code: string): boolean {
  return CODE.test(code);
}

/**
 * The step, within ±TOTP_WINDOW of `nowMs`'s, whose code is `code`; undefined when none. Every
 * candidate is compared in constant time and none is skipped, so the timing says nothing about
 * which step (if any) matched.
 */
export function matchTotpStep(seed: Uint8Array, code: string, nowMs: number): number | undefined {
  if (!isTotpCodeFormat(code)) return undefined;
  const given = Buffer.from(code, 'ascii');
  const current = totpStep(nowMs);
  let matched: number | undefined;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const expected = Buffer.from(totpCode(seed, step), 'ascii');
    if (timingSafeEqual(expected, given) && matched === undefined) matched = step;
  }
  return matched;
}

/** The otpauth:// URI authenticator apps read from the QR code (Key Uri Format). */
export function otpauthUri(seedBase32: string, issuer: string, accountName: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const query = new URLSearchParams({
    secret: seedBase32,
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}
