// The account-level network access policy: its document, the mode (Inactive, Audit, Active), a dry run
// over every key of the account (SimulateAccessKeyPolicy at PolicyLevel Account, one key at a time), and
// saving it. Validation messages are the API's. The console signs with no AccessKey, so the API's
// self-lockout guard (AcceptSelfLockout) never applies here: the dry run is what protects the programs.
import { useId, useState } from 'react';
import { rpc } from '../../api/client';
import { useAction, useRequest } from '../../api/hooks';
import { list, num, text } from '../../api/values';
import { DataTable } from '../../components/DataTable';
import { ErrorBox } from '../../components/ErrorBox';
import { RequestView } from '../../components/RequestView';
import { imsOwnerParams, mapLimited } from '../../domain/keys';
import { Link, segment } from '../../router/router';
import { accountKeys, ownerLabel } from './account-keys';
import type { AccountKey } from './account-keys';
import { MODES, pretty, statusOf, withStatus } from './policy-document';
import type { Mode } from './policy-document';

interface KeyDryRun {
  readonly key: AccountKey;
  readonly deciding: string;
  readonly sourceIpCount: number;
  readonly denied: readonly { SourceIp: string; CallCount: number }[];
  readonly truncated: boolean;
}

export function AccountPolicyEditor({ accountId, isRoot }: { accountId: string; isRoot: boolean }) {
  const [draft, setDraft] = useState<string | undefined>();
  const [days, setDays] = useState('30');
  const [saved, setSaved] = useState<string | undefined>();
  const [dryRun, setDryRun] = useState<KeyDryRun[] | undefined>();
  const ids = { draft: useId(), mode: useId(), days: useId(), help: useId() };
  const current = useRequest(
    async () => text((await rpc('ims', 'GetAccessKeyPolicyForAccount')).AccessKeyPolicy),
    'account-policy',
  );

  const simulate = useAction(async (document: string) => {
    const keys = await accountKeys(isRoot);
    const runs = await mapLimited(keys, async (key): Promise<KeyDryRun> => {
      const body = await rpc('ims', 'SimulateAccessKeyPolicy', {
        ...imsOwnerParams(key.userName, accountId),
        UserAccessKeyId: key.AccessKeyId,
        AccessKeyPolicy: document,
        PolicyLevel: 'Account',
        Days: days,
      });
      return {
        key,
        deciding: text(body.DecidingPolicyLevel),
        sourceIpCount: num(body.SourceIpCount) ?? 0,
        truncated: body.IsTruncated === true,
        denied: list(body, 'DeniedSourceIps', 'DeniedSourceIp').map((d) => ({
          SourceIp: text(d.SourceIp),
          CallCount: num(d.CallCount) ?? 0,
        })),
      };
    });
    setDryRun(runs);
  });
  const save = useAction(async (document: string) => {
    const body = await rpc('ims', 'SetAccessKeyPolicyForAccount', { AccessKeyPolicy: document });
    setDraft(undefined);
    setSaved(statusOf(text(body.AccessKeyPolicy)));
    current.reload();
  });

  return (
    <RequestView request={current} label="Loading the account-level policy…">
      {(policy) => {
        const documentText = draft ?? pretty(policy);
        const mode = statusOf(documentText);
        const edit = (next: string) => {
          setDraft(next);
          setSaved(undefined);
        };
        const denying = dryRun?.filter((r) => r.denied.length > 0) ?? [];
        return (
          <div className="panel">
            <p>
              In force now: <StatusBadge status={statusOf(policy)} />.{' '}
              {statusOf(policy) === 'Active'
                ? 'Every key without an active policy of its own is pinned to these addresses.'
                : statusOf(policy) === 'Audit'
                  ? 'Calls from other addresses are allowed and recorded as “would deny” in the audit trail.'
                  : 'It restricts nothing.'}
            </p>
            <div className="toolbar">
              <div className="field">
                <label htmlFor={ids.mode}>Mode</label>
                <select
                  id={ids.mode}
                  value={MODES.includes(mode as Mode) ? mode : ''}
                  onChange={(event) => {
                    edit(withStatus(documentText, event.target.value as Mode));
                  }}
                >
                  {!MODES.includes(mode as Mode) && <option value="">(as in the document)</option>}
                  {MODES.map((m) => (
                    <option key={m} value={m}>
                      {m === 'Audit' ? 'Audit (record, refuse nothing)' : m}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <div className="editor-with-result">
              <div className="field">
                <label htmlFor={ids.draft}>Account-level policy document</label>
                <textarea
                  id={ids.draft}
                  rows={10}
                  spellCheck={false}
                  aria-describedby={ids.help}
                  value={documentText}
                  onChange={(event) => {
                    edit(event.target.value);
                  }}
                />
                <p className="hint" id={ids.help}>
                  Up to 8 <code>ClassicWhiteList</code> statements of 1 to 50 addresses or CIDRs each. Status:
                  Active, Inactive or Audit.
                </p>
              </div>
              <div aria-live="polite">
                {save.error !== undefined && <ErrorBox error={save.error} onDismiss={save.clearError} />}
                {simulate.error !== undefined && (
                  <ErrorBox error={simulate.error} onDismiss={simulate.clearError} />
                )}
              </div>
            </div>
            <div className="toolbar">
              <div className="field">
                <label htmlFor={ids.days}>Dry run over the last … days</label>
                <input
                  id={ids.days}
                  type="number"
                  min={1}
                  max={3650}
                  value={days}
                  onChange={(event) => {
                    setDays(event.target.value);
                  }}
                />
              </div>
              <button
                type="button"
                className="secondary"
                disabled={simulate.pending}
                onClick={() => {
                  setDryRun(undefined);
                  void simulate.run(documentText);
                }}
              >
                {simulate.pending ? 'Running…' : 'Dry run'}
              </button>
              <button type="button" disabled={save.pending} onClick={() => void save.run(documentText)}>
                {save.pending ? 'Saving…' : 'Save account policy'}
              </button>
            </div>
            {saved !== undefined && (
              <p role="status" className="notice">
                Saved in {saved} mode: in force from the next call of every key.
              </p>
            )}
            {dryRun !== undefined && (
              <div role="status" data-testid="account-dry-run">
                <p>
                  Dry run over {dryRun.length} key{dryRun.length === 1 ? '' : 's'}:{' '}
                  {denying.length === 0
                    ? 'nothing they did in this period would be denied.'
                    : `${denying.length} would have calls denied.`}{' '}
                  Audit is simulated as Active; a key with an active policy of its own keeps it.
                </p>
                <DataTable
                  caption="Keys the draft would deny"
                  rows={dryRun}
                  rowKey={(r) => r.key.AccessKeyId}
                  empty="The account has no keys to replay."
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
                    { header: 'Deciding level', cell: (r) => r.deciding },
                    {
                      header: 'Addresses seen',
                      cell: (r) => `${r.sourceIpCount}${r.truncated ? '+' : ''}`,
                      numeric: true,
                    },
                    {
                      header: 'Would deny',
                      cell: (r) =>
                        r.denied.length === 0 ? (
                          <span className="badge ok">none</span>
                        ) : (
                          <ul className="plain">
                            {r.denied.map((d) => (
                              <li key={d.SourceIp}>
                                <span className="mono">{d.SourceIp}</span> ({d.CallCount} call
                                {d.CallCount === 1 ? '' : 's'})
                              </li>
                            ))}
                          </ul>
                        ),
                    },
                  ]}
                />
              </div>
            )}
          </div>
        );
      }}
    </RequestView>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const tone = status === 'Active' ? 'badge ok' : status === 'Audit' ? 'badge audit' : 'badge';
  return <span className={tone}>{status}</span>;
}
