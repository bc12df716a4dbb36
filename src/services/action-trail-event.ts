// An audit event in ActionTrail's JSON form, as LookupEvents answers it and `ramkey audit` prints it.
import { toWireDate } from '../core/clock.js';
import type { AuditEventRecord } from '../store/store.js';

/** An audit event as ActionTrail renders one (its documented field names). */
export function actionTrailEvent(e: AuditEventRecord): Record<string, unknown> {
  return {
    eventId: e.eventId,
    eventVersion: 1,
    eventTime: toWireDate(e.eventTime),
    eventType: e.eventType ?? 'ApiCall',
    eventCategory: 'Management',
    eventName: e.eventName,
    eventRW: e.eventRw,
    eventSource: e.eventSource,
    serviceName: e.serviceName,
    apiVersion: e.apiVersion,
    requestId: e.requestId,
    sourceIpAddress: e.sourceIp,
    userAgent: e.userAgent,
    ...(e.errorCode !== '' && { errorCode: e.errorCode, errorMessage: e.errorMessage }),
    requestParameters: e.requestParameters,
    userIdentity: {
      type: e.principalType,
      accountId: e.accountId ?? '',
      principalId: e.principalId,
      userName: e.userName,
      accessKeyId: e.accessKeyId,
    },
    recipientAccountId: e.accountId ?? '',
    ...additionalEventData(e),
  };
}

/** Ramkey's additions to an event, in ActionTrail's free-form `additionalEventData`; none usually. */
function additionalEventData(e: AuditEventRecord): { additionalEventData?: Record<string, unknown> } {
  const data = {
    // Failed authentications are aggregated (see the README's audit trail): how many calls this is.
    ...(e.callCount !== undefined && e.callCount > 1 && { CallCount: e.callCount }),
    // A network access policy in Audit mode would have denied the call (it was not refused for it).
    ...(e.accessKeyPolicyAudit !== undefined && {
      AccessKeyPolicyAudit: 'WouldDeny',
      AccessKeyPolicyLevel: e.accessKeyPolicyAudit,
    }),
  };
  return Object.keys(data).length === 0 ? {} : { additionalEventData: data };
}
