// Exporting the audit page's events: JSON (the events exactly as LookupEvents returned them) and CSV (one
// row per event), downloaded from a Blob so that nothing of them travels in a URL.
import type { AuditEvent } from '../../domain/events';

const CSV_COLUMNS: readonly [string, (e: AuditEvent) => string][] = [
  ['eventTime', (e) => e.eventTime],
  ['eventType', (e) => e.eventType || 'ApiCall'],
  ['serviceName', (e) => e.serviceName],
  ['eventName', (e) => e.eventName],
  ['userName', (e) => e.userName],
  ['accessKeyId', (e) => e.accessKeyId],
  ['sourceIpAddress', (e) => e.sourceIpAddress],
  ['errorCode', (e) => e.errorCode],
  ['errorMessage', (e) => e.errorMessage],
  ['eventId', (e) => e.eventId],
];

/**
 * One CSV field: quoted when it must be, and a value a spreadsheet would run as a formula (a user name or
 * user agent is anyone's text) prefixed with an apostrophe.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsv(events: readonly AuditEvent[]): string {
  const lines = [CSV_COLUMNS.map(([name]) => name).join(',')];
  for (const e of events) lines.push(CSV_COLUMNS.map(([, get]) => csvField(get(e))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function toJson(events: readonly AuditEvent[]): string {
  return `${JSON.stringify(
    events.map((e) => e.raw),
    null,
    2,
  )}\n`;
}

export function download(fileName: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
