// Dates as the console shows them: always UTC (the API's times are UTC, and an audit trail read across
// time zones must not shift), and "how long ago" for last-used times.

/** No-break space: a time never wraps inside a narrow table cell. */
const NBSP = '\u00a0';

/** `2026-12-06 03:09 UTC` from the API's ISO 8601 times; empty or unparsable values show as a dash. */
export function formatDateTime(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.toISOString().slice(0, 10)}${NBSP}${date.toISOString().slice(11, 16)}${NBSP}UTC`;
}

/** `2026-12-06` */
export function formatDate(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().slice(0, 10);
}

/** `3 days ago`, `just now`, `in 2 hours`: coarse, for a glance; the exact time goes in a title. */
export function formatRelative(value: unknown, now: number = Date.now()): string {
  if (typeof value !== 'string' || value === '') return 'never';
  const then = new Date(value).getTime();
  if (Number.isNaN(then)) return value;
  const seconds = Math.round((then - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return 'just now';
  const units: [number, string][] = [
    [86_400 * 365, 'year'],
    [86_400 * 30, 'month'],
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    if (abs >= size) {
      const count = Math.floor(abs / size);
      const phrase = `${count} ${name}${count === 1 ? '' : 's'}`;
      return seconds < 0 ? `${phrase} ago` : `in ${phrase}`;
    }
  }
  return 'just now';
}
