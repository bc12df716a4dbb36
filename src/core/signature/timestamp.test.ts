// The wire time format and the clock-skew window.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toWireDate } from '../clock.js';
import { checkTimestamp, MAX_CLOCK_SKEW_MS, parseWireTimestamp } from './timestamp.js';

describe('parseWireTimestamp', () => {
  it('parses yyyy-MM-ddTHH:mm:ssZ as UTC', () => {
    expect(parseWireTimestamp('2023-03-13T08:34:30Z')).toBe(Date.UTC(2023, 2, 13, 8, 34, 30));
    expect(parseWireTimestamp('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseWireTimestamp('0001-01-01T00:00:00Z')).toBe(Date.parse('0001-01-01T00:00:00Z'));
    expect(parseWireTimestamp('9999-12-31T23:59:59Z')).toBe(Date.parse('9999-12-31T23:59:59Z'));
  });

  it('accepts 1 to 9 fractional-second digits, keeping milliseconds', () => {
    const base = Date.UTC(2023, 2, 13, 8, 34, 30);
    expect(parseWireTimestamp('2023-03-13T08:34:30.123Z')).toBe(base + 123);
    expect(parseWireTimestamp('2023-03-13T08:34:30.5Z')).toBe(base + 500);
    expect(parseWireTimestamp('2023-03-13T08:34:30.123456789Z')).toBe(base + 123);
  });

  it('accepts real leap days only', () => {
    expect(parseWireTimestamp('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseWireTimestamp('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseWireTimestamp('2023-02-29T00:00:00Z')).toBeUndefined();
    expect(parseWireTimestamp('2100-02-29T00:00:00Z')).toBeUndefined();
  });

  it.each([
    '',
    '2023-03-13T08:34:30',
    '2023-03-13T08:34:30z',
    '2023-03-13t08:34:30Z',
    '2023-03-13 08:34:30Z',
    '2023-03-13T08:34:30+08:00',
    '2023-03-13T08:34:30.Z',
    '2023-03-13T08:34:30.1234567890Z',
    '2023-03-13T08:34:30,123Z',
    '2023-3-13T08:34:30Z',
    '23-03-13T08:34:30Z',
    '2023-03-13T08:34Z',
    '2023-13-01T00:00:00Z',
    '2023-00-01T00:00:00Z',
    '2023-04-31T00:00:00Z',
    '2023-03-00T00:00:00Z',
    '2023-03-13T24:00:00Z',
    '2023-03-13T23:60:00Z',
    '2023-03-13T23:59:60Z',
    '2023-03-13T08:34:30ZZ',
    ' 2023-03-13T08:34:30Z',
    '２０２３-03-13T08:34:30Z',
    '1678696470',
    'Mon, 13 Mar 2023 08:34:30 GMT',
  ])('refuses %j', (s) => {
    expect(parseWireTimestamp(s)).toBeUndefined();
  });

  it('round-trips every instant the wire format can carry', () => {
    const max = Date.parse('9999-12-31T23:59:59.999Z');
    fc.assert(
      fc.property(fc.integer({ min: 0, max }), (ms) => {
        expect(parseWireTimestamp(new Date(ms).toISOString())).toBe(ms);
        expect(parseWireTimestamp(toWireDate(ms))).toBe(ms - (ms % 1000));
      }),
    );
  });
});

describe('checkTimestamp', () => {
  const ts = Date.UTC(2026, 10, 27, 23, 2, 42);
  const req = { timestampMs: ts };

  // Security: the window bounds how long a captured request can be replayed.
  it('accepts the window boundary in both directions and refuses one millisecond beyond', () => {
    expect(MAX_CLOCK_SKEW_MS).toBe(900_000);
    expect(checkTimestamp(req, ts, MAX_CLOCK_SKEW_MS).ok).toBe(true);
    expect(checkTimestamp(req, ts + MAX_CLOCK_SKEW_MS, MAX_CLOCK_SKEW_MS).ok).toBe(true);
    expect(checkTimestamp(req, ts - MAX_CLOCK_SKEW_MS, MAX_CLOCK_SKEW_MS).ok).toBe(true);
    expect(checkTimestamp(req, ts + MAX_CLOCK_SKEW_MS + 1, MAX_CLOCK_SKEW_MS)).toEqual({
      ok: false,
      code: 'InvalidTimeStamp.Expired',
    });
    expect(checkTimestamp(req, ts - MAX_CLOCK_SKEW_MS - 1, MAX_CLOCK_SKEW_MS)).toEqual({
      ok: false,
      code: 'InvalidTimeStamp.Expired',
    });
  });

  // Security: fail closed on a broken clock rather than accepting everything.
  it('refuses when the clock or the window is NaN', () => {
    expect(checkTimestamp(req, Number.NaN, MAX_CLOCK_SKEW_MS).ok).toBe(false);
    expect(checkTimestamp(req, ts, Number.NaN).ok).toBe(false);
  });
});
