// The rotation walk-through for one key, each step a real action: create a second key for the same owner
// (its secret shown once), switch the application to it (the last use of both keys shows when it has),
// disable the old key, delete it. Where the walk-through stands is read from the keys themselves, so a
// reload, or steps taken elsewhere, resume it at the right place.
import '../pages-extra.css';
import { useState } from 'react';
import type { ReactNode } from 'react';
import { rpc } from '../../api/client';
import { useAction, useRequest } from '../../api/hooks';
import { obj, text } from '../../api/values';
import { CreateKeyDialog } from '../../components/CreateKeyDialog';
import { ConfirmDialog } from '../../components/Dialog';
import { ErrorBox } from '../../components/ErrorBox';
import { RequestView } from '../../components/RequestView';
import { ownerParams } from '../../domain/keys';
import { formatDateTime, formatRelative } from '../../format';
import { Link, segment } from '../../router/router';
import { keysOf } from '../network/account-keys';
import type { AccountKey } from '../network/account-keys';

interface Situation {
  readonly userName: string | undefined;
  readonly state: string;
  readonly old: AccountKey | undefined;
  readonly others: AccountKey[];
}

function Step({
  title,
  done,
  current,
  children,
}: {
  title: string;
  done: boolean;
  current: boolean;
  children: ReactNode;
}) {
  return (
    <li
      className={done ? 'done' : current ? 'current' : undefined}
      aria-current={current ? 'step' : undefined}
    >
      <h3>
        {title} {done && <span className="visually-hidden">(done)</span>}
      </h3>
      {children}
    </li>
  );
}

function lastUse(key: AccountKey): string {
  return key.LastUsedDate === ''
    ? 'never used'
    : `last used ${formatRelative(key.LastUsedDate)} (${formatDateTime(key.LastUsedDate)}) from ${key.LastUsedSourceIp || '?'}`;
}

export function RotateKey({ params }: { params: Record<string, string> }) {
  const keyId = params.keyId ?? '';
  const situation = useRequest(async (): Promise<Situation> => {
    const owner = obj((await rpc('ims', 'GetAccessKeyOwner', { UserAccessKeyId: keyId })).AccessKeyOwner);
    const userName = text(owner.PrincipalType) === 'root-account' ? undefined : text(owner.UserName);
    const state = text(owner.State);
    const keys = state === 'Live' ? await keysOf(userName) : [];
    return {
      userName,
      state,
      old: keys.find((k) => k.AccessKeyId === keyId),
      others: keys.filter((k) => k.AccessKeyId !== keyId),
    };
  }, keyId);
  const [creating, setCreating] = useState(false);
  const [switched, setSwitched] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const disable = useAction(async (userName: string | undefined) => {
    await rpc('ram', 'UpdateAccessKey', {
      ...ownerParams(userName),
      UserAccessKeyId: keyId,
      Status: 'Inactive',
    });
    situation.reload();
  });
  const remove = useAction(async (userName: string | undefined) => {
    await rpc('ram', 'DeleteAccessKey', { ...ownerParams(userName), UserAccessKeyId: keyId });
    setDeleting(false);
    situation.reload();
  });

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/alerts">Alerts and leak response</Link> /
      </p>
      <h1>
        Rotate <span className="mono">{keyId}</span>
      </h1>
      <RequestView request={situation} label="Loading the key…">
        {(s) => {
          const owner = s.userName ?? 'the account (root)';
          const newKey = s.others.find((k) => k.Status === 'Active' && !k.LeakRestricted);
          const deleted = s.state !== 'Live';
          const disabled = deleted || s.old?.Status === 'Inactive';
          const created = newKey !== undefined || deleted;
          const moved = switched || disabled;
          const step = !created ? 1 : !moved ? 2 : !disabled ? 3 : !deleted ? 4 : 5;
          return (
            <>
              <p>
                Owner:{' '}
                {s.userName === undefined ? owner : <Link to={`/users/${segment(s.userName)}`}>{owner}</Link>}
                .{' '}
                {s.old?.LeakRestricted === true && (
                  <>
                    <span className="badge bad">Leak-restricted</span> since{' '}
                    {formatDateTime(s.old.LeakRestrictedDate)}: {s.old.LeakRestrictionReason}
                  </>
                )}
              </p>
              <ol className="steps" aria-label="Rotation steps">
                <Step title="Create a new key for the same owner" done={created} current={step === 1}>
                  {newKey !== undefined ? (
                    <p>
                      New key:{' '}
                      <Link to={`/keys/${segment(newKey.AccessKeyId)}`} className="mono">
                        {newKey.AccessKeyId}
                      </Link>
                      .
                    </p>
                  ) : s.others.length > 0 ? (
                    <p className="notice">
                      The owner already has another key ({s.others.map((k) => k.AccessKeyId).join(', ')}), not
                      active or restricted too: an owner has at most two keys, so delete it first.
                    </p>
                  ) : (
                    <p>Its secret is shown once: hand it to the application's configuration.</p>
                  )}
                  {step === 1 && (
                    <button
                      type="button"
                      onClick={() => {
                        setCreating(true);
                      }}
                    >
                      Create the new key
                    </button>
                  )}
                </Step>
                <Step title="Switch the application to the new key" done={moved} current={step === 2}>
                  {!deleted && s.old !== undefined && (
                    <ul>
                      <li>
                        Old key: <span data-testid="old-last-use">{lastUse(s.old)}</span>
                      </li>
                      {newKey !== undefined && <li>New key: {lastUse(newKey)}</li>}
                    </ul>
                  )}
                  {step === 2 && (
                    <div className="actions">
                      <button type="button" className="secondary" onClick={situation.reload}>
                        Check last use again
                      </button>
                      <button
                        type="button"
                        onClick={() => {
                          setSwitched(true);
                        }}
                      >
                        The application uses the new key
                      </button>
                    </div>
                  )}
                </Step>
                <Step title="Disable the old key" done={disabled} current={step === 3}>
                  <p>
                    Anything still using it fails from then on; enabling it again is possible until it is
                    deleted.
                  </p>
                  {step === 3 && (
                    <button
                      type="button"
                      disabled={disable.pending}
                      onClick={() => void disable.run(s.userName)}
                    >
                      {disable.pending ? 'Disabling…' : 'Disable the old key'}
                    </button>
                  )}
                  {disable.error !== undefined && (
                    <ErrorBox error={disable.error} onDismiss={disable.clearError} />
                  )}
                </Step>
                <Step title="Delete the old key" done={deleted} current={step === 4}>
                  <p>It goes to the recycle bin for 30 days, then it is purged.</p>
                  {step === 4 && (
                    <button
                      type="button"
                      className="danger"
                      onClick={() => {
                        remove.clearError();
                        setDeleting(true);
                      }}
                    >
                      Delete the old key
                    </button>
                  )}
                </Step>
              </ol>
              {step === 5 && (
                <p className="notice" role="status">
                  Rotation done: the leaked key is out of use. See what it did in the{' '}
                  <Link to={`/audit?key=${segment(keyId)}`}>audit trail</Link>.
                </p>
              )}
              {creating && (
                <CreateKeyDialog
                  userName={s.userName}
                  label={owner}
                  onClose={(made) => {
                    setCreating(false);
                    if (made) situation.reload();
                  }}
                />
              )}
              {deleting && (
                <ConfirmDialog
                  title={`Delete AccessKey ${keyId}?`}
                  confirmLabel="Delete AccessKey"
                  danger
                  confirmText={keyId}
                  pending={remove.pending}
                  error={remove.error}
                  onConfirm={() => void remove.run(s.userName)}
                  onClose={() => {
                    setDeleting(false);
                  }}
                >
                  <p>{s.old === undefined ? '' : `The old key was ${lastUse(s.old)}.`}</p>
                </ConfirmDialog>
              )}
            </>
          );
        }}
      </RequestView>
    </section>
  );
}
