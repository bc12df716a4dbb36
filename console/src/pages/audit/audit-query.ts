// The audit trail page's filters: read from and written to the route's query (nothing secret goes there:
// key IDs, names and times only), turned into LookupEvents parameters, and applied to the events for the
// filters LookupEvents has no attribute for (result and event type).
import { lookupParams } from '../../domain/events';
import type { AuditEvent } from '../../domain/events';

export const FILTER_NAMES = [
  'key',
  'user',
  'action',
  'service',
  'result',
  'type',
  'from',
  'to',
  'audit',
] as const;
export type FilterName = (typeof FILTER_NAMES)[number];
export type Filters = Readonly<Record<FilterName, string>>;

export const EVENT_TYPES = ['ApiCall', 'ConsoleOperation', 'ConsoleSignin', 'ConsoleSignout'] as const;

export function filtersOf(query: URLSearchParams): Filters {
  const filters = {} as Record<FilterName, string>;
  for (const name of FILTER_NAMES) filters[name] = query.get(name)?.trim() ?? '';
  return filters;
}

/** The route for these filters, empty ones left out. */
export function routeOf(filters: Filters): string {
  const query = new URLSearchParams();
  for (const name of FILTER_NAMES) if (filters[name] !== '') query.set(name, filters[name]);
  const search = query.toString();
  return search === '' ? '/audit' : `/audit?${search}`;
}

/** A `datetime-local` value, read as UTC (the console shows every time in UTC). */
export function utcOf(local: string): number | undefined {
  if (local === '') return undefined;
  const ms = Date.parse(`${local.length === 16 ? `${local}:00` : local}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

const WEEK_MS = 7 * 86_400_000;

/**
 * LookupEvents' parameters. It takes StartTime and EndTime together or not at all (then the last 7 days):
 * a missing end is now, a missing start a week before the end.
 */
export function lookupOf(filters: Filters, now: number = Date.now()): Record<string, string | undefined> {
  const from = utcOf(filters.from);
  const to = utcOf(filters.to);
  const times =
    from === undefined && to === undefined
      ? {}
      : {
          StartTime: new Date(from ?? (to ?? now) - WEEK_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          EndTime: new Date(to ?? now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        };
  return {
    ...lookupParams({
      EventAccessKeyId: filters.key,
      User: filters.user,
      EventName: filters.action,
      ServiceName: filters.service,
      AccessKeyPolicyAudit: filters.audit,
    }),
    ...times,
  };
}

/** The filters LookupEvents has no attribute for. */
export function matches(event: AuditEvent, filters: Filters): boolean {
  if (filters.result === 'success' && event.errorCode !== '') return false;
  if (filters.result === 'failure' && event.errorCode === '') return false;
  if (filters.type !== '' && (event.eventType || 'ApiCall') !== filters.type) return false;
  return true;
}

/** Calls per hour when the events span two days or less, else per day; every bucket in between shown. */
export function callsOverTime(events: readonly AuditEvent[]): { label: string; value: number }[] {
  const times = events.map((e) => Date.parse(e.eventTime)).filter(Number.isFinite);
  if (times.length === 0) return [];
  const first = Math.min(...times);
  const last = Math.max(...times);
  const hourly = last - first <= 2 * 86_400_000;
  const size = hourly ? 3_600_000 : 86_400_000;
  const start = Math.floor(first / size) * size;
  const counts = new Map<number, number>();
  for (const t of times) {
    const bucket = Math.floor(t / size) * size;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  const points: { label: string; value: number }[] = [];
  for (let t = start; t <= last; t += size) {
    const iso = new Date(t).toISOString();
    points.push({
      label: hourly ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h` : iso.slice(5, 10),
      value: counts.get(t) ?? 0,
    });
  }
  return points;
}

/** Source addresses per key in these events: calls, and first and last seen. */
export function addressesPerKey(events: readonly AuditEvent[]) {
  const rows = new Map<string, { key: string; ip: string; calls: number; first: string; last: string }>();
  for (const e of events) {
    const id = `${e.accessKeyId}\n${e.sourceIpAddress}`;
    const row = rows.get(id) ?? {
      key: e.accessKeyId,
      ip: e.sourceIpAddress,
      calls: 0,
      first: e.eventTime,
      last: e.eventTime,
    };
    row.calls += 1;
    if (e.eventTime < row.first) row.first = e.eventTime;
    if (e.eventTime > row.last) row.last = e.eventTime;
    rows.set(id, row);
  }
  return [...rows.values()].sort((a, b) => b.calls - a.calls || a.key.localeCompare(b.key));
}
