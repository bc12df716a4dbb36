// The recycle bin: deleted users and keys with the days left before they are purged; restore or purge.
// IMS lists binned keys per owner, so the keys are gathered from every user (live or binned) and the
// signed-in principal's own.
import { useState } from 'react';
import { rpc } from '../api/client';
import { useAction, useRequest } from '../api/hooks';
import { list, text } from '../api/values';
import { DataTable } from '../components/DataTable';
import { ConfirmDialog } from '../components/Dialog';
import { ErrorBox } from '../components/ErrorBox';
import { RequestView } from '../components/RequestView';
import { daysLeft, listAllUsers, mapLimited } from '../domain/keys';
import { formatDateTime } from '../format';
import { useSignedIn } from '../session/session';

interface BinnedUser {
  readonly UserId: string;
  readonly UserPrincipalName: string;
  readonly DisplayName: string;
  readonly RecycleDate: string;
  readonly DeleteDate: string;
}

interface BinnedKey {
  readonly AccessKeyId: string;
  /** The owner's UserId, or undefined for the signed-in principal's own keys. */
  readonly UserId: string | undefined;
  readonly owner: string;
  readonly RecycleDate: string;
  readonly DeleteDate: string;
}

async function binnedUsers(): Promise<BinnedUser[]> {
  const users: BinnedUser[] = [];
  let marker: string | undefined;
  do {
    const body = await rpc('ims', 'ListUsersInRecycleBin', { MaxItems: 100, Marker: marker });
    users.push(
      ...list(body, 'Users', 'User').map((u) => ({
        UserId: text(u.UserId),
        UserPrincipalName: text(u.UserPrincipalName),
        DisplayName: text(u.DisplayName),
        RecycleDate: text(u.RecycleDate),
        DeleteDate: text(u.DeleteDate),
      })),
    );
    marker = body.IsTruncated === true ? text(body.Marker) : undefined;
  } while (marker !== undefined && marker !== '');
  return users;
}

async function binnedKeys(owners: { UserId: string | undefined; owner: string }[]): Promise<BinnedKey[]> {
  const perOwner = await mapLimited(owners, async ({ UserId, owner }) => {
    const body = await rpc('ims', 'ListAccessKeysInRecycleBin', UserId === undefined ? {} : { UserId });
    return list(body, 'AccessKeys', 'AccessKey').map((k) => ({
      AccessKeyId: text(k.AccessKeyId),
      UserId,
      owner,
      RecycleDate: text(k.RecycleDate),
      DeleteDate: text(k.DeleteDate),
    }));
  });
  return perOwner.flat();
}

type Pending = { kind: 'purge-user'; user: BinnedUser } | { kind: 'purge-key'; key: BinnedKey } | undefined;

export function RecycleBin() {
  const session = useSignedIn();
  const self = session.Principal;
  const bin = useRequest(async () => {
    const [users, live] = await Promise.all([binnedUsers(), listAllUsers()]);
    const owners = [
      { UserId: undefined, owner: self.Type === 'root-account' ? 'root (the account)' : self.UserName },
      ...live.filter((u) => u.UserId !== self.UserId).map((u) => ({ UserId: u.UserId, owner: u.UserName })),
      ...users.map((u) => ({
        UserId: u.UserId,
        owner: `${u.UserPrincipalName.split('@')[0] ?? ''} (in the bin)`,
      })),
    ];
    return { users, keys: await binnedKeys(owners) };
  }, 'bin');
  const [pending, setPending] = useState<Pending>();
  const [done, setDone] = useState<string | undefined>();

  const act = useAction(
    async (action: string, params: Record<string, string | undefined>, message: string) => {
      await rpc('ims', action, params);
      setPending(undefined);
      setDone(message);
      bin.reload();
    },
  );

  return (
    <section>
      <h1>Recycle bin</h1>
      <p className="muted">
        Deleted users and AccessKeys stay here for 30 days, out of use, then are purged for good. A restored
        key comes back disabled: enable it when ready.
      </p>
      {done !== undefined && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {act.error !== undefined && pending === undefined && (
        <ErrorBox error={act.error} onDismiss={act.clearError} />
      )}
      <RequestView request={bin} label="Loading the recycle bin…">
        {({ users, keys }) => (
          <>
            <h2>Users</h2>
            <DataTable
              caption="Users in the recycle bin"
              rows={users}
              rowKey={(u) => u.UserId}
              empty="No users in the recycle bin."
              columns={[
                { header: 'User', cell: (u) => u.UserPrincipalName },
                { header: 'Deleted', cell: (u) => formatDateTime(u.RecycleDate) },
                { header: 'Days left', cell: (u) => daysLeft(u.DeleteDate), numeric: true },
                {
                  header: 'Actions',
                  cell: (u) => (
                    <div className="actions">
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Restore ${u.UserPrincipalName}`}
                        disabled={act.pending}
                        onClick={() =>
                          void act.run(
                            'RestoreUserFromRecycleBin',
                            { UserId: u.UserId },
                            `${u.UserPrincipalName} restored, with its keys disabled.`,
                          )
                        }
                      >
                        Restore
                      </button>
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Purge ${u.UserPrincipalName}`}
                        onClick={() => {
                          act.clearError();
                          setPending({ kind: 'purge-user', user: u });
                        }}
                      >
                        Purge
                      </button>
                    </div>
                  ),
                },
              ]}
            />
            <h2>AccessKeys</h2>
            <DataTable
              caption="AccessKeys in the recycle bin"
              rows={keys}
              rowKey={(k) => k.AccessKeyId}
              empty="No AccessKeys in the recycle bin."
              columns={[
                { header: 'AccessKey ID', cell: (k) => <span className="mono">{k.AccessKeyId}</span> },
                { header: 'Owner', cell: (k) => k.owner },
                { header: 'Deleted', cell: (k) => formatDateTime(k.RecycleDate) },
                { header: 'Days left', cell: (k) => daysLeft(k.DeleteDate), numeric: true },
                {
                  header: 'Actions',
                  cell: (k) => (
                    <div className="actions">
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Restore ${k.AccessKeyId}`}
                        disabled={act.pending}
                        onClick={() =>
                          void act.run(
                            'RestoreAccessKeyFromRecycleBin',
                            { UserAccessKeyId: k.AccessKeyId, UserId: k.UserId },
                            `${k.AccessKeyId} restored, disabled: enable it when ready.`,
                          )
                        }
                      >
                        Restore
                      </button>
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Purge ${k.AccessKeyId}`}
                        onClick={() => {
                          act.clearError();
                          setPending({ kind: 'purge-key', key: k });
                        }}
                      >
                        Purge
                      </button>
                    </div>
                  ),
                },
              ]}
            />
          </>
        )}
      </RequestView>
      {pending?.kind === 'purge-user' && (
        <ConfirmDialog
          title={`Purge ${pending.user.UserPrincipalName}?`}
          confirmLabel="Purge for good"
          danger
          confirmText={pending.user.UserPrincipalName.split('@')[0] ?? ''}
          pending={act.pending}
          error={act.error}
          onConfirm={() =>
            void act.run(
              'DeleteUserInRecycleBin',
              { UserId: pending.user.UserId },
              `${pending.user.UserPrincipalName} purged.`,
            )
          }
          onClose={() => {
            setPending(undefined);
          }}
        >
          <p>The user and its keys in the bin are deleted for good. This cannot be undone.</p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'purge-key' && (
        <ConfirmDialog
          title={`Purge ${pending.key.AccessKeyId}?`}
          confirmLabel="Purge for good"
          danger
          confirmText={pending.key.AccessKeyId}
          pending={act.pending}
          error={act.error}
          onConfirm={() =>
            void act.run(
              'DeleteAccessKeyInRecycleBin',
              { UserAccessKeyId: pending.key.AccessKeyId, UserId: pending.key.UserId },
              `${pending.key.AccessKeyId} purged.`,
            )
          }
          onClose={() => {
            setPending(undefined);
          }}
        >
          <p>The key's secret is erased and its ID is never valid again. Its audit events stay.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
