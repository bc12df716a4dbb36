// One AccessKey: whose it is, its status and actions, where it was used from and for what (charts), its
// network access policy with the dry run, and its audit events.
import { rpc } from '../api/client';
import { useRequest } from '../api/hooks';
import { num, obj, text } from '../api/values';
import { Chart } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { EventsTable } from '../components/EventsTable';
import { KeyActions } from '../components/KeyActions';
import { KeyNetworkPolicy } from '../components/KeyNetworkPolicy';
import { RequestView } from '../components/RequestView';
import { callsPerDay, lookupEvents, lookupParams } from '../domain/events';
import { listKeys } from '../domain/keys';
import { formatDateTime } from '../format';
import { Link, segment, useRouter } from '../router/router';

interface Owner {
  readonly accountId: string;
  readonly rootKey: boolean;
  readonly userName: string;
  readonly state: string;
  readonly status: string;
  readonly createDate: string;
}

function Usage({ accessKeyId }: { accessKeyId: string }) {
  const usage = useRequest(async () => {
    const [ips, products] = await Promise.all([
      rpc('actiontrail', 'GetAccessKeyLastUsedIps', { AccessKey: accessKeyId, PageSize: 100 }),
      rpc('actiontrail', 'GetAccessKeyLastUsedProducts', { AccessKey: accessKeyId }),
    ]);
    const rows = (value: unknown) => (Array.isArray(value) ? value.map(obj) : []);
    return {
      ips: rows(ips.Ips).map((i) => ({
        ip: text(i.Ip),
        first: num(i.FirstUsedTimestamp),
        last: num(i.UsedTimestamp),
        calls: num(i.CallCount) ?? 0,
      })),
      products: rows(products.Products).map((p) => ({
        label: text(p.ServiceName),
        value: num(p.CallCount) ?? 0,
      })),
    };
  }, accessKeyId);
  const stamp = (ms: number | undefined) =>
    ms === undefined ? '—' : formatDateTime(new Date(ms).toISOString());
  return (
    <RequestView request={usage} label="Loading usage…">
      {({ ips, products }) => (
        <>
          <Chart title="Calls by service" points={products} />
          <DataTable
            caption="Source addresses"
            rows={ips}
            rowKey={(i) => i.ip}
            empty="This key has not been used."
            columns={[
              { header: 'Source address', cell: (i) => <span className="mono">{i.ip}</span> },
              { header: 'First used', cell: (i) => stamp(i.first) },
              { header: 'Last used', cell: (i) => stamp(i.last) },
              { header: 'Calls', cell: (i) => i.calls, numeric: true },
            ]}
          />
        </>
      )}
    </RequestView>
  );
}

/** Rows the key page lists; the chart counts every event fetched, the audit trail page has them all. */
const EVENT_ROWS = 20;

function Events({ accessKeyId }: { accessKeyId: string }) {
  const events = useRequest(() => lookupEvents(lookupParams({ EventAccessKeyId: accessKeyId })), accessKeyId);
  return (
    <RequestView request={events} label="Loading audit events…">
      {({ events: rows, more }) => (
        <>
          <Chart
            title={`Calls per day (last 7 days${more ? ', latest calls' : ''})`}
            points={callsPerDay(rows)}
          />
          <EventsTable events={rows.slice(0, EVENT_ROWS)} caption="Audit events of this key" />
          {(more || rows.length > EVENT_ROWS) && (
            <p className="muted">
              The latest {EVENT_ROWS} of {more ? 'more than ' : ''}
              {rows.length} events.{' '}
              <Link to={`/audit?key=${segment(accessKeyId)}`}>See them all in the audit trail</Link>
            </p>
          )}
        </>
      )}
    </RequestView>
  );
}

export function KeyDetail({ params }: { params: Record<string, string> }) {
  const accessKeyId = params.keyId ?? '';
  const { navigate } = useRouter();
  const owner = useRequest(async (): Promise<Owner> => {
    const found = obj(
      (await rpc('ims', 'GetAccessKeyOwner', { UserAccessKeyId: accessKeyId })).AccessKeyOwner,
    );
    return {
      accountId: text(found.AccountId),
      rootKey: text(found.PrincipalType) === 'root-account',
      userName: text(found.UserName),
      state: text(found.State),
      status: text(found.Status),
      createDate: text(found.CreateDate),
    };
  }, accessKeyId);
  // The key's row of its owner's listing: last use and the leak restriction.
  const row = useRequest(async () => {
    if (owner.status !== 'done' || owner.data.state !== 'Live') return undefined;
    const keys = await listKeys(owner.data.rootKey ? undefined : owner.data.userName);
    return keys.find((k) => k.AccessKeyId === accessKeyId);
  }, `${accessKeyId}:${owner.status}`);

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/users">Users</Link> /
      </p>
      <h1 className="mono">{accessKeyId}</h1>
      <RequestView request={owner} label="Loading the key…">
        {(o) => {
          const ownerName = o.rootKey ? undefined : o.userName;
          return (
            <>
              <dl className="facts">
                <dt>Owner</dt>
                <dd>
                  {o.rootKey ? (
                    'The account itself (root)'
                  ) : (
                    <Link to={`/users/${segment(o.userName)}`}>{o.userName}</Link>
                  )}
                </dd>
                <dt>Status</dt>
                <dd>
                  {o.state === 'Live' ? o.status : o.state === 'Recycled' ? 'In the recycle bin' : 'Purged'}
                </dd>
                <dt>Created</dt>
                <dd>{formatDateTime(o.createDate)}</dd>
                {row.data !== undefined && (
                  <>
                    <dt>Last used</dt>
                    <dd>
                      {row.data.LastUsedDate === ''
                        ? 'never'
                        : `${formatDateTime(row.data.LastUsedDate)} for ${row.data.LastUsedServiceName} from ${row.data.LastUsedSourceIp}`}
                    </dd>
                    {row.data.LeakRestricted && (
                      <>
                        <dt>Leak restriction</dt>
                        <dd>
                          <span className="badge bad">Restricted</span>{' '}
                          <Link to={`/alerts/rotate/${segment(accessKeyId)}`}>Rotate it</Link>
                        </dd>
                      </>
                    )}
                  </>
                )}
              </dl>
              {row.data !== undefined && (
                <KeyActions
                  keyRow={row.data}
                  userName={ownerName}
                  onChanged={(change) => {
                    if (change === 'deleted') navigate(o.rootKey ? '/' : `/users/${segment(o.userName)}`);
                    else {
                      owner.reload();
                    }
                  }}
                />
              )}
              {o.state === 'Recycled' && (
                <p>
                  This key is in the <Link to="/recycle-bin">recycle bin</Link>: restore it there to use it
                  again.
                </p>
              )}
              <h2>Where and for what it was used</h2>
              <Usage accessKeyId={accessKeyId} />
              {o.state === 'Live' && (
                <>
                  <h2>Network access policy</h2>
                  <KeyNetworkPolicy accessKeyId={accessKeyId} userName={ownerName} accountId={o.accountId} />
                </>
              )}
              <h2>Audit events</h2>
              <Events accessKeyId={accessKeyId} />
            </>
          );
        }}
      </RequestView>
    </section>
  );
}
