// Audit event IDs: UUID version 7 (RFC 9562), a 48-bit millisecond timestamp then random bits. IDs
// made later sort later, so the events table's primary key grows at its end instead of at random
// places: much cheaper inserts on both engines than random (version 4) UUIDs.
import type { Random } from '../random.js';

export function eventId(now: number, random: Random): string {
  const bytes = random.bytes(16);
  bytes.writeUIntBE(Math.max(0, Math.min(now, 2 ** 48 - 1)), 0, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f); // version 7
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f); // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
