// Audit events in a table: when, what, who with which key, from where, and the result.
import type { AuditEvent } from '../domain/events';
import { formatDateTime } from '../format';
import { DataTable } from './DataTable';

export function EventsTable({
  events,
  caption = 'Audit events',
}: {
  events: AuditEvent[];
  caption?: string;
}) {
  return (
    <DataTable
      caption={caption}
      rows={events}
      rowKey={(e) => e.eventId}
      empty="No events in this period."
      columns={[
        { header: 'Time', cell: (e) => formatDateTime(e.eventTime) },
        { header: 'Action', cell: (e) => `${e.serviceName} ${e.eventName}` },
        { header: 'User', cell: (e) => e.userName || '—' },
        { header: 'AccessKey', cell: (e) => <span className="mono">{e.accessKeyId || '—'}</span> },
        { header: 'Source address', cell: (e) => <span className="mono">{e.sourceIpAddress}</span> },
        {
          header: 'Result',
          cell: (e) =>
            e.errorCode === '' ? (
              <span className="badge ok">Success</span>
            ) : (
              <span className="badge bad" title={e.errorMessage}>
                {e.errorCode}
              </span>
            ),
        },
      ]}
    />
  );
}
