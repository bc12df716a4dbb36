// Groups and policies: the account's groups (create; members and policies on each group's page), its
// policies (create with the API's validation shown beside the document; edit, attach and detach on each
// policy's page), and the policy simulator.
import './pages-extra.css';
import { useId, useState } from 'react';
import { rpc } from '../api/client';
import { useAction, useRequest } from '../api/hooks';
import { DataTable } from '../components/DataTable';
import { FormDialog } from '../components/FormDialog';
import { TextField } from '../components/TextField';
import { RequestView } from '../components/RequestView';
import { listAllUsers } from '../domain/keys';
import { formatDateTime } from '../format';
import { Link, useRouter } from '../router/router';
import { PolicyDocumentField } from './groups/PolicyDocumentField';
import {
  groupRoute,
  listAllGroups,
  listAllPolicies,
  policyRoute,
  STARTER_DOCUMENT,
} from './groups/ram-lists';
import { Simulator } from './groups/Simulator';

function CreateGroupDialog({ onClose }: { onClose: (created?: string) => void }) {
  const [name, setName] = useState('');
  const [comments, setComments] = useState('');
  const create = useAction(async () => {
    await rpc('ram', 'CreateGroup', {
      GroupName: name.trim(),
      Comments: comments.trim() === '' ? undefined : comments.trim(),
    });
    onClose(name.trim());
  });
  return (
    <FormDialog
      title="Create a group"
      action={create}
      submitLabel="Create group"
      pendingLabel="Creating…"
      onClose={() => {
        onClose();
      }}
    >
      <TextField label="Group name" value={name} onChange={setName} required name />
      <TextField label="Comments (optional)" value={comments} onChange={setComments} />
    </FormDialog>
  );
}

/** Creating a custom policy, in the page rather than a dialog: the document needs room beside the API's answer. */
function CreatePolicyPanel({ onDone }: { onDone: (created?: string) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [document, setDocument] = useState(STARTER_DOCUMENT);
  const create = useAction(async () => {
    await rpc('ram', 'CreatePolicy', {
      PolicyName: name.trim(),
      Description: description.trim() === '' ? undefined : description.trim(),
      PolicyDocument: document,
    });
    onDone(name.trim());
  });
  return (
    <form
      className="panel"
      aria-label="Create a policy"
      onSubmit={(event) => {
        event.preventDefault();
        void create.run();
      }}
    >
      <h3>New custom policy</h3>
      <TextField label="Policy name" value={name} onChange={setName} required name />
      <TextField label="Description (optional)" value={description} onChange={setDescription} />
      <PolicyDocumentField
        label="Policy document"
        value={document}
        error={create.error}
        onChange={(value) => {
          setDocument(value);
          create.clearError();
        }}
      />
      <div className="actions">
        <button type="submit" disabled={create.pending}>
          {create.pending ? 'Creating…' : 'Create policy'}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            onDone();
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}

function Groups() {
  const { navigate } = useRouter();
  const groups = useRequest(listAllGroups, 'groups');
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div className="toolbar">
        <button
          type="button"
          onClick={() => {
            setCreating(true);
          }}
        >
          Create group
        </button>
      </div>
      <RequestView request={groups} label="Loading groups…">
        {(rows) => (
          <DataTable
            caption="Groups"
            rows={rows}
            rowKey={(g) => g.GroupName}
            empty="This account has no groups yet."
            columns={[
              { header: 'Group', cell: (g) => <Link to={groupRoute(g.GroupName)}>{g.GroupName}</Link> },
              { header: 'Comments', cell: (g) => g.Comments },
              { header: 'Created', cell: (g) => formatDateTime(g.CreateDate) },
            ]}
          />
        )}
      </RequestView>
      {creating && (
        <CreateGroupDialog
          onClose={(created) => {
            setCreating(false);
            if (created !== undefined) navigate(groupRoute(created));
          }}
        />
      )}
    </>
  );
}

function Policies() {
  const { navigate } = useRouter();
  const [type, setType] = useState('');
  const [creating, setCreating] = useState(false);
  const typeId = useId();
  const policies = useRequest(() => listAllPolicies(type === '' ? undefined : type), `policies:${type}`);
  return (
    <>
      <div className="toolbar">
        <div className="field">
          <label htmlFor={typeId}>Type</label>
          <select
            id={typeId}
            value={type}
            onChange={(event) => {
              setType(event.target.value);
            }}
          >
            <option value="">All</option>
            <option value="Custom">Custom</option>
            <option value="System">System</option>
          </select>
        </div>
        <button
          type="button"
          disabled={creating}
          onClick={() => {
            setCreating(true);
          }}
        >
          Create policy
        </button>
      </div>
      {creating && (
        <CreatePolicyPanel
          onDone={(created) => {
            setCreating(false);
            if (created !== undefined) navigate(policyRoute('Custom', created));
          }}
        />
      )}
      <RequestView request={policies} label="Loading policies…">
        {(rows) => (
          <DataTable
            caption="Policies"
            rows={rows}
            rowKey={(p) => `${p.PolicyType}:${p.PolicyName}`}
            empty="No policies."
            columns={[
              {
                header: 'Policy',
                cell: (p) => <Link to={policyRoute(p.PolicyType, p.PolicyName)}>{p.PolicyName}</Link>,
              },
              { header: 'Type', cell: (p) => <span className="badge">{p.PolicyType}</span> },
              { header: 'Description', cell: (p) => p.Description },
              { header: 'Attached', cell: (p) => p.AttachmentCount, numeric: true },
            ]}
          />
        )}
      </RequestView>
    </>
  );
}

function SimulatorSection() {
  const users = useRequest(listAllUsers, 'simulator-users');
  return (
    <RequestView request={users} label="Loading users…">
      {(rows) => <Simulator userNames={rows.map((u) => u.UserName)} />}
    </RequestView>
  );
}

export function GroupsPolicies() {
  return (
    <section>
      <h1>Groups and policies</h1>
      <h2>Groups</h2>
      <Groups />
      <h2>Policies</h2>
      <Policies />
      <h2>Policy simulator</h2>
      <p className="muted">
        What would happen if a user called an action: the decision and the statement that made it, as the
        server would authorize the call. Nothing is called.
      </p>
      <SimulatorSection />
    </section>
  );
}
