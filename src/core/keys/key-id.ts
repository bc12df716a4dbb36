// Identifier formats, in one place: AccessKey IDs and secrets, account IDs, user IDs, request IDs.
import { crc32 } from 'node:zlib';
import type { Random } from '../random.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `LTAI` + 16 random base62 characters + 4-character checksum = 24 characters, Alibaba's length. */
export const ACCESS_KEY_ID_PREFIX = 'LTAI';
export const ACCESS_KEY_ID_LENGTH = 24;
const ID_RANDOM_CHARS = 16;
const ID_CHECKSUM_CHARS = 4;
export const ACCESS_KEY_SECRET_LENGTH = 30;

/**
 * Uniform base62 characters from random bytes. Rejection sampling (bytes >= 248 are dropped)
 * avoids the modulo bias that `byte % 62` alone would give.
 */
export function randomBase62(random: Random, length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random.bytes(length * 2)) {
      if (byte < 248) {
        out += BASE62.charAt(byte % 62);
        if (out.length === length) break;
      }
    }
  }
  return out;
}

function checksum(body: string): string {
  let n = crc32(body) % 62 ** ID_CHECKSUM_CHARS;
  let out = '';
  for (let i = 0; i < ID_CHECKSUM_CHARS; i++) {
    out = BASE62.charAt(n % 62) + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** A new AccessKey ID: 95 random bits, and a checksum that `isAccessKeyId` checks offline. */
export function generateAccessKeyId(random: Random): string {
  const body = ACCESS_KEY_ID_PREFIX + randomBase62(random, ID_RANDOM_CHARS);
  return body + checksum(body);
}

/**
 * True when `value` is shaped like a Ramkey AccessKey ID and its checksum holds. A leak scanner
 * can use this to tell a real Ramkey ID from a look-alike without asking the server; the gate uses
 * it to refuse malformed IDs before any lookup.
 */
export function isAccessKeyId(value: string): boolean {
  if (value.length !== ACCESS_KEY_ID_LENGTH || !value.startsWith(ACCESS_KEY_ID_PREFIX)) return false;
  if (!/^[0-9A-Za-z]+$/.test(value)) return false;
  const body = value.slice(0, ACCESS_KEY_ID_LENGTH - ID_CHECKSUM_CHARS);
  return checksum(body) === value.slice(ACCESS_KEY_ID_LENGTH - ID_CHECKSUM_CHARS);
}

/** A new AccessKey secret: 30 base62 characters (about 178 random bits). */
export function generateAccessKeySecret(random: Random): string {
  return randomBase62(random, ACCESS_KEY_SECRET_LENGTH);
}

function randomDigits(random: Random, length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random.bytes(length * 2)) {
      if (byte < 250) {
        out += String(byte % 10);
        if (out.length === length) break;
      }
    }
  }
  return out;
}

/** Account IDs are 16 digits, never starting with 0 (as Alibaba's are). */
export function generateAccountId(random: Random): string {
  return String(1 + ((random.bytes(1)[0] ?? 0) % 9)) + randomDigits(random, 15);
}

/** RAM user IDs are 16-digit numeric strings as well. */
export function generateUserId(random: Random): string {
  return generateAccountId(random);
}

export function isAccountId(value: string): boolean {
  return /^[1-9]\d{15}$/.test(value);
}

/** Request IDs are upper-case UUIDs, as Alibaba's. */
export function generateRequestId(random: Random): string {
  return random.uuid().toUpperCase();
}
