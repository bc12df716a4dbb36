// One user: its keys (create, disable, enable, delete), its groups and policies, rename and delete.
import { useState } from 'react';
import { rpc } from '../api/client';
import { useAction, useRequest } from '../api/hooks';
import { list, obj, text } from '../api/values';
import { CreateKeyDialog } from '../components/CreateKeyDialog';
import { DataTable } from '../components/DataTable';
import { ConfirmDialog } from '../components/Dialog';
import { FormDialog } from '../components/FormDialog';
import { TextField } from '../components/TextField';
import { KeyActions } from '../components/KeyActions';
import { RequestView } from '../components/RequestView';
import { listKeys, userRow } from '../domain/keys';
import type { KeyRow } from '../domain/keys';
import { formatDateTime, formatRelative } from '../format';
import { Link, segment, useRouter } from '../router/router';

export function KeysTable({
  keys,
  userName,
  onChanged,
}: {
  keys: KeyRow[];
  userName: string | undefined;
  onChanged: () => void;
}) {
  return (
    <DataTable
      caption="AccessKeys"
      rows={keys}
      rowKey={(k) => k.AccessKeyId}
      empty="No AccessKeys."
      columns={[
        {
          header: 'AccessKey ID',
          cell: (k) => (
            <Link to={`/keys/${segment(k.AccessKeyId)}`} className="mono">
              {k.AccessKeyId}
            </Link>
          ),
        },
        {
          header: 'Status',
          cell: (k) => (
            <>
              <span className={k.Status === 'Active' ? 'badge ok' : 'badge'}>{k.Status}</span>
              {k.LeakRestricted && <span className="badge bad">Leak-restricted</span>}
            </>
          ),
        },
        {
          header: 'Last used',
          cell: (k) => <span title={formatDateTime(k.LastUsedDate)}>{formatRelative(k.LastUsedDate)}</span>,
        },
        {
          header: 'Service and source',
          cell: (k) =>
            k.LastUsedDate === '' ? '—' : `${k.LastUsedServiceName || '?'} from ${k.LastUsedSourceIp || '?'}`,
        },
        { header: 'Created', cell: (k) => formatDateTime(k.CreateDate) },
        {
          header: 'Actions',
          cell: (k) => <KeyActions keyRow={k} userName={userName} onChanged={onChanged} />,
        },
      ]}
    />
  );
}

function RenameDialog({ userName, onClose }: { userName: string; onClose: (renamed?: string) => void }) {
  const [name, setName] = useState(userName);
  const rename = useAction(async () => {
    await rpc('ram', 'UpdateUser', { UserName: userName, NewUserName: name.trim() });
    onClose(name.trim());
  });
  return (
    <FormDialog
      title={`Rename ${userName}`}
      action={rename}
      submitLabel="Rename"
      pendingLabel="Renaming…"
      onClose={() => {
        onClose();
      }}
    >
      <TextField
        label="New user name"
        value={name}
        onChange={setName}
        required
        name
        hint={`Policies that name the user in a resource (user/${userName}) keep the old name.`}
      />
    </FormDialog>
  );
}

function Memberships({ userName }: { userName: string }) {
  const request = useRequest(async () => {
    const [groups, policies] = await Promise.all([
      rpc('ram', 'ListGroupsForUser', { UserName: userName }),
      rpc('ram', 'ListPoliciesForUser', { UserName: userName }),
    ]);
    return {
      groups: list(groups, 'Groups', 'Group').map((g) => text(g.GroupName)),
      policies: list(policies, 'Policies', 'Policy').map((p) => ({
        name: text(p.PolicyName),
        type: text(p.PolicyType),
      })),
    };
  }, userName);
  return (
    <RequestView request={request} label="Loading groups and policies…">
      {({ groups, policies }) => (
        <div className="two-columns">
          <div>
            <h2>Groups</h2>
            {groups.length === 0 ? (
              <p className="empty">In no group.</p>
            ) : (
              <ul>
                {groups.map((g) => (
                  <li key={g}>
                    <Link to={`/groups/${segment(g)}`}>{g}</Link>
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div>
            <h2>Policies</h2>
            {policies.length === 0 ? (
              <p className="empty">No policy attached.</p>
            ) : (
              <ul>
                {policies.map((p) => (
                  <li key={`${p.type}:${p.name}`}>
                    <Link to={`/policies/${segment(p.type)}/${segment(p.name)}`}>{p.name}</Link>{' '}
                    <span className="badge">{p.type}</span>
                  </li>
                ))}
              </ul>
            )}
            <p>
              <Link to="/groups-policies">Manage groups and policies</Link>
            </p>
          </div>
        </div>
      )}
    </RequestView>
  );
}

export function UserDetail({ params }: { params: Record<string, string> }) {
  const userName = params.name ?? '';
  const { navigate } = useRouter();
  const user = useRequest(async () => {
    const body = await rpc('ram', 'GetUser', { UserName: userName });
    return userRow(obj(body.User));
  }, userName);
  const keys = useRequest(() => listKeys(userName), userName);
  const [dialog, setDialog] = useState<'create-key' | 'rename' | 'delete' | undefined>();
  const remove = useAction(async () => {
    await rpc('ram', 'DeleteUser', { UserName: userName });
    navigate('/recycle-bin');
  });

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/users">Users</Link> /
      </p>
      <h1>{userName}</h1>
      <RequestView request={user} label="Loading the user…">
        {(u) => (
          <>
            <dl className="facts">
              <dt>User ID</dt>
              <dd className="mono">{u.UserId}</dd>
              <dt>Display name</dt>
              <dd>{u.DisplayName || '—'}</dd>
              <dt>Created</dt>
              <dd>{formatDateTime(u.CreateDate)}</dd>
            </dl>
            <div className="actions">
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  setDialog('rename');
                }}
              >
                Rename
              </button>
              <button
                type="button"
                className="danger"
                onClick={() => {
                  remove.clearError();
                  setDialog('delete');
                }}
              >
                Delete user
              </button>
            </div>
          </>
        )}
      </RequestView>

      <h2>AccessKeys</h2>
      <div className="toolbar">
        <button
          type="button"
          onClick={() => {
            setDialog('create-key');
          }}
        >
          Create AccessKey
        </button>
      </div>
      <RequestView request={keys} label="Loading keys…">
        {(rows) => <KeysTable keys={rows} userName={userName} onChanged={keys.reload} />}
      </RequestView>

      <Memberships userName={userName} />

      {dialog === 'create-key' && (
        <CreateKeyDialog
          userName={userName}
          label={userName}
          onClose={(created) => {
            setDialog(undefined);
            if (created) keys.reload();
          }}
        />
      )}
      {dialog === 'rename' && (
        <RenameDialog
          userName={userName}
          onClose={(renamed) => {
            setDialog(undefined);
            if (renamed !== undefined && renamed !== userName)
              navigate(`/users/${segment(renamed)}`, { replace: true });
          }}
        />
      )}
      {dialog === 'delete' && (
        <ConfirmDialog
          title={`Delete user ${userName}?`}
          confirmLabel="Delete user"
          danger
          confirmText={userName}
          pending={remove.pending}
          error={remove.error}
          onConfirm={() => void remove.run()}
          onClose={() => {
            setDialog(undefined);
          }}
        >
          <p>
            The user and all its AccessKeys go to the recycle bin: every call with its keys fails from now on.
            It can be restored from the bin for 30 days. A user still in a group or with policies attached
            must leave them first.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
