// The one way the console talks to the server: the endpoints of the console contract under /console/api.
// The CSRF token lives in this module's memory only (never in storage, a URL or a cookie); a reload asks
// GET /console/api/session for it again.
import { ApiError, apiErrorFrom, BAD_RESPONSE, NETWORK_ERROR } from './errors';

/** The API versions /console/api/rpc takes, one per service. */
export const SERVICES = {
  ram: '2015-05-01',
  ims: '2019-08-15',
  sts: '2015-04-01',
  actiontrail: '2020-07-06',
} as const;
export type Service = keyof typeof SERVICES;

export interface Principal {
  readonly Type: 'root-account' | 'ram-user';
  readonly AccountId: string;
  readonly UserName: string;
  readonly UserId?: string;
  readonly LoginName: string;
  readonly Arn: string;
}

export interface Session {
  readonly Principal: Principal;
  readonly CsrfToken: string;
  readonly IdleTimeoutSeconds: number;
  readonly PasswordResetRequired: boolean;
}

export interface SignInRequest {
  readonly LoginName: string;
  readonly Password: string;
  readonly MFACode?: string;
  /** Remember the MFA check in this browser for 7 days (where the account allows it). */
  readonly RememberMFA?: boolean;
}

/** A JSON object as the API answers it; pages narrow the fields they read. */
export type ApiObject = Record<string, unknown>;

/** Parameter values as the signed API takes them (flattened lists like `Foo.1` are the caller's). */
export type RpcParams = Record<string, string | number | boolean | undefined>;

export const SESSION_REQUIRED = 'ConsoleSessionRequired';
export const INVALID_CSRF = 'InvalidCsrfToken';

let csrfToken: string | undefined;
let onSessionLost: (() => void) | undefined;
let onSessionReplaced: (() => void) | undefined;

/** Called when an endpoint answers 401 ConsoleSessionRequired. */
export function setSessionLostHandler(handler: (() => void) | undefined): void {
  onSessionLost = handler;
}

/**
 * Called when an endpoint answers 403 InvalidCsrfToken: the cookie is another session's than the
 * token in memory (a sign-in in another tab replaced it). The handler asks GET /console/api/session
 * again, which shows who is signed in now and brings that session's token; the refused request is
 * not repeated behind the user's back, since the principal may have changed.
 */
export function setSessionReplacedHandler(handler: (() => void) | undefined): void {
  onSessionReplaced = handler;
}

interface SendInit {
  readonly method: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

async function send(path: string, init: SendInit): Promise<ApiObject> {
  let response: Response;
  try {
    response = await fetch(`/console/api/${path}`, {
      method: init.method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json', ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  } catch (error) {
    throw new ApiError({
      code: NETWORK_ERROR,
      message: `The server could not be reached (${error instanceof Error ? error.message : String(error)}).`,
      httpStatus: 0,
    });
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ApiError({
      code: BAD_RESPONSE,
      message: `The server answered HTTP ${response.status} with a body that is not JSON.`,
      httpStatus: response.status,
    });
  }
  if (!response.ok) {
    const error = apiErrorFrom(response.status, body);
    if (error.code === SESSION_REQUIRED) {
      csrfToken = undefined;
      onSessionLost?.();
    } else if (error.code === INVALID_CSRF) {
      onSessionReplaced?.();
    }
    throw error;
  }
  if (typeof body !== 'object' || body === null) {
    throw new ApiError({
      code: BAD_RESPONSE,
      message: 'The server answered with no JSON object.',
      httpStatus: 200,
    });
  }
  return body as ApiObject;
}

function csrfHeader(): Record<string, string> {
  return csrfToken === undefined ? {} : { 'X-Ramkey-Csrf': csrfToken };
}

function sessionOf(body: ApiObject): Session {
  const session = body.Session as Session | undefined;
  if (session?.Principal === undefined || typeof session.CsrfToken !== 'string') {
    throw new ApiError({
      code: BAD_RESPONSE,
      message: 'The session answer has no Session.',
      httpStatus: 200,
    });
  }
  csrfToken = session.CsrfToken;
  return session;
}

/** The current session, or an ApiError with code ConsoleSessionRequired when signed out. */
export async function getSession(): Promise<Session> {
  return sessionOf(await send('session', { method: 'GET' }));
}

export async function signIn(request: SignInRequest): Promise<Session> {
  return sessionOf(
    await send('signin', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    }),
  );
}

export async function signOut(): Promise<void> {
  try {
    await send('signout', { method: 'POST', headers: csrfHeader() });
  } finally {
    csrfToken = undefined;
  }
}

/** One API action as the signed-in principal: the answer is exactly the signed API's JSON. */
export async function rpc(service: Service, action: string, params: RpcParams = {}): Promise<ApiObject> {
  const form = new URLSearchParams({ Action: action, Version: SERVICES[service] });
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) form.set(name, String(value));
  }
  return send('rpc', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...csrfHeader() },
    body: form.toString(),
  });
}
