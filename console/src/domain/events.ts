// Audit events (ActionTrail LookupEvents) as the pages show them.
import { rpc } from '../api/client';
import type { ApiObject } from '../api/client';
import { obj, text } from '../api/values';

export interface AuditEvent {
  readonly eventId: string;
  readonly eventTime: string;
  readonly eventName: string;
  readonly serviceName: string;
  readonly sourceIpAddress: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly userName: string;
  readonly accessKeyId: string;
  readonly eventType: string;
  readonly raw: ApiObject;
}

export function auditEvent(raw: ApiObject): AuditEvent {
  const identity = obj(raw.userIdentity);
  return {
    eventId: text(raw.eventId),
    eventTime: text(raw.eventTime),
    eventName: text(raw.eventName),
    serviceName: text(raw.serviceName),
    sourceIpAddress: text(raw.sourceIpAddress),
    errorCode: text(raw.errorCode),
    errorMessage: text(raw.errorMessage),
    userName: text(identity.userName),
    accessKeyId: text(identity.accessKeyId),
    eventType: text(raw.eventType),
    raw,
  };
}

/** LookupEvents' filters: `LookupAttribute.N.Key`/`Value` pairs, numbered in order. */
export function lookupParams(filters: Record<string, string | undefined>): Record<string, string> {
  const params: Record<string, string> = {};
  let n = 0;
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined || value === '') continue;
    n += 1;
    params[`LookupAttribute.${n}.Key`] = key;
    params[`LookupAttribute.${n}.Value`] = value;
  }
  return params;
}

/** Up to `pages` pages of 50 events, newest first. */
export async function lookupEvents(
  params: Record<string, string | undefined>,
  pages = 4,
): Promise<{ events: AuditEvent[]; more: boolean }> {
  const events: AuditEvent[] = [];
  let token: string | undefined;
  for (let page = 0; page < pages; page++) {
    const body = await rpc('actiontrail', 'LookupEvents', { ...params, MaxResults: 50, NextToken: token });
    const items = Array.isArray(body.Events) ? body.Events.map(obj) : [];
    events.push(...items.map(auditEvent));
    token = text(body.NextToken) || undefined;
    if (token === undefined) return { events, more: false };
  }
  return { events, more: true };
}

/** Calls per UTC day over the `days` days up to `now`, oldest first, days without calls included. */
export function callsPerDay(
  events: readonly AuditEvent[],
  days = 7,
  now: number = Date.now(),
): { label: string; value: number }[] {
  const counts = new Map<string, number>();
  for (const e of events) {
    const day = e.eventTime.slice(0, 10);
    counts.set(day, (counts.get(day) ?? 0) + 1);
  }
  const today = Date.parse(`${new Date(now).toISOString().slice(0, 10)}T00:00:00Z`);
  const points: { label: string; value: number }[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(today - i * 86_400_000).toISOString().slice(0, 10);
    points.push({ label: day.slice(5), value: counts.get(day) ?? 0 });
  }
  return points;
}
