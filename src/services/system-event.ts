// Audit events of what Ramkey does on its own (a maintenance job, not a call): the recycle bin's
// purge at the DeleteDate, and idle-key disabling. They name the affected key or user, carry the
// system identity, and commit in the transaction of their change (see `commitSystemChange`).
import { eventId } from '../core/audit/event-id.js';
import { generateRequestId } from '../core/keys/key-id.js';
import type { Random } from '../core/random.js';
import type { AuditEventRecord, AuditSlot, Store } from '../store/store.js';

/** The identity system events carry: ActionTrail's userIdentity `{ type: 'system', userName: 'ramkey' }`. */
export const SYSTEM_IDENTITY = 'ramkey';

export interface SystemChange {
  at: number;
  accountId: string;
  /** The key the change is about ('' for a user); LookupEvents finds it under this key. */
  accessKeyId: string;
  /** The API action that would have made the same change (`UpdateAccessKey`, `DeleteUserInRecycleBin`). */
  eventName: string;
  /** What changed and why (a `Reason` among them); never a secret. */
  requestParameters: Readonly<Record<string, string>>;
}

/** The audit event of a change Ramkey made on its own. */
export function systemEvent(change: SystemChange, random: Random): AuditEventRecord {
  return {
    eventId: eventId(change.at, random),
    eventTime: change.at,
    accountId: change.accountId,
    accessKeyId: change.accessKeyId,
    principalType: 'system',
    principalId: SYSTEM_IDENTITY,
    userName: SYSTEM_IDENTITY,
    eventName: change.eventName,
    eventRw: 'Write',
    serviceName: 'Ims',
    apiVersion: '',
    eventSource: SYSTEM_IDENTITY,
    requestId: generateRequestId(random),
    sourceIp: '',
    userAgent: SYSTEM_IDENTITY,
    errorCode: '',
    errorMessage: '',
    requestParameters: change.requestParameters,
  };
}

/**
 * Runs `work` (one store write) so that its change commits together with the change's event: a
 * change is never made without its event, and an event never names a change that did not happen (a
 * write that changes nothing, because another node got there first, commits no event).
 */
export function commitSystemChange<T>(
  store: Store,
  random: Random,
  change: SystemChange,
  work: () => Promise<T>,
): Promise<T> {
  const slot: AuditSlot = { event: systemEvent(change, random), written: false };
  return store.withAuditEvent(slot, work);
}
