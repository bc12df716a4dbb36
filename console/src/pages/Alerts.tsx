// Alerts and leak response: the keys restricted as leaked (with the way out: rotation, walked through on
// its own page), the account's alerts and their delivery, and the alert webhook.
import './pages-extra.css';
import { rpc } from '../api/client';
import { useRequest } from '../api/hooks';
import { list, num, obj, text } from '../api/values';
import { DataTable } from '../components/DataTable';
import { RequestView } from '../components/RequestView';
import { formatDateTime } from '../format';
import { Link, segment } from '../router/router';
import { useSignedIn } from '../session/session';
import { Webhook } from './alerts/Webhook';
import { accountKeys, ownerLabel } from './network/account-keys';

function RestrictedKeys({ isRoot }: { isRoot: boolean }) {
  const request = useRequest(
    async () => (await accountKeys(isRoot)).filter((k) => k.LeakRestricted),
    'restricted',
  );
  return (
    <RequestView request={request} label="Looking for restricted keys…">
      {(keys) => (
        <DataTable
          caption="Leak-restricted AccessKeys"
          rows={keys}
          rowKey={(k) => k.AccessKeyId}
          empty="No key is restricted as leaked."
          columns={[
            {
              header: 'AccessKey',
              cell: (k) => (
                <Link to={`/keys/${segment(k.AccessKeyId)}`} className="mono">
                  {k.AccessKeyId}
                </Link>
              ),
            },
            { header: 'Owner', cell: (k) => ownerLabel(k) },
            { header: 'Status', cell: (k) => k.Status },
            { header: 'Restricted', cell: (k) => formatDateTime(k.LeakRestrictedDate) },
            { header: 'Reason', cell: (k) => k.LeakRestrictionReason },
            { header: 'Reported by', cell: (k) => <span className="mono">{k.LeakRestrictionReporter}</span> },
            {
              header: 'Next step',
              cell: (k) => (
                <Link
                  to={`/alerts/rotate/${segment(k.AccessKeyId)}`}
                  className="button"
                  aria-label={`Rotate ${k.AccessKeyId}`}
                >
                  Rotate
                </Link>
              ),
            },
          ]}
        />
      )}
    </RequestView>
  );
}

function AlertList() {
  const request = useRequest(async () => {
    const body = await rpc('ims', 'ListAlerts', { MaxItems: 100 });
    return list(body, 'Alerts', 'Alert').map((a) => {
      const detail = obj(a.Detail);
      return {
        id: text(a.AlertId),
        type: text(a.Type),
        created: text(a.CreateDate),
        key: text(detail.AccessKeyId),
        reason: text(detail.Reason),
        delivery: text(a.DeliveryStatus),
        attempts: num(a.DeliveryAttempts) ?? 0,
        lastError: text(a.LastDeliveryError),
      };
    });
  }, 'alerts');
  return (
    <RequestView request={request} label="Loading alerts…">
      {(alerts) => (
        <DataTable
          caption="Alerts"
          rows={alerts}
          rowKey={(a) => a.id}
          empty="No alerts."
          columns={[
            { header: 'Time', cell: (a) => formatDateTime(a.created) },
            { header: 'Alert', cell: (a) => a.type },
            { header: 'AccessKey', cell: (a) => <span className="mono">{a.key || '—'}</span> },
            { header: 'Reason', cell: (a) => a.reason },
            {
              header: 'Delivery',
              cell: (a) => (
                <span title={a.lastError}>
                  {a.delivery}
                  {a.attempts > 0 ? ` (${a.attempts} attempt${a.attempts === 1 ? '' : 's'})` : ''}
                </span>
              ),
            },
          ]}
        />
      )}
    </RequestView>
  );
}

export function Alerts() {
  const isRoot = useSignedIn().Principal.Type === 'root-account';
  return (
    <section>
      <h1>Alerts and leak response</h1>
      <h2>Restricted keys</h2>
      <p className="muted">
        A key reported as leaked is restricted for good: identity and high-risk actions are refused to it,
        while its workloads keep running. Nothing lifts the restriction, not even disabling and enabling the
        key: rotate it away (new key, switch the application, disable the old key, delete it).
      </p>
      <RestrictedKeys isRoot={isRoot} />
      <h2>Alerts</h2>
      <AlertList />
      <h2>Alert webhook</h2>
      <Webhook />
    </section>
  );
}
