import { describe, expect, it } from 'vitest';
import { auditEvent, callsPerDay, lookupParams } from './events';

describe('callsPerDay', () => {
  it('counts events per UTC day over the last days, empty days included', () => {
    const now = Date.parse('2026-12-06T03:00:00Z');
    const events = [
      '2026-12-06T01:00:00Z',
      '2026-12-06T02:59:59Z',
      '2026-12-04T23:59:59Z',
      '2026-11-01T00:00:00Z',
    ].map((eventTime) => auditEvent({ eventTime }));
    expect(callsPerDay(events, 3, now)).toEqual([
      { label: '12-04', value: 1 },
      { label: '12-05', value: 0 },
      { label: '12-06', value: 2 },
    ]);
  });
});

describe('lookupParams', () => {
  it('numbers the filters that are set, in order', () => {
    expect(
      lookupParams({ EventAccessKeyId: 'LTAI1', User: '', EventName: 'GetUser', ServiceName: undefined }),
    ).toEqual({
      'LookupAttribute.1.Key': 'EventAccessKeyId',
      'LookupAttribute.1.Value': 'LTAI1',
      'LookupAttribute.2.Key': 'EventName',
      'LookupAttribute.2.Value': 'GetUser',
    });
  });
});
