import { describe, expect, it } from 'vitest';
import { auditEvent } from '../../domain/events';
import { callsOverTime, filtersOf, lookupOf, matches, routeOf } from './audit-query';
import { csvField, toCsv } from './export';

const event = (fields: Record<string, unknown>) =>
  auditEvent({ eventId: String(Math.random()), eventName: 'ListUsers', serviceName: 'Ram', ...fields });

describe('audit filters', () => {
  it('round-trip through the route query, empty ones left out', () => {
    const filters = filtersOf(new URLSearchParams('key=LTAIx&result=failure&junk=1'));
    expect(filters.key).toBe('LTAIx');
    expect(filters.user).toBe('');
    expect(routeOf(filters)).toBe('/audit?key=LTAIx&result=failure');
    expect(routeOf(filtersOf(new URLSearchParams()))).toBe('/audit');
  });

  it('become LookupEvents attributes, with both times whenever one is given (as UTC)', () => {
    const filters = filtersOf(new URLSearchParams('key=LTAIx&action=CreateUser&from=2026-12-01T10:00'));
    expect(lookupOf(filters, Date.parse('2026-12-06T00:00:00Z'))).toEqual({
      'LookupAttribute.1.Key': 'EventAccessKeyId',
      'LookupAttribute.1.Value': 'LTAIx',
      'LookupAttribute.2.Key': 'EventName',
      'LookupAttribute.2.Value': 'CreateUser',
      StartTime: '2026-12-01T10:00:00Z',
      EndTime: '2026-12-06T00:00:00Z',
    });
    expect(lookupOf(filtersOf(new URLSearchParams('to=2026-12-08T00:00'))).StartTime).toBe(
      '2026-12-01T00:00:00Z',
    );
    expect(lookupOf(filtersOf(new URLSearchParams()))).toEqual({});
  });

  it('filter result and event type on the page (ApiCall when the event has none)', () => {
    const ok = event({ eventType: 'ConsoleOperation' });
    const failed = event({ errorCode: 'NoPermission' });
    const failures = filtersOf(new URLSearchParams('result=failure'));
    expect([ok, failed].filter((e) => matches(e, failures))).toEqual([failed]);
    const apiCalls = filtersOf(new URLSearchParams('type=ApiCall'));
    expect([ok, failed].filter((e) => matches(e, apiCalls))).toEqual([failed]);
  });
});

describe('calls over time', () => {
  it('are hourly over two days or less, every hour in between shown', () => {
    const points = callsOverTime([
      event({ eventTime: '2026-12-06T01:10:00Z' }),
      event({ eventTime: '2026-12-06T01:50:00Z' }),
      event({ eventTime: '2026-12-06T03:00:00Z' }),
    ]);
    expect(points).toEqual([
      { label: '12-06 01h', value: 2 },
      { label: '12-06 02h', value: 0 },
      { label: '12-06 03h', value: 1 },
    ]);
  });

  it('are daily over longer', () => {
    const points = callsOverTime([
      event({ eventTime: '2026-12-01T01:00:00Z' }),
      event({ eventTime: '2026-12-04T01:00:00Z' }),
    ]);
    expect(points.map((p) => p.label)).toEqual(['12-01', '12-02', '12-03', '12-04']);
  });
});

describe('CSV export', () => {
  it('quotes what must be quoted and defuses spreadsheet formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('has a header and one line per event', () => {
    const csv = toCsv([event({ eventTime: '2026-12-06T01:00:00Z', sourceIpAddress: '127.0.0.1' })]);
    const [header, row, end] = csv.split('\r\n');
    expect(header).toBe(
      'eventTime,eventType,serviceName,eventName,userName,accessKeyId,sourceIpAddress,errorCode,errorMessage,eventId',
    );
    expect(row?.startsWith('2026-12-06T01:00:00Z,ApiCall,Ram,ListUsers,,,127.0.0.1,,,')).toBe(true);
    expect(end).toBe('');
  });
});
