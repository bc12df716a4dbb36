// Principals: who is calling (the account's root identity or one of its RAM users).

export type Principal =
  { kind: 'root'; accountId: string } | { kind: 'user'; accountId: string; userId: string; userName: string };

/**
 * What authenticated a call: an AccessKey (by its ID), or a console session signed in with a
 * password (by the session's public ID, never its token).
 */
export interface Credential {
  readonly kind: 'AccessKey' | 'ConsoleSession';
  readonly id: string;
}

/** The principal a call acts as, plus the credential that authenticated it. */
export interface Caller {
  readonly principal: Principal;
  readonly credential: Credential;
}

/** RAM user logon names for IMS: `<name>@<accountId>.onaliyun.com`. */
export function userPrincipalName(accountId: string, userName: string): string {
  return `${userName}@${accountId}.onaliyun.com`;
}

/** `acs:ram::<account>:root` or `acs:ram::<account>:user/<name>`, as STS GetCallerIdentity returns. */
export function principalArn(principal: Principal): string {
  return principal.kind === 'root'
    ? `acs:ram::${principal.accountId}:root`
    : `acs:ram::${principal.accountId}:user/${principal.userName}`;
}
