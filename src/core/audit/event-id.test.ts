import { describe, expect, it } from 'vitest';
import { cryptoRandom } from '../random.js';
import { eventId } from './event-id.js';

describe('eventId', () => {
  it('is a version 7 UUID carrying the time', () => {
    const now = Date.parse('2026-11-28T05:00:00.123Z');
    const id = eventId(now, cryptoRandom);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
  });

  it('sorts by time, and differs within one millisecond', () => {
    const t = 1_800_000_000_000;
    const ids = [t, t + 1, t + 1000, t + 86_400_000].map((n) => eventId(n, cryptoRandom));
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 1000 }, () => eventId(t, cryptoRandom)));
    expect(same.size).toBe(1000);
  });

  it('keeps the random bits of the UUID it is given after its version nibble', () => {
    const random = { bytes: () => Buffer.alloc(0), uuid: () => '0f0f0f0f-0f0f-4abc-9def-0123456789ab' };
    expect(eventId(0x0123456789ab, random)).toBe('01234567-89ab-7abc-9def-0123456789ab');
  });
});
