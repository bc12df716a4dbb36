// `ramkey keys incident`: what a key did since a given time, from the audit trail, summarised for an
// incident: actions by count, source addresses, refused calls, and the persistence left behind.
import type { Json } from './client-commands.js';

/**
 * Successful actions that leave something behind for an attacker to come back with: identities,
 * credentials, permissions. Their events are listed one by one, with what they named.
 */
export const PERSISTENCE_ACTIONS: ReadonlySet<string> = new Set([
  'CreateUser',
  'UpdateUser',
  'CreateAccessKey',
  'UpdateAccessKey',
  'RestoreAccessKeyFromRecycleBin',
  'RestoreUserFromRecycleBin',
  'CreateGroup',
  'AddUserToGroup',
  'CreatePolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'AttachPolicyToUser',
  'AttachPolicyToGroup',
  'SetSecurityPreference',
  'SetAccessKeyPolicy',
  'SetAccessKeyPolicyForAccount',
  'SetNotificationWebhook',
  'DeleteNotificationWebhook',
]);

/** The parameters that say what an action acted on (a persistence action's target). */
const NAMING_PARAMETERS = [
  'UserName',
  'NewUserName',
  'UserPrincipalName',
  'UserAccessKeyId',
  'Status',
  'GroupName',
  'PolicyName',
  'PolicyType',
  'VersionId',
  'Url',
];

export interface IncidentSummary {
  accessKeyId: string;
  since: string;
  until: string;
  calls: number;
  refusedCalls: number;
  actions: { action: string; service: string; calls: number; refused: number }[];
  sourceIps: { ip: string; calls: number; firstSeen: string; lastSeen: string }[];
  refused: { time: string; action: string; sourceIp: string; errorCode: string; calls: number }[];
  persistence: { time: string; action: string; sourceIp: string; target: Record<string, string> }[];
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const obj = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

/** How many calls one event stands for (failures may be aggregated: additionalEventData.CallCount). */
function callsOf(event: Json): number {
  const count = obj(event.additionalEventData).CallCount;
  return typeof count === 'number' && count > 1 ? count : 1;
}

/** Summarises the key's events (any order; the key's own calls only are counted). */
export function summarizeIncident(
  accessKeyId: string,
  events: readonly Json[],
  range: { since: string; until: string },
): IncidentSummary {
  const mine = events
    .filter((e) => str(obj(e.userIdentity).accessKeyId) === accessKeyId)
    .sort((a, b) => (str(a.eventTime) < str(b.eventTime) ? -1 : str(a.eventTime) > str(b.eventTime) ? 1 : 0));
  const actions = new Map<string, IncidentSummary['actions'][number]>();
  const ips = new Map<string, IncidentSummary['sourceIps'][number]>();
  const summary: IncidentSummary = {
    accessKeyId,
    ...range,
    calls: 0,
    refusedCalls: 0,
    actions: [],
    sourceIps: [],
    refused: [],
    persistence: [],
  };
  for (const e of mine) {
    const calls = callsOf(e);
    const time = str(e.eventTime);
    const action = str(e.eventName);
    const ip = str(e.sourceIpAddress);
    const errorCode = str(e.errorCode);
    summary.calls += calls;
    const a = actions.get(action) ?? { action, service: str(e.serviceName), calls: 0, refused: 0 };
    a.calls += calls;
    const s = ips.get(ip) ?? { ip, calls: 0, firstSeen: time, lastSeen: time };
    s.calls += calls;
    s.lastSeen = time;
    actions.set(action, a);
    ips.set(ip, s);
    if (errorCode !== '') {
      a.refused += calls;
      summary.refusedCalls += calls;
      summary.refused.push({ time, action, sourceIp: ip, errorCode, calls });
    } else if (PERSISTENCE_ACTIONS.has(action)) {
      summary.persistence.push({ time, action, sourceIp: ip, target: eventTarget(e) });
    }
  }
  summary.actions = [...actions.values()].sort((x, y) => y.calls - x.calls || (x.action < y.action ? -1 : 1));
  summary.sourceIps = [...ips.values()].sort((x, y) => y.calls - x.calls || (x.ip < y.ip ? -1 : 1));
  return summary;
}

/** What an event's call named as its target: the naming parameters it was given (UserName, PolicyName...). */
export function eventTarget(event: Json): Record<string, string> {
  const params = obj(event.requestParameters);
  const target: Record<string, string> = {};
  for (const name of NAMING_PARAMETERS) {
    const value = str(params[name]);
    if (value !== '') target[name] = value;
  }
  return target;
}

/** The summary as `--json` prints it, in the API's PascalCase names. */
export function incidentJson(summary: IncidentSummary): Json {
  return {
    AccessKeyId: summary.accessKeyId,
    StartTime: summary.since,
    EndTime: summary.until,
    CallCount: summary.calls,
    RefusedCallCount: summary.refusedCalls,
    Actions: summary.actions.map((a) => ({
      EventName: a.action,
      ServiceName: a.service,
      CallCount: a.calls,
      RefusedCallCount: a.refused,
    })),
    SourceIps: summary.sourceIps.map((s) => ({
      SourceIp: s.ip,
      CallCount: s.calls,
      FirstUsedDate: s.firstSeen,
      LastUsedDate: s.lastSeen,
    })),
    RefusedCalls: summary.refused.map((r) => ({
      EventTime: r.time,
      EventName: r.action,
      SourceIp: r.sourceIp,
      ErrorCode: r.errorCode,
      CallCount: r.calls,
    })),
    Persistence: summary.persistence.map((p) => ({
      EventTime: p.time,
      EventName: p.action,
      SourceIp: p.sourceIp,
      Target: p.target,
    })),
  };
}
