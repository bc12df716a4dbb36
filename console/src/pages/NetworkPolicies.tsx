// Network access policies: the account-level policy (edit, dry run, audit mode), every key with the
// policy of its own and the level that decides for it (each key's editor is on its detail page), and
// the calls an Audit-mode policy would have denied.
import './pages-extra.css';
import { rpc } from '../api/client';
import { useRequest } from '../api/hooks';
import { text } from '../api/values';
import { DataTable } from '../components/DataTable';
import { EventsTable } from '../components/EventsTable';
import { RequestView } from '../components/RequestView';
import { imsOwnerParams, mapLimited } from '../domain/keys';
import { lookupEvents, lookupParams } from '../domain/events';
import { Link, segment } from '../router/router';
import { useSignedIn } from '../session/session';
import { accountKeys, ownerLabel } from './network/account-keys';
import { AccountPolicyEditor, StatusBadge } from './network/AccountPolicyEditor';
import { statusOf } from './network/policy-document';

function KeyPolicies({ accountId, isRoot }: { accountId: string; isRoot: boolean }) {
  const request = useRequest(async () => {
    const [keys, account] = await Promise.all([
      accountKeys(isRoot),
      rpc('ims', 'GetAccessKeyPolicyForAccount'),
    ]);
    const accountStatus = statusOf(text(account.AccessKeyPolicy));
    const rows = await mapLimited(keys, async (key) => {
      const body = await rpc('ims', 'GetAccessKeyPolicy', {
        ...imsOwnerParams(key.userName, accountId),
        UserAccessKeyId: key.AccessKeyId,
      });
      const own = statusOf(text(body.AccessKeyPolicy));
      // As the gate decides: an Active key policy replaces the account's; else the account's if Active.
      const deciding =
        own === 'Active' ? 'Its own' : accountStatus === 'Active' ? 'The account’s' : 'None (any source)';
      return { key, own, deciding };
    });
    return rows;
  }, `${accountId}:keys`);
  return (
    <RequestView request={request} label="Loading every key's policy…">
      {(rows) => (
        <>
          <p className="muted">
            {rows.filter((r) => r.own !== 'Inactive').length} of {rows.length} key
            {rows.length === 1 ? ' has' : 's have'} a policy of its own. Open a key to edit and dry-run its
            policy.
          </p>
          <DataTable
            caption="AccessKeys and their network policies"
            rows={rows}
            rowKey={(r) => r.key.AccessKeyId}
            empty="The account has no AccessKeys."
            columns={[
              {
                header: 'AccessKey',
                cell: (r) => (
                  <Link to={`/keys/${segment(r.key.AccessKeyId)}`} className="mono">
                    {r.key.AccessKeyId}
                  </Link>
                ),
              },
              { header: 'Owner', cell: (r) => ownerLabel(r.key) },
              { header: 'Key status', cell: (r) => r.key.Status },
              { header: 'Own policy', cell: (r) => <StatusBadge status={r.own} /> },
              { header: 'Decides', cell: (r) => r.deciding },
            ]}
          />
        </>
      )}
    </RequestView>
  );
}

function WouldDeny() {
  const request = useRequest(
    () => lookupEvents(lookupParams({ AccessKeyPolicyAudit: 'WouldDeny' }), 1),
    'would-deny',
  );
  return (
    <RequestView request={request} label="Loading calls an Audit-mode policy would deny…">
      {({ events, more }) => (
        <>
          <EventsTable events={events} caption="Calls an Audit-mode policy would have denied (last 7 days)" />
          <p>
            {more ? `The latest ${events.length}. ` : ''}
            <Link to="/audit?audit=WouldDeny">Open them in the audit trail</Link>
          </p>
        </>
      )}
    </RequestView>
  );
}

export function NetworkPolicies() {
  const principal = useSignedIn().Principal;
  const isRoot = principal.Type === 'root-account';
  return (
    <section>
      <h1>Network access policies</h1>
      <p className="muted">
        A policy pins AccessKeys to the addresses they may be used from. An <strong>Active</strong> key-level
        policy replaces the account-level one for that key; otherwise the account-level policy applies when
        Active. Roll out in three steps: dry run, <strong>Audit</strong> mode (records what it would deny,
        refuses nothing), then Active.
      </p>
      <h2>Account level</h2>
      <AccountPolicyEditor accountId={principal.AccountId} isRoot={isRoot} />
      <h2>Per key</h2>
      <KeyPolicies accountId={principal.AccountId} isRoot={isRoot} />
      <h2>What Audit mode would have denied</h2>
      <WouldDeny />
    </section>
  );
}
