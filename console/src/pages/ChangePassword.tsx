// Shown alone after a sign-in whose login profile says PasswordResetRequired: nothing else until the
// password is changed (RAM ChangePassword, as the signed-in user).
import { useEffect, useState } from 'react';
import type { SubmitEvent } from 'react';
import { rpc } from '../api/client';
import { useAction } from '../api/hooks';
import { ErrorBox } from '../components/ErrorBox';
import { TextField } from '../components/TextField';
import { useSession, useSignedIn } from '../session/session';

export function ChangePassword() {
  const { refresh, signOut } = useSession();
  const session = useSignedIn();
  const [oldPassword, setOldPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
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
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={oldPassword}
          onChange={setOldPassword}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          value={newPassword}
          onChange={setNewPassword}
        />
        <TextField
          label="New password, again"
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onChange={setRepeat}
          error={mismatch ? 'The two new passwords differ.' : undefined}
        />
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
