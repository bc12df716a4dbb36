import { describe, expect, it } from 'vitest';
import { daysLeft, mapLimited, principalName } from './keys';

describe('daysLeft', () => {
  const now = Date.parse('2026-12-06T00:00:00Z');

  it('counts a started day as a day, and a date passed as none', () => {
    expect(daysLeft('2027-01-05T00:00:00Z', now)).toBe(30);
    expect(daysLeft('2026-12-06T00:00:01Z', now)).toBe(1);
    expect(daysLeft('2026-12-05T23:59:59Z', now)).toBe(0);
    expect(daysLeft('not a date', now)).toBe(0);
  });
});

describe('mapLimited', () => {
  it('keeps the order of the items and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimited(
      [5, 1, 4, 2, 3, 0],
      async (n) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, n));
        running--;
        return n * 10;
      },
      2,
    );
    expect(results).toEqual([50, 10, 40, 20, 30, 0]);
    expect(most).toBe(2);
  });

  it('answers an empty list with an empty list', async () => {
    await expect(mapLimited([], () => Promise.resolve(1))).resolves.toEqual([]);
  });
});

describe('principalName', () => {
  it('is the logon name IMS addresses users by', () => {
    expect(principalName('alice', '1234567890123456')).toBe('alice@1234567890123456.onaliyun.com');
  });
});
