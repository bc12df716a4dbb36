import { describe, expect, it } from 'vitest';
import { summarizeIncident } from './incident.js';

const KEY = 'LTAI' + 'k'.repeat(20);
const event = (over: Record<string, unknown>) => ({
  eventTime: '2026-12-01T00:00:00Z',
  eventName: 'ListUsers',
  serviceName: 'Ram',
  sourceIpAddress: '192.0.2.1',
  requestParameters: {},
  userIdentity: { accessKeyId: KEY },
  ...over,
});

describe('summarizeIncident', () => {
  it('counts aggregated failures by their CallCount and orders addresses and actions by calls', () => {
    const summary = summarizeIncident(
      KEY,
      [
        event({ eventTime: '2026-12-01T00:00:03Z', sourceIpAddress: '198.51.100.9' }),
        event({
          eventName: 'CreateUser',
          eventTime: '2026-12-01T00:00:02Z',
          errorCode: 'SignatureDoesNotMatch',
          additionalEventData: { CallCount: 40 },
        }),
        event({
          eventName: 'AttachPolicyToUser',
          eventTime: '2026-12-01T00:00:01Z',
          requestParameters: {
            UserName: 'x',
            PolicyName: 'AdministratorAccess',
            PolicyType: 'System',
            Other: 'y',
          },
        }),
        // Another key's event is not this key's doing.
        event({ userIdentity: { accessKeyId: 'LTAIother' } }),
      ],
      { since: 'a', until: 'b' },
    );
    expect(summary.calls).toBe(42);
    expect(summary.refusedCalls).toBe(40);
    expect(summary.actions.map((a) => [a.action, a.calls, a.refused])).toEqual([
      ['CreateUser', 40, 40],
      ['AttachPolicyToUser', 1, 0],
      ['ListUsers', 1, 0],
    ]);
    expect(summary.sourceIps).toEqual([
      { ip: '192.0.2.1', calls: 41, firstSeen: '2026-12-01T00:00:01Z', lastSeen: '2026-12-01T00:00:02Z' },
      { ip: '198.51.100.9', calls: 1, firstSeen: '2026-12-01T00:00:03Z', lastSeen: '2026-12-01T00:00:03Z' },
    ]);
    expect(summary.persistence).toEqual([
      {
        time: '2026-12-01T00:00:01Z',
        action: 'AttachPolicyToUser',
        sourceIp: '192.0.2.1',
        target: { UserName: 'x', PolicyName: 'AdministratorAccess', PolicyType: 'System' },
      },
    ]);
  });
});
