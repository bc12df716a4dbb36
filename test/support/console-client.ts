// ConsoleClient: what the console page does over HTTP (sign in, keep the cookie, send the CSRF
// token, call actions through /console/api/rpc), with fetch, for API-level tests of the console.

export interface ConsoleAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export class ConsoleClient {
  cookie: string | undefined;
  csrf: string | undefined;
  /** The MFA ticket cookie (`ramkey_mfa_ticket=...`), kept and sent to the sign-in endpoint as a browser would. */
  mfaTicket: string | undefined;

  /**
   * The browser's address as a proxy in front of Ramkey reports it (X-Forwarded-For, which counts
   * only when the server trusts the proxy); none when undefined.
   */
  forwardedFor: string | undefined;

  constructor(private readonly endpoint: string) {}

  get origin(): string {
    return `http://${this.endpoint}`;
  }

  async request(path: string, init: RequestInit = {}): Promise<ConsoleAnswer> {
    const headers = new Headers(init.headers);
    const cookies = [this.cookie, path === '/console/api/signin' ? this.mfaTicket : undefined];
    const cookie = cookies.filter((c) => c !== undefined).join('; ');
    if (cookie !== '' && !headers.has('cookie')) headers.set('cookie', cookie);
    if (this.forwardedFor !== undefined) headers.set('x-forwarded-for', this.forwardedFor);
    const response = await fetch(`${this.origin}${path}`, { ...init, headers, redirect: 'manual' });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      headers: response.headers,
    };
  }

  /**
   * Signs in; on success keeps the cookie and the CSRF token as the page would, and the MFA ticket
   * cookie as the browser would (dropped when the server clears it).
   */
  async signIn(
    loginName: string,
    password: string,
    mfaCode?: string,
    options: { rememberMfa?: boolean } = {},
  ): Promise<ConsoleAnswer> {
    const answer = await this.request('/console/api/signin', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: this.origin },
      body: JSON.stringify({
        LoginName: loginName,
        Password: password,
        ...(mfaCode && { MFACode: mfaCode }),
        ...(options.rememberMfa !== undefined && { RememberMFA: options.rememberMfa }),
      }),
    });
    for (const setCookie of answer.headers.getSetCookie()) {
      const pair = setCookie.split(';')[0] ?? '';
      const cleared = /; Max-Age=0(;|$)/.test(setCookie);
      if (pair.startsWith('ramkey_console=') && answer.status === 200) {
        this.cookie = pair;
        this.csrf = (answer.body.Session as { CsrfToken: string }).CsrfToken;
      } else if (pair.startsWith('ramkey_mfa_ticket=')) {
        this.mfaTicket = cleared ? undefined : pair;
      }
    }
    return answer;
  }

  session(): Promise<ConsoleAnswer> {
    return this.request('/console/api/session');
  }

  /** Calls an action as the signed-in principal. */
  rpc(
    action: string,
    version: string,
    params: Record<string, string> = {},
    options: { csrf?: string | null; origin?: string } = {},
  ): Promise<ConsoleAnswer> {
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      origin: options.origin ?? this.origin,
    };
    const csrf = options.csrf === undefined ? this.csrf : options.csrf;
    if (csrf !== null && csrf !== undefined) headers['x-ramkey-csrf'] = csrf;
    return this.request('/console/api/rpc', {
      method: 'POST',
      headers,
      body: new URLSearchParams({ Action: action, Version: version, ...params }).toString(),
    });
  }

  signOut(): Promise<ConsoleAnswer> {
    return this.request('/console/api/signout', {
      method: 'POST',
      headers: { origin: this.origin, ...(this.csrf !== undefined && { 'x-ramkey-csrf': this.csrf }) },
    });
  }
}

export const RAM = '2015-05-01';
export const IMS = '2019-08-15';
export const ACTIONTRAIL = '2020-07-06';
