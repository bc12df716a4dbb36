// One group: its members (add and remove), its policies (attach and detach), and deleting it.
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
import { listAllPolicies, policyRoute } from './ram-lists';

export function GroupDetail({ params }: { params: Record<string, string> }) {
  const groupName = params.name ?? '';
  const { navigate } = useRouter();
  const group = useRequest(async () => {
    const [detail, members, policies] = await Promise.all([
      rpc('ram', 'GetGroup', { GroupName: groupName }),
      rpc('ram', 'ListUsersForGroup', { GroupName: groupName, MaxItems: 1000 }),
      rpc('ram', 'ListPoliciesForGroup', { GroupName: groupName }),
    ]);
    const g = obj(detail.Group);
    return {
      comments: text(g.Comments),
      created: text(g.CreateDate),
      members: list(members, 'Users', 'User').map((u) => ({
        UserName: text(u.UserName),
        JoinDate: text(u.JoinDate),
      })),
      policies: list(policies, 'Policies', 'Policy').map((p) => ({
        PolicyName: text(p.PolicyName),
        PolicyType: text(p.PolicyType),
        AttachDate: text(p.AttachDate),
      })),
    };
  }, groupName);
  // What can be added: loaded on their own, so a principal who may not list them still manages the group.
  const choices = useRequest(async () => {
    const [users, policies] = await Promise.all([listAllUsers(), listAllPolicies()]);
    return { users: users.map((u) => u.UserName), policies };
  }, 'choices');
  const [deleting, setDeleting] = useState(false);
  const change = useAction(async (action: string, extra: Record<string, string>) => {
    await rpc('ram', action, { GroupName: groupName, ...extra });
    group.reload();
  });
  const remove = useAction(async () => {
    await rpc('ram', 'DeleteGroup', { GroupName: groupName });
    navigate('/groups-policies');
  });

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/groups-policies">Groups and policies</Link> /
      </p>
      <h1>{groupName}</h1>
      {change.error !== undefined && <ErrorBox error={change.error} onDismiss={change.clearError} />}
      <RequestView request={group} label="Loading the group…">
        {(g) => (
          <>
            <dl className="facts">
              <dt>Comments</dt>
              <dd>{g.comments || '—'}</dd>
              <dt>Created</dt>
              <dd>{formatDateTime(g.created)}</dd>
            </dl>
            <div className="two-columns">
              <div>
                <h2>Members</h2>
                <DataTable
                  caption="Members"
                  rows={g.members}
                  rowKey={(m) => m.UserName}
                  empty="No members."
                  columns={[
                    {
                      header: 'User',
                      cell: (m) => <Link to={`/users/${segment(m.UserName)}`}>{m.UserName}</Link>,
                    },
                    { header: 'Joined', cell: (m) => formatDateTime(m.JoinDate) },
                    {
                      header: 'Actions',
                      cell: (m) => (
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Remove ${m.UserName} from ${groupName}`}
                          disabled={change.pending}
                          onClick={() => void change.run('RemoveUserFromGroup', { UserName: m.UserName })}
                        >
                          Remove
                        </button>
                      ),
                    },
                  ]}
                />
                {choices.status === 'done' && (
                  <Picker
                    label="Add a member"
                    button="Add member"
                    pending={change.pending}
                    options={choices.data.users
                      .filter((u) => !g.members.some((m) => m.UserName === u))
                      .map((u) => ({ value: u, label: u }))}
                    onPick={(userName) => void change.run('AddUserToGroup', { UserName: userName })}
                  />
                )}
              </div>
              <div>
                <h2>Policies</h2>
                <DataTable
                  caption="Policies attached to the group"
                  rows={g.policies}
                  rowKey={(p) => `${p.PolicyType}:${p.PolicyName}`}
                  empty="No policy attached."
                  columns={[
                    {
                      header: 'Policy',
                      cell: (p) => <Link to={policyRoute(p.PolicyType, p.PolicyName)}>{p.PolicyName}</Link>,
                    },
                    { header: 'Type', cell: (p) => <span className="badge">{p.PolicyType}</span> },
                    {
                      header: 'Actions',
                      cell: (p) => (
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Detach ${p.PolicyName} from ${groupName}`}
                          disabled={change.pending}
                          onClick={() =>
                            void change.run('DetachPolicyFromGroup', {
                              PolicyName: p.PolicyName,
                              PolicyType: p.PolicyType,
                            })
                          }
                        >
                          Detach
                        </button>
                      ),
                    },
                  ]}
                />
                {choices.status === 'done' && (
                  <Picker
                    label="Attach a policy"
                    button="Attach policy"
                    pending={change.pending}
                    options={choices.data.policies
                      .filter(
                        (p) =>
                          !g.policies.some(
                            (a) => a.PolicyName === p.PolicyName && a.PolicyType === p.PolicyType,
                          ),
                      )
                      .map((p) => ({
                        value: `${p.PolicyType}:${p.PolicyName}`,
                        label: `${p.PolicyName} (${p.PolicyType})`,
                      }))}
                    onPick={(value) => {
                      const [type = '', ...name] = value.split(':');
                      void change.run('AttachPolicyToGroup', {
                        PolicyType: type,
                        PolicyName: name.join(':'),
                      });
                    }}
                  />
                )}
              </div>
            </div>
            {choices.status === 'error' && <ErrorBox error={choices.error} onRetry={choices.reload} />}
            <div className="actions">
              <button
                type="button"
                className="danger"
                onClick={() => {
                  remove.clearError();
                  setDeleting(true);
                }}
              >
                Delete group
              </button>
            </div>
          </>
        )}
      </RequestView>
      {deleting && (
        <ConfirmDialog
          title={`Delete group ${groupName}?`}
          confirmLabel="Delete group"
          danger
          confirmText={groupName}
          pending={remove.pending}
          error={remove.error}
          onConfirm={() => void remove.run()}
          onClose={() => {
            setDeleting(false);
          }}
        >
          <p>A group with members or policies must be emptied first: the API says so if it is not.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
