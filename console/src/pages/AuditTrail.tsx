// The audit trail: events filtered by key, user, action, service, result, type and time (the filters live
// in the route's query, so a filtered view can be linked), calls over time, source addresses per key
// (and, for one key, every address it was ever used from), and export as JSON or CSV.
import './pages-extra.css';
import { useId, useState } from 'react';
import type { SubmitEvent } from 'react';
import { rpc } from '../api/client';
import { useRequest } from '../api/hooks';
import { num, obj, text } from '../api/values';
import { Chart } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { RequestView } from '../components/RequestView';
import { lookupEvents } from '../domain/events';
import { formatDateTime } from '../format';
import { useLocation, useRouter } from '../router/router';
import {
  addressesPerKey,
  callsOverTime,
  EVENT_TYPES,
  filtersOf,
  lookupOf,
  matches,
  routeOf,
} from './audit/audit-query';
import type { FilterName, Filters } from './audit/audit-query';
import { AuditEventsTable } from './audit/AuditEventsTable';
import { download, toCsv, toJson } from './audit/export';

/** Pages of 50 events the page reads at most for one view. */
const PAGES = 10;

function FilterForm({ filters }: { filters: Filters }) {
  const { navigate } = useRouter();
  const [draft, setDraft] = useState<Filters>(filters);
  const base = useId();
  const id = (name: FilterName) => `${base}-${name}`;
  const set = (name: FilterName) => (event: { target: { value: string } }) => {
    setDraft({ ...draft, [name]: event.target.value });
  };
  const input = (name: FilterName, label: string, extra: { mono?: boolean; placeholder?: string } = {}) => (
    <div className="field">
      <label htmlFor={id(name)}>{label}</label>
      <input
        id={id(name)}
        className={extra.mono === true ? 'mono' : undefined}
        placeholder={extra.placeholder}
        autoComplete="off"
        spellCheck={false}
        value={draft[name]}
        onChange={set(name)}
      />
    </div>
  );
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    navigate(routeOf(draft));
  };
  return (
    <form className="panel" onSubmit={submit} role="search" aria-label="Filter the audit trail">
      <div className="filters">
        {input('key', 'AccessKey ID', { mono: true, placeholder: 'LTAI…' })}
        {input('user', 'User', { placeholder: 'alice or root' })}
        {input('action', 'Action', { placeholder: 'CreateAccessKey' })}
        {input('service', 'Service', { placeholder: 'Ram, Ims, Sts, Actiontrail' })}
        <div className="field">
          <label htmlFor={id('result')}>Result</label>
          <select id={id('result')} value={draft.result} onChange={set('result')}>
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={id('type')}>Event type</label>
          <select id={id('type')} value={draft.type} onChange={set('type')}>
            <option value="">Any</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={id('from')}>From (UTC)</label>
          <input id={id('from')} type="datetime-local" value={draft.from} onChange={set('from')} />
        </div>
        <div className="field">
          <label htmlFor={id('to')}>To (UTC)</label>
          <input id={id('to')} type="datetime-local" value={draft.to} onChange={set('to')} />
        </div>
        <div className="field">
          <label htmlFor={id('audit')}>Network policy</label>
          <select id={id('audit')} value={draft.audit} onChange={set('audit')}>
            <option value="">Any call</option>
            <option value="WouldDeny">Would be denied (Audit mode)</option>
          </select>
        </div>
      </div>
      <div className="actions">
        <button type="submit">Apply filters</button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            navigate('/audit');
          }}
        >
          Clear
        </button>
      </div>
      <p className="hint">Times are UTC. Without a time range: the last 7 days.</p>
    </form>
  );
}

/** Every address one key was ever used from (GetAccessKeyLastUsedIps), not only in this period. */
function KeyAddresses({ accessKeyId }: { accessKeyId: string }) {
  const request = useRequest(async () => {
    const body = await rpc('actiontrail', 'GetAccessKeyLastUsedIps', {
      AccessKey: accessKeyId,
      PageSize: 100,
    });
    const rows = Array.isArray(body.Ips) ? body.Ips.map(obj) : [];
    return rows.map((i) => ({
      ip: text(i.Ip),
      first: num(i.FirstUsedTimestamp),
      last: num(i.UsedTimestamp),
      calls: num(i.CallCount) ?? 0,
    }));
  }, accessKeyId);
  const stamp = (ms: number | undefined) =>
    ms === undefined ? '—' : formatDateTime(new Date(ms).toISOString());
  return (
    <RequestView request={request} label="Loading the key's source addresses…">
      {(rows) => (
        <DataTable
          caption={`Every source address of ${accessKeyId}`}
          rows={rows}
          rowKey={(i) => i.ip}
          empty="This key has not been used."
          columns={[
            { header: 'Source address', cell: (i) => <span className="mono">{i.ip}</span> },
            { header: 'First used', cell: (i) => stamp(i.first) },
            { header: 'Last used', cell: (i) => stamp(i.last) },
            { header: 'Calls', cell: (i) => i.calls, numeric: true },
          ]}
        />
      )}
    </RequestView>
  );
}

export function AuditTrail() {
  const { query } = useLocation();
  const filters = filtersOf(query);
  const route = routeOf(filters);
  const request = useRequest(() => lookupEvents(lookupOf(filters), PAGES), route);
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
  // Refresh reads the key's addresses again too: both move with every new call.
  const [refreshed, setRefreshed] = useState(0);

  return (
    <section>
      <h1>Audit trail</h1>
      <FilterForm filters={filters} key={route} />
      <div className="toolbar">
        <button
          type="button"
          className="secondary"
          onClick={() => {
            request.reload();
            setRefreshed((n) => n + 1);
          }}
        >
          Refresh
        </button>
      </div>
      <RequestView request={request} label="Loading audit events…">
        {({ events: fetched, more }) => {
          const events = fetched.filter((e) => matches(e, filters));
          return (
            <>
              <p role="status" data-testid="event-count">
                {events.length} event{events.length === 1 ? '' : 's'}
                {more ? ` among the latest ${fetched.length} (narrow the filters to see older ones)` : ''}.
              </p>
              <div className="actions">
                <button
                  type="button"
                  className="secondary"
                  disabled={events.length === 0}
                  onClick={() => {
                    download(`audit-events-${stamp}.json`, toJson(events), 'application/json');
                  }}
                >
                  Export JSON
                </button>
                <button
                  type="button"
                  className="secondary"
                  disabled={events.length === 0}
                  onClick={() => {
                    download(`audit-events-${stamp}.csv`, toCsv(events), 'text/csv');
                  }}
                >
                  Export CSV
                </button>
              </div>
              <Chart title="Calls over time" points={callsOverTime(events)} />
              <AuditEventsTable events={events} />
              <h2>Source addresses per key</h2>
              <DataTable
                caption="Source addresses per key in these events"
                rows={addressesPerKey(events)}
                rowKey={(r) => `${r.key}\n${r.ip}`}
                empty="No events."
                columns={[
                  { header: 'AccessKey', cell: (r) => <span className="mono">{r.key || '—'}</span> },
                  { header: 'Source address', cell: (r) => <span className="mono">{r.ip}</span> },
                  { header: 'Calls', cell: (r) => r.calls, numeric: true },
                  { header: 'First seen', cell: (r) => formatDateTime(r.first) },
                  { header: 'Last seen', cell: (r) => formatDateTime(r.last) },
                ]}
              />
            </>
          );
        }}
      </RequestView>
      {filters.key !== '' && (
        <>
          <h2>Every address this key was used from</h2>
          <KeyAddresses accessKeyId={filters.key} key={refreshed} />
        </>
      )}
    </section>
  );
}
