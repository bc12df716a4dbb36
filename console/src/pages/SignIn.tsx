// Sign-in: login name and console password, then a 6-digit MFA code when the server asks for one.
import { useEffect, useId, useRef, useState } from 'react';
import type { SubmitEvent } from 'react';
import { ApiError, asApiError } from '../api/errors';
import { ErrorBox } from '../components/ErrorBox';
import { useSession } from '../session/session';
import { looksLikeAccessKey, SIGNIN_WITH_ACCESS_KEY_MESSAGE } from './signin-check';

export function SignIn({ notice }: { notice?: string | undefined }) {
  const { signIn } = useSession();
  const [loginName, setLoginName] = useState('');
  const [password, setPassword] = useState('');
  const [mfaCode, setMfaCode] = useState('');
  const [needsMfa, setNeedsMfa] = useState(false);
  // Offered only when the account's security preference allows it (EnableSaveMFATicket).
  const [canRemember, setCanRemember] = useState(false);
  const [remember, setRemember] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const mfaInput = useRef<HTMLInputElement>(null);
  const ids = { name: useId(), password: useId(), mfa: useId(), remember: useId() };

  useEffect(() => {
    document.title = 'Sign in · Ramkey console';
  }, []);
  useEffect(() => {
    if (needsMfa) mfaInput.current?.focus();
  }, [needsMfa]);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (looksLikeAccessKey(loginName, password)) {
      setError(
        new ApiError({
          code: 'InvalidParameter.SigninWithAccessKey',
          message: SIGNIN_WITH_ACCESS_KEY_MESSAGE,
          httpStatus: 0,
        }),
      );
      return;
    }
    setPending(true);
    setError(undefined);
    try {
      await signIn({
        LoginName: loginName.trim(),
        Password: password,
        ...(needsMfa ? { MFACode: mfaCode } : {}),
        ...(needsMfa && canRemember && remember ? { RememberMFA: true } : {}),
      });
    } catch (caught) {
      const apiError = asApiError(caught);
      if (apiError.code === 'MFACodeRequired') {
        setNeedsMfa(true);
        setCanRemember(apiError.envelope.SaveMFATicketAllowed === true);
        setError(undefined);
      } else {
        setError(apiError);
        if (apiError.code === 'InvalidMFACode') setMfaCode('');
      }
    } finally {
      setPending(false);
    }
  };

  const startOver = () => {
    setNeedsMfa(false);
    setRemember(false);
    setMfaCode('');
    setPassword('');
    setError(undefined);
  };

  return (
    <main className="signin" id="main">
      <form className="card" onSubmit={(event) => void submit(event)} noValidate>
        <h1>Sign in to Ramkey</h1>
        {notice !== undefined && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {!needsMfa ? (
          <>
            <div className="field">
              <label htmlFor={ids.name}>Login name</label>
              <input
                id={ids.name}
                name="username"
                autoComplete="username"
                spellCheck={false}
                autoCapitalize="none"
                required
                value={loginName}
                onChange={(event) => {
                  setLoginName(event.target.value);
                }}
              />
              <p className="hint">
                The account: <code>root@&lt;accountId&gt;</code>. A RAM user:{' '}
                <code>name@&lt;accountId&gt;.onaliyun.com</code>.
              </p>
            </div>
            <div className="field">
              <label htmlFor={ids.password}>Password</label>
              <input
                id={ids.password}
                name="password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(event) => {
                  setPassword(event.target.value);
                }}
              />
            </div>
          </>
        ) : (
          <div className="field">
            <p>
              Signing in as <strong>{loginName.trim()}</strong>. Enter the 6-digit code from your
              authenticator app.
            </p>
            <label htmlFor={ids.mfa}>MFA code</label>
            <input
              id={ids.mfa}
              ref={mfaInput}
              name="mfa"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              value={mfaCode}
              onChange={(event) => {
                setMfaCode(event.target.value.replace(/\D/g, ''));
              }}
            />
            {canRemember && (
              <div className="check">
                <input
                  id={ids.remember}
                  type="checkbox"
                  checked={remember}
                  onChange={(event) => {
                    setRemember(event.target.checked);
                  }}
                />
                <label htmlFor={ids.remember}>
                  Remember this browser for 7 days (it will not ask for a code here until then)
                </label>
              </div>
            )}
          </div>
        )}
        {error !== undefined && <ErrorBox error={error} />}
        <div className="actions">
          <button type="submit" disabled={pending}>
            {pending ? 'Signing in…' : needsMfa ? 'Verify' : 'Sign in'}
          </button>
          {needsMfa && (
            <button type="button" className="secondary" onClick={startOver}>
              Start over
            </button>
          )}
        </div>
        <p className="hint">AccessKeys are for programs: they never sign in to the console.</p>
      </form>
    </main>
  );
}
