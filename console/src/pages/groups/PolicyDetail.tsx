// One policy: its document, and for a custom policy a new version (the API's validation beside the
// editor), its versions, deleting it; for any policy, the users and groups it is attached to, attaching and
// detaching.
import '../pages-extra.css';
import { useState } from 'react';
import { rpc } from '../../api/client';
import { useAction, useRequest } from '../../api/hooks';
import { list, obj, text } from '../../api/values';
import { DataTable } from '../../components/DataTable';
import { ConfirmDialog } from '../../components/Dialog';
import { ErrorBox } from '../../components/ErrorBox';
import { RequestView } from '../../components/RequestView';
import { listAllUsers } from '../../domain/keys';
import { formatDateTime } from '../../format';
import { Link, segment, useRouter } from '../../router/router';
import { Picker } from './Picker';
import { PolicyDocumentField } from './PolicyDocumentField';
import { groupRoute, listAllGroups, prettyDocument } from './ram-lists';

interface Entity {
  readonly kind: 'User' | 'Group';
  readonly name: string;
  readonly attached: string;
}

function Versions({ name, onChanged }: { name: string; onChanged: () => void }) {
  const versions = useRequest(async () => {
    const body = await rpc('ram', 'ListPolicyVersions', { PolicyType: 'Custom', PolicyName: name });
    return list(body, 'PolicyVersions', 'PolicyVersion').map((v) => ({
      VersionId: text(v.VersionId),
      IsDefaultVersion: v.IsDefaultVersion === true,
      CreateDate: text(v.CreateDate),
    }));
  }, name);
  const act = useAction(async (action: string, versionId: string) => {
    await rpc('ram', action, { PolicyName: name, VersionId: versionId });
    versions.reload();
    onChanged();
  });
  return (
    <>
      {act.error !== undefined && <ErrorBox error={act.error} onDismiss={act.clearError} />}
      <RequestView request={versions} label="Loading versions…">
        {(rows) => (
          <DataTable
            caption="Versions"
            rows={rows}
            rowKey={(v) => v.VersionId}
            columns={[
              { header: 'Version', cell: (v) => v.VersionId },
              { header: 'Created', cell: (v) => formatDateTime(v.CreateDate) },
              {
                header: 'Default',
                cell: (v) =>
                  v.IsDefaultVersion ? (
                    <span className="badge ok">Default</span>
                  ) : (
                    <div className="actions">
                      <button
                        type="button"
                        className="secondary"
                        disabled={act.pending}
                        aria-label={`Make ${v.VersionId} the default`}
                        onClick={() => void act.run('SetDefaultPolicyVersion', v.VersionId)}
                      >
                        Make default
                      </button>
                      <button
                        type="button"
                        className="secondary"
                        disabled={act.pending}
                        aria-label={`Delete version ${v.VersionId}`}
                        onClick={() => void act.run('DeletePolicyVersion', v.VersionId)}
                      >
                        Delete
                      </button>
                    </div>
                  ),
              },
            ]}
          />
        )}
      </RequestView>
    </>
  );
}

export function PolicyDetail({ params }: { params: Record<string, string> }) {
  const type = params.type ?? '';
  const name = params.name ?? '';
  const custom = type === 'Custom';
  const { navigate } = useRouter();
  const policy = useRequest(async () => {
    const body = await rpc('ram', 'GetPolicy', { PolicyType: type, PolicyName: name });
    const p = obj(body.Policy);
    return {
      description: text(p.Description),
      defaultVersion: text(p.DefaultVersion),
      document: text(obj(body.DefaultPolicyVersion).PolicyDocument) || text(p.PolicyDocument),
      updated: text(p.UpdateDate),
    };
  }, `${type}:${name}`);
  const entities = useRequest(async (): Promise<Entity[]> => {
    const body = await rpc('ram', 'ListEntitiesForPolicy', { PolicyType: type, PolicyName: name });
    return [
      ...list(body, 'Users', 'User').map((u) => ({
        kind: 'User' as const,
        name: text(u.UserName),
        attached: text(u.AttachDate),
      })),
      ...list(body, 'Groups', 'Group').map((g) => ({
        kind: 'Group' as const,
        name: text(g.GroupName),
        attached: text(g.AttachDate),
      })),
    ];
  }, `${type}:${name}`);
  const targets = useRequest(async () => {
    const [users, groups] = await Promise.all([listAllUsers(), listAllGroups()]);
    return [
      ...users.map((u) => ({ value: `User:${u.UserName}`, label: `User ${u.UserName}` })),
      ...groups.map((g) => ({ value: `Group:${g.GroupName}`, label: `Group ${g.GroupName}` })),
    ];
  }, 'targets');
  const [draft, setDraft] = useState<string | undefined>();
  const [saved, setSaved] = useState<string | undefined>();
  const [deleting, setDeleting] = useState(false);
  const [versionsKey, setVersionsKey] = useState(0);

  const saveVersion = useAction(async (document: string) => {
    const body = await rpc('ram', 'CreatePolicyVersion', {
      PolicyName: name,
      PolicyDocument: document,
      SetAsDefault: 'true',
      RotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded',
    });
    setSaved(text(obj(body.PolicyVersion).VersionId));
    setDraft(undefined);
    policy.reload();
    setVersionsKey((n) => n + 1);
  });
  const attach = useAction(async (action: 'Attach' | 'Detach', kind: 'User' | 'Group', target: string) => {
    await rpc('ram', action === 'Attach' ? `AttachPolicyTo${kind}` : `DetachPolicyFrom${kind}`, {
      PolicyType: type,
      PolicyName: name,
      [kind === 'User' ? 'UserName' : 'GroupName']: target,
    });
    entities.reload();
  });
  const remove = useAction(async () => {
    await rpc('ram', 'DeletePolicy', { PolicyName: name });
    navigate('/groups-policies');
  });

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/groups-policies">Groups and policies</Link> /
      </p>
      <h1>
        {name} <span className="badge">{type}</span>
      </h1>
      <RequestView request={policy} label="Loading the policy…">
        {(p) => (
          <>
            <dl className="facts">
              <dt>Description</dt>
              <dd>{p.description || '—'}</dd>
              <dt>Default version</dt>
              <dd>{p.defaultVersion}</dd>
              <dt>Updated</dt>
              <dd>{formatDateTime(p.updated)}</dd>
            </dl>
            {custom ? (
              <>
                <PolicyDocumentField
                  label="Policy document (saved as a new default version)"
                  value={draft ?? prettyDocument(p.document)}
                  error={saveVersion.error}
                  onChange={(value) => {
                    setDraft(value);
                    setSaved(undefined);
                    saveVersion.clearError();
                  }}
                />
                <div className="actions">
                  <button
                    type="button"
                    disabled={saveVersion.pending || draft === undefined}
                    onClick={() => void saveVersion.run(draft ?? p.document)}
                  >
                    {saveVersion.pending ? 'Saving…' : 'Save new version'}
                  </button>
                </div>
                {saved !== undefined && (
                  <p role="status" className="notice">
                    Saved as {saved}, now the default.
                  </p>
                )}
              </>
            ) : (
              <>
                <h2>Document</h2>
                <pre className="panel mono document">{prettyDocument(p.document)}</pre>
              </>
            )}
          </>
        )}
      </RequestView>

      {custom && (
        <>
          <h2>Versions</h2>
          <Versions key={versionsKey} name={name} onChanged={policy.reload} />
        </>
      )}

      <h2>Attached to</h2>
      {attach.error !== undefined && <ErrorBox error={attach.error} onDismiss={attach.clearError} />}
      <RequestView request={entities} label="Loading attachments…">
        {(rows) => (
          <DataTable
            caption="Users and groups the policy is attached to"
            rows={rows}
            rowKey={(e) => `${e.kind}:${e.name}`}
            empty="Attached to no user or group."
            columns={[
              {
                header: 'Name',
                cell: (e) =>
                  e.kind === 'User' ? (
                    <Link to={`/users/${segment(e.name)}`}>{e.name}</Link>
                  ) : (
                    <Link to={groupRoute(e.name)}>{e.name}</Link>
                  ),
              },
              { header: 'Kind', cell: (e) => e.kind },
              { header: 'Attached', cell: (e) => formatDateTime(e.attached) },
              {
                header: 'Actions',
                cell: (e) => (
                  <button
                    type="button"
                    className="secondary"
                    disabled={attach.pending}
                    aria-label={`Detach from ${e.kind.toLowerCase()} ${e.name}`}
                    onClick={() => void attach.run('Detach', e.kind, e.name)}
                  >
                    Detach
                  </button>
                ),
              },
            ]}
          />
        )}
      </RequestView>
      {targets.status === 'error' ? (
        <ErrorBox error={targets.error} onRetry={targets.reload} />
      ) : (
        targets.data !== undefined && (
          <Picker
            label="Attach to a user or group"
            button="Attach"
            pending={attach.pending}
            options={targets.data.filter(
              (t) => !(entities.data ?? []).some((e) => `${e.kind}:${e.name}` === t.value),
            )}
            onPick={(value) => {
              const [kind, ...rest] = value.split(':');
              void attach.run('Attach', kind === 'Group' ? 'Group' : 'User', rest.join(':'));
            }}
          />
        )
      )}

      {custom && (
        <div className="actions">
          <button
            type="button"
            className="danger"
            onClick={() => {
              remove.clearError();
              setDeleting(true);
            }}
          >
            Delete policy
          </button>
        </div>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete policy ${name}?`}
          confirmLabel="Delete policy"
          danger
          confirmText={name}
          pending={remove.pending}
          error={remove.error}
          onConfirm={() => void remove.run()}
          onClose={() => {
            setDeleting(false);
          }}
        >
          <p>A policy still attached to a user or group must be detached first: the API says so if it is.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
