import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, formatRelative } from './format';

describe('dates', () => {
  it('are shown in UTC to the minute', () => {
    expect(formatDateTime('2026-12-06T03:09:47Z')).toBe('2026-12-06\u00a003:09\u00a0UTC');
    expect(formatDateTime('2026-12-06T05:09:47+02:00')).toBe('2026-12-06\u00a003:09\u00a0UTC');
    expect(formatDate('2026-12-06T23:59:59Z')).toBe('2026-12-06');
  });

  it('show a dash when absent and the raw value when unparsable', () => {
    expect(formatDateTime(undefined)).toBe('—');
    expect(formatDateTime('')).toBe('—');
    expect(formatDateTime('soon')).toBe('soon');
  });

  it('say how long ago, coarsely', () => {
    const now = Date.parse('2026-12-06T00:00:00Z');
    expect(formatRelative('2026-12-05T23:59:30Z', now)).toBe('just now');
    expect(formatRelative('2026-12-05T23:00:00Z', now)).toBe('1 hour ago');
    expect(formatRelative('2026-09-01T00:00:00Z', now)).toBe('3 months ago');
    expect(formatRelative('2026-12-08T00:00:00Z', now)).toBe('in 2 days');
    expect(formatRelative(undefined, now)).toBe('never');
  });
});
