// The policy simulator (SimulatePrincipalPolicy, a Ramkey extension): what the authorizer would decide for
// a user calling an action on a resource from an address, and which statement decided.
import { useId, useState } from 'react';
import type { SubmitEvent } from 'react';
import { rpc } from '../../api/client';
import { useAction } from '../../api/hooks';
import { obj, text } from '../../api/values';
import { ErrorBox } from '../../components/ErrorBox';
import { Link } from '../../router/router';
import { policyRoute } from './ram-lists';

interface Verdict {
  readonly decision: string;
  readonly action: string;
  readonly resource: string;
  readonly byPreference: boolean;
  readonly statement?: { PolicyName: string; PolicyType: string; StatementIndex: string; Effect: string };
}

const DECISIONS: Record<string, string> = {
  allowed: 'Allowed',
  explicitDeny: 'Denied by a Deny statement',
  implicitDeny: 'Denied: no statement allows it',
};

export function Simulator({ userNames }: { userNames: readonly string[] }) {
  const [form, setForm] = useState({ user: userNames[0] ?? '', action: '', resource: '', ip: '' });
  const [verdict, setVerdict] = useState<Verdict | undefined>();
  const base = useId();
  const simulate = useAction(async () => {
    const body = await rpc('ram', 'SimulatePrincipalPolicy', {
      UserName: form.user,
      ActionName: form.action.trim(),
      ResourceArn: form.resource.trim() === '' ? undefined : form.resource.trim(),
      SourceIp: form.ip.trim() === '' ? undefined : form.ip.trim(),
    });
    const matched = obj(body.MatchedStatement);
    setVerdict({
      decision: text(body.EvalDecision),
      action: text(body.EvalActionName),
      resource: text(body.EvalResourceName),
      byPreference: body.AllowedBySecurityPreference === true,
      ...(body.MatchedStatement !== undefined && {
        statement: {
          PolicyName: text(matched.PolicyName),
          PolicyType: text(matched.PolicyType),
          StatementIndex: text(matched.StatementIndex),
          Effect: text(matched.Effect),
        },
      }),
    });
  });
  const field = (name: keyof typeof form) => ({
    id: `${base}-${name}`,
    value: form[name],
    onChange: (event: { target: { value: string } }) => {
      setForm({ ...form, [name]: event.target.value });
    },
  });
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    setVerdict(undefined);
    void simulate.run();
  };
  return (
    <form className="panel" onSubmit={submit} aria-label="Policy simulator">
      <div className="filters">
        <div className="field">
          <label htmlFor={`${base}-user`}>User</label>
          <select {...field('user')} required>
            {userNames.length === 0 && <option value="">No users</option>}
            {userNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${base}-action`}>Action</label>
          <input
            {...field('action')}
            required
            placeholder="ram:CreateUser"
            spellCheck={false}
            autoComplete="off"
          />
        </div>
        <div className="field">
          <label htmlFor={`${base}-resource`}>Resource ARN (optional)</label>
          <input {...field('resource')} placeholder="*" spellCheck={false} autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor={`${base}-ip`}>Source address (optional)</label>
          <input {...field('ip')} placeholder="your address" spellCheck={false} autoComplete="off" />
        </div>
      </div>
      <div className="actions">
        <button type="submit" disabled={simulate.pending || form.user === ''}>
          {simulate.pending ? 'Simulating…' : 'Simulate'}
        </button>
      </div>
      {simulate.error !== undefined && <ErrorBox error={simulate.error} onDismiss={simulate.clearError} />}
      {verdict !== undefined && (
        <div className="sim-result" role="status" data-testid="simulation">
          <p>
            <span className={verdict.decision === 'allowed' ? 'badge ok' : 'badge bad'}>
              {DECISIONS[verdict.decision] ?? verdict.decision}
            </span>{' '}
            <code>{verdict.action}</code> on <code>{verdict.resource}</code>.
          </p>
          {verdict.statement !== undefined ? (
            <p>
              Decided by statement {verdict.statement.StatementIndex} ({verdict.statement.Effect}) of{' '}
              <Link to={policyRoute(verdict.statement.PolicyType, verdict.statement.PolicyName)}>
                {verdict.statement.PolicyName}
              </Link>{' '}
              <span className="badge">{verdict.statement.PolicyType}</span>.
            </p>
          ) : verdict.byPreference ? (
            <p>Allowed by the security preference (users may manage their own AccessKeys).</p>
          ) : (
            <p className="muted">No statement matched.</p>
          )}
        </div>
      )}
    </form>
  );
}
