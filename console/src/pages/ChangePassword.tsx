// Shown alone after a sign-in whose login profile says PasswordResetRequired: nothing else until the
// password is changed (RAM ChangePassword, as the signed-in user).
import { useEffect, useId, useState } from 'react';
import type { SubmitEvent } from 'react';
import { rpc } from '../api/client';
import { useAction } from '../api/hooks';
import { ErrorBox } from '../components/ErrorBox';
import { useSession, useSignedIn } from '../session/session';

export function ChangePassword() {
  const { refresh, signOut } = useSession();
  const session = useSignedIn();
  const [oldPassword, setOldPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const ids = { old: useId(), next: useId(), repeat: useId() };
  const change = useAction(async () => {
    await rpc('ram', 'ChangePassword', { OldPassword: oldPassword, NewPassword: newPassword });
    await refresh();
  });

  useEffect(() => {
    document.title = 'Change your password · Ramkey console';
  }, []);

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (newPassword !== repeat) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    void change.run();
  };

  return (
    <main className="signin" id="main">
      <form className="card" onSubmit={submit}>
        <h1>Change your password</h1>
        <p>
          The password of <strong>{session.Principal.LoginName}</strong> must be changed before you continue.
        </p>
        <div className="field">
          <label htmlFor={ids.old}>Current password</label>
          <input
            id={ids.old}
            type="password"
            autoComplete="current-password"
            required
            value={oldPassword}
            onChange={(event) => {
              setOldPassword(event.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.next}>New password</label>
          <input
            id={ids.next}
            type="password"
            autoComplete="new-password"
            required
            value={newPassword}
            onChange={(event) => {
              setNewPassword(event.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.repeat}>New password, again</label>
          <input
            id={ids.repeat}
            type="password"
            autoComplete="new-password"
            required
            aria-invalid={mismatch}
            value={repeat}
            onChange={(event) => {
              setRepeat(event.target.value);
            }}
          />
          {mismatch && (
            <p className="field-error" role="alert">
              The two new passwords differ.
            </p>
          )}
        </div>
        {change.error !== undefined && <ErrorBox error={change.error} />}
        <div className="actions">
          <button type="submit" disabled={change.pending}>
            {change.pending ? 'Changing…' : 'Change password'}
          </button>
          <button type="button" className="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </form>
    </main>
  );
}
