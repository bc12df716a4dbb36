// The audit trail page's events: the shared table's columns plus the event type (API call or console
// operation, sign-in, sign-out) and whether an Audit-mode network policy would have denied the call.
import { obj, text } from '../../api/values';
import { DataTable } from '../../components/DataTable';
import type { AuditEvent } from '../../domain/events';
import { formatDateTime } from '../../format';
import { Link, segment } from '../../router/router';

export function AuditEventsTable({ events }: { events: readonly AuditEvent[] }) {
  return (
    <DataTable
      caption="Audit events"
      rows={events}
      rowKey={(e) => e.eventId}
      empty="No events match these filters."
      columns={[
        { header: 'Time', cell: (e) => formatDateTime(e.eventTime) },
        { header: 'Type', cell: (e) => <span className="badge">{e.eventType || 'ApiCall'}</span> },
        {
          header: 'Action',
          // The whole event (parameters, user agent, request ID) one keypress away.
          cell: (e) => (
            <details className="event-details">
              <summary>
                {e.serviceName} {e.eventName}
              </summary>
              <pre className="mono">{JSON.stringify(e.raw, null, 2)}</pre>
            </details>
          ),
        },
        { header: 'User', cell: (e) => e.userName || '—' },
        {
          header: 'AccessKey',
          cell: (e) =>
            e.accessKeyId === '' ? (
              '—'
            ) : (
              <Link to={`/keys/${segment(e.accessKeyId)}`} className="mono">
                {e.accessKeyId}
              </Link>
            ),
        },
        { header: 'Source address', cell: (e) => <span className="mono">{e.sourceIpAddress}</span> },
        {
          header: 'Result',
          cell: (e) => (
            <>
              {e.errorCode === '' ? (
                <span className="badge ok">Success</span>
              ) : (
                <span className="badge bad" title={e.errorMessage}>
                  {e.errorCode}
                </span>
              )}
              {text(obj(e.raw.additionalEventData).AccessKeyPolicyAudit) === 'WouldDeny' && (
                <span className="badge audit">Would deny</span>
              )}
            </>
          ),
        },
      ]}
    />
  );
}
