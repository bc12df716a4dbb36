// Users: the account's RAM users, filtered by name; finding a key's owner by its AccessKey ID (IMS
// GetAccessKeyOwner, which looks in the signed-in account only); creating a user.
import { useId, useState } from 'react';
import type { SubmitEvent } from 'react';
import { rpc } from '../api/client';
import { useAction, useRequest } from '../api/hooks';
import { obj, text } from '../api/values';
import { DataTable } from '../components/DataTable';
import { FormDialog } from '../components/FormDialog';
import { TextField } from '../components/TextField';
import { ErrorBox } from '../components/ErrorBox';
import { RequestView } from '../components/RequestView';
import { listAllUsers } from '../domain/keys';
import type { UserRow } from '../domain/keys';
import { formatDateTime } from '../format';
import { Link, segment, useRouter } from '../router/router';

interface Owner {
  readonly AccessKeyId: string;
  readonly PrincipalType: string;
  readonly UserName: string;
  readonly Status: string;
  readonly State: string;
}

function FindKeyOwner() {
  const [keyId, setKeyId] = useState('');
  const [owner, setOwner] = useState<Owner | undefined>();
  const inputId = useId();
  const find = useAction(async (id: string) => {
    const body = await rpc('ims', 'GetAccessKeyOwner', { UserAccessKeyId: id });
    const found = obj(body.AccessKeyOwner);
    setOwner({
      AccessKeyId: text(found.AccessKeyId),
      PrincipalType: text(found.PrincipalType),
      UserName: text(found.UserName),
      Status: text(found.Status),
      State: text(found.State),
    });
  });
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    setOwner(undefined);
    if (keyId.trim() !== '') void find.run(keyId.trim());
  };
  return (
    <form className="panel" onSubmit={submit} role="search" aria-label="Find a key's owner">
      <div className="toolbar">
        <div className="field">
          <label htmlFor={inputId}>Find the owner of an AccessKey ID</label>
          <input
            id={inputId}
            className="mono"
            placeholder="LTAI…"
            spellCheck={false}
            autoComplete="off"
            value={keyId}
            onChange={(event) => {
              setKeyId(event.target.value);
            }}
          />
        </div>
        <button type="submit" disabled={find.pending}>
          {find.pending ? 'Looking…' : 'Find owner'}
        </button>
      </div>
      <p className="hint">Looks in this account only: another account's key answers like a missing one.</p>
      {find.error !== undefined && <ErrorBox error={find.error} />}
      {owner !== undefined && (
        <p role="status" data-testid="key-owner">
          <code>{owner.AccessKeyId}</code> belongs to{' '}
          {owner.PrincipalType === 'root-account' ? (
            <strong>the account itself (root)</strong>
          ) : (
            <Link to={`/users/${segment(owner.UserName)}`}>{owner.UserName}</Link>
          )}
          . {owner.State === 'Live' && <>Status: {owner.Status}. </>}
          {owner.State === 'Recycled' && (
            <>
              It is in the <Link to="/recycle-bin">recycle bin</Link>.{' '}
            </>
          )}
          {owner.State === 'Deleted' && <>It was purged: deleted for good. </>}
          {owner.State !== 'Deleted' && <Link to={`/keys/${segment(owner.AccessKeyId)}`}>Open the key</Link>}
        </p>
      )}
    </form>
  );
}

function CreateUserDialog({ onClose }: { onClose: (created?: string) => void }) {
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const create = useAction(async () => {
    await rpc('ram', 'CreateUser', {
      UserName: name.trim(),
      DisplayName: displayName.trim() === '' ? undefined : displayName.trim(),
    });
    onClose(name.trim());
  });
  return (
    <FormDialog
      title="Create a user"
      action={create}
      submitLabel="Create user"
      pendingLabel="Creating…"
      onClose={() => {
        onClose();
      }}
    >
      <TextField
        label="User name"
        value={name}
        onChange={setName}
        required
        name
        hint="Up to 64 characters: letters, digits, period, hyphen and underscore."
      />
      <TextField label="Display name (optional)" value={displayName} onChange={setDisplayName} />
    </FormDialog>
  );
}

export function Users() {
  const { navigate } = useRouter();
  const users = useRequest(listAllUsers, 'users');
  const [filter, setFilter] = useState('');
  const [creating, setCreating] = useState(false);
  const filterId = useId();
  const needle = filter.trim().toLowerCase();
  const shown = (rows: UserRow[]) =>
    needle === ''
      ? rows
      : rows.filter(
          (u) => u.UserName.toLowerCase().includes(needle) || u.DisplayName.toLowerCase().includes(needle),
        );

  return (
    <section>
      <h1>Users</h1>
      <FindKeyOwner />
      <div className="toolbar">
        <div className="field">
          <label htmlFor={filterId}>Filter by name</label>
          <input
            id={filterId}
            type="search"
            autoComplete="off"
            value={filter}
            onChange={(event) => {
              setFilter(event.target.value);
            }}
          />
        </div>
        <button
          type="button"
          onClick={() => {
            setCreating(true);
          }}
        >
          Create user
        </button>
      </div>
      <RequestView request={users} label="Loading users…">
        {(rows) => (
          <DataTable
            caption="Users"
            rows={shown(rows)}
            rowKey={(u) => u.UserId}
            empty={rows.length === 0 ? 'This account has no users yet.' : 'No user matches the filter.'}
            columns={[
              {
                header: 'User name',
                cell: (u) => <Link to={`/users/${segment(u.UserName)}`}>{u.UserName}</Link>,
              },
              { header: 'Display name', cell: (u) => u.DisplayName },
              { header: 'Created', cell: (u) => formatDateTime(u.CreateDate) },
            ]}
          />
        )}
      </RequestView>
      {creating && (
        <CreateUserDialog
          onClose={(created) => {
            setCreating(false);
            if (created !== undefined) navigate(`/users/${segment(created)}`);
          }}
        />
      )}
    </section>
  );
}
