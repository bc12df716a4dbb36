// The signed request time: strict parsing of `Timestamp` / `x-acs-date` and the clock-skew window.
import { fail, ok, type Result } from '../errors/ramkey-error.js';

/**
 * The accepted distance between the request's signed time and the server clock, in both directions
 * (reference/alibaba-api.md 4.5: the documented strict window is 15 minutes; the 31-minute figure of
 * the old V2 page is treated as legacy). Future-dated requests get the same window, so a client with a
 * fast clock works, while a captured request can be replayed for at most this long (the nonce store
 * closes that gap).
 */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const MS_PER_DAY = 86_400_000;

/** Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The value of `count` ASCII digits at `at`, or -1 when any of them is not a digit. */
function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Parses the wire time format `yyyy-MM-ddTHH:mm:ssZ` (optionally with 1 to 9 fractional-second digits,
 * `yyyy-MM-ddTHH:mm:ss.SSSZ`) into epoch milliseconds. UTC only (`Z`), upper-case `T` and `Z`, and it
 * must be a real calendar instant (no 2023-02-30, no hour 24, no leap second). Anything else gives
 * `undefined`: a lenient parser (Date.parse) would accept local times and odd forms, and the signed
 * string must mean exactly one instant.
 */
export function parseWireTimestamp(s: string): number | undefined {
  const n = s.length;
  if (n < 20 || n > 30 || s.charCodeAt(n - 1) !== 0x5a /* Z */) return undefined;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let ms = 0;
  if (n > 20) {
    // `.` then 1-9 digits then `Z`; sub-millisecond digits are validated and dropped.
    const fractionDigits = n - 21;
    if (s[19] !== '.' || fractionDigits < 1 || digits(s, 20, fractionDigits) < 0) return undefined;
    ms = digits(s, 20, Math.min(3, fractionDigits)) * 10 ** (3 - Math.min(3, fractionDigits));
  }
  return daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
}

/**
 * Checks the request's signed time against the server clock: `InvalidTimeStamp.Expired` when
 * `|nowMs - timestampMs| > maxSkewMs` (the boundary itself is accepted). Fails closed: a NaN clock
 * or window rejects rather than accepts.
 *
 * @example checkTimestamp({ timestampMs: 0 }, 900_001, MAX_CLOCK_SKEW_MS) // => InvalidTimeStamp.Expired
 */
export function checkTimestamp(
  req: { readonly timestampMs: number },
  nowMs: number,
  maxSkewMs: number,
): Result<void> {
  return Math.abs(nowMs - req.timestampMs) <= maxSkewMs ? ok(undefined) : fail('InvalidTimeStamp.Expired');
}
