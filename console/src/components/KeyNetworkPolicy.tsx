// One key's network access policy: what is in force (its own, or the account's), an editor for its own,
// the dry run (SimulateAccessKeyPolicy: which of the key's recent source addresses the draft would deny),
// and saving it. Validation messages are the API's, shown as it gives them.
import { useId, useState } from 'react';
import { rpc } from '../api/client';
import { useAction, useRequest } from '../api/hooks';
import { list, num, text } from '../api/values';
import { imsOwnerParams } from '../domain/keys';
import type { KeyOwnerName } from '../domain/keys';
import { formatDateTime } from '../format';
import { DataTable } from './DataTable';
import { ErrorBox } from './ErrorBox';
import { RequestView } from './RequestView';

interface Simulation {
  readonly denied: { SourceIp: string; CallCount: number; FirstUsedDate: string; LastUsedDate: string }[];
  readonly sourceIpCount: number;
  readonly truncated: boolean;
  readonly deciding: string;
}

/** The document pretty-printed for editing (the API returns it as one JSON string). */
function pretty(document: string): string {
  try {
    return JSON.stringify(JSON.parse(document), null, 2);
  } catch {
    return document;
  }
}

function statusOf(document: string): string {
  try {
    const status = (JSON.parse(document) as { Status?: unknown }).Status;
    return typeof status === 'string' ? status : 'Inactive';
  } catch {
    return 'unknown';
  }
}

export function KeyNetworkPolicy({
  accessKeyId,
  userName,
  accountId,
}: {
  accessKeyId: string;
  userName: KeyOwnerName;
  accountId: string;
}) {
  const owner = imsOwnerParams(userName, accountId);
  const [draft, setDraft] = useState<string | undefined>();
  const [days, setDays] = useState('30');
  const [simulation, setSimulation] = useState<Simulation | undefined>();
  const [saved, setSaved] = useState(false);
  const ids = { draft: useId(), days: useId() };
  const current = useRequest(async () => {
    const [key, account] = await Promise.all([
      rpc('ims', 'GetAccessKeyPolicy', { ...owner, UserAccessKeyId: accessKeyId }),
      rpc('ims', 'GetAccessKeyPolicyForAccount').catch(() => undefined),
    ]);
    return {
      key: text(key.AccessKeyPolicy),
      account: account === undefined ? undefined : text(account.AccessKeyPolicy),
    };
  }, accessKeyId);

  const simulate = useAction(async (document: string) => {
    const body = await rpc('ims', 'SimulateAccessKeyPolicy', {
      ...owner,
      UserAccessKeyId: accessKeyId,
      AccessKeyPolicy: document,
      Days: days,
    });
    setSimulation({
      denied: list(body, 'DeniedSourceIps', 'DeniedSourceIp').map((d) => ({
        SourceIp: text(d.SourceIp),
        CallCount: num(d.CallCount) ?? 0,
        FirstUsedDate: text(d.FirstUsedDate),
        LastUsedDate: text(d.LastUsedDate),
      })),
      sourceIpCount: num(body.SourceIpCount) ?? 0,
      truncated: body.IsTruncated === true,
      deciding: text(body.DecidingPolicyLevel),
    });
  });
  const save = useAction(async (document: string) => {
    await rpc('ims', 'SetAccessKeyPolicy', {
      ...owner,
      UserAccessKeyId: accessKeyId,
      AccessKeyPolicy: document,
    });
    setSaved(true);
    current.reload();
  });

  return (
    <RequestView request={current} label="Loading the network policy…">
      {({ key, account }) => {
        const documentText = draft ?? pretty(key);
        const keyStatus = statusOf(key);
        const accountStatus = account === undefined ? undefined : statusOf(account);
        return (
          <div>
            <p>
              This key's own policy is <strong>{keyStatus}</strong>.{' '}
              {accountStatus === undefined
                ? 'The account-level policy is not visible to you.'
                : `The account-level policy is ${accountStatus}.`}{' '}
              {keyStatus === 'Active'
                ? 'The key’s own policy decides.'
                : accountStatus === 'Active'
                  ? 'The account’s policy decides.'
                  : 'No policy restricts where this key is used from.'}
            </p>
            <div className="field">
              <label htmlFor={ids.draft}>Policy document (Status: Active, Inactive or Audit)</label>
              <textarea
                id={ids.draft}
                rows={8}
                spellCheck={false}
                value={documentText}
                onChange={(event) => {
                  setDraft(event.target.value);
                  setSaved(false);
                }}
              />
            </div>
            <div className="toolbar">
              <div className="field">
                <label htmlFor={ids.days}>Replay the last … days</label>
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
                onClick={() => void simulate.run(documentText)}
              >
                {simulate.pending ? 'Running…' : 'Dry run'}
              </button>
              <button type="button" disabled={save.pending} onClick={() => void save.run(documentText)}>
                {save.pending ? 'Saving…' : 'Save policy'}
              </button>
            </div>
            {simulate.error !== undefined && (
              <ErrorBox error={simulate.error} onDismiss={simulate.clearError} />
            )}
            {save.error !== undefined && <ErrorBox error={save.error} onDismiss={save.clearError} />}
            {saved && (
              <p role="status" className="notice">
                Saved: in force from the key's next call.
              </p>
            )}
            {simulation !== undefined && (
              <div role="status" data-testid="dry-run">
                <p>
                  Dry run: of {simulation.sourceIpCount} source address
                  {simulation.sourceIpCount === 1 ? '' : 'es'} seen, {simulation.denied.length} would be
                  denied
                  {simulation.truncated ? ' (more addresses than were replayed)' : ''}. Deciding level:{' '}
                  {simulation.deciding}.
                </p>
                <DataTable
                  caption="Source addresses the draft would deny"
                  rows={simulation.denied}
                  rowKey={(d) => d.SourceIp}
                  empty="Nothing the key did in this period would be denied."
                  columns={[
                    { header: 'Source address', cell: (d) => <span className="mono">{d.SourceIp}</span> },
                    { header: 'Calls', cell: (d) => d.CallCount, numeric: true },
                    { header: 'First used', cell: (d) => formatDateTime(d.FirstUsedDate) },
                    { header: 'Last used', cell: (d) => formatDateTime(d.LastUsedDate) },
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
