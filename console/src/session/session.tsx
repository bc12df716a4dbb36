// Who is signed in. The session itself is the server's HttpOnly cookie; this holds what GET /console/api/session
// says about it, and switches the app to the sign-in page whenever a request finds the session gone. The route
// stays in the address bar meanwhile, so signing in again lands where the user was.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import * as api from '../api/client';
import { asApiError } from '../api/errors';
import type { ApiError } from '../api/errors';

export type SessionState =
  | { readonly status: 'loading' }
  | { readonly status: 'signed-out'; readonly notice?: string }
  | { readonly status: 'unreachable'; readonly error: ApiError }
  | { readonly status: 'signed-in'; readonly session: api.Session };

interface SessionApi {
  readonly state: SessionState;
  readonly signIn: (request: api.SignInRequest) => Promise<void>;
  readonly signOut: () => Promise<void>;
  /** Asks the server again (after a password change, or to retry when it was unreachable). */
  readonly refresh: () => Promise<void>;
}

/** What GET /console/api/session says, as a state: signed in, signed out, or the server unreachable. */
async function askServer(): Promise<SessionState> {
  try {
    return { status: 'signed-in', session: await api.getSession() };
  } catch (error) {
    const apiError = asApiError(error);
    return apiError.code === api.SESSION_REQUIRED
      ? { status: 'signed-out' }
      : { status: 'unreachable', error: apiError };
  }
}

const SessionContext = createContext<SessionApi | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const refresh = useCallback(async () => {
    setState(await askServer());
  }, []);

  useEffect(() => {
    let current = true;
    api.setSessionLostHandler(() => {
      setState({ status: 'signed-out', notice: 'Your session has ended. Sign in again to continue.' });
    });
    api.setSessionReplacedHandler(() => {
      void askServer().then((answer) => {
        if (current) setState(answer);
      });
    });
    void askServer().then((answer) => {
      if (current) setState(answer);
    });
    return () => {
      current = false;
      api.setSessionLostHandler(undefined);
      api.setSessionReplacedHandler(undefined);
    };
  }, []);

  const signIn = useCallback(async (request: api.SignInRequest) => {
    const session = await api.signIn(request);
    setState({ status: 'signed-in', session });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.signOut();
    } finally {
      setState({ status: 'signed-out', notice: 'You have signed out.' });
    }
  }, []);

  const value = useMemo(() => ({ state, signIn, signOut, refresh }), [state, signIn, signOut, refresh]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const value = useContext(SessionContext);
  if (value === undefined) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in session; only for pages rendered inside the signed-in layout. */
export function useSignedIn(): api.Session {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useSignedIn while not signed in');
  return state.session;
}
