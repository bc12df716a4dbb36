import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../clock.js';
import { idleDays, idleDisableAt, idleSince, isIdle, MAX_IDLE_DAYS_CHOICES } from './idle.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('idle AccessKeys', () => {
  it('counts a key idle from its last use, or from its creation when never used', () => {
    expect(idleSince({ createdAt: T0, lastUsedAt: null })).toBe(T0);
    expect(idleSince({ createdAt: T0, lastUsedAt: T0 + 5 })).toBe(T0 + 5);
  });

  it('is idle from exactly MaxIdleDaysForAccessKeys after that, not a millisecond before', () => {
    const never = { createdAt: T0, lastUsedAt: null };
    expect(isIdle(never, T0 + 730 * DAY_MS - 1, 730)).toBe(false);
    expect(isIdle(never, T0 + 730 * DAY_MS, 730)).toBe(true);
    // Used on day 729: not idle on day 730, idle 730 days after that use.
    const used = { createdAt: T0, lastUsedAt: T0 + 729 * DAY_MS };
    expect(isIdle(used, T0 + 730 * DAY_MS, 730)).toBe(false);
    expect(idleDisableAt(used, 730)).toBe(T0 + (729 + 730) * DAY_MS);
    expect(isIdle(used, idleDisableAt(used, 730), 730)).toBe(true);
  });

  it('counts whole idle days, never negative', () => {
    const key = { createdAt: T0, lastUsedAt: T0 + DAY_MS };
    expect(idleDays(key, T0 + DAY_MS + DAY_MS - 1)).toBe(0);
    expect(idleDays(key, T0 + 3 * DAY_MS)).toBe(2);
    expect(idleDays(key, T0)).toBe(0);
  });

  it("offers IMS's choices", () => {
    expect(MAX_IDLE_DAYS_CHOICES).toEqual([90, 180, 365, 730]);
  });
});
