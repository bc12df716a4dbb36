// Principals: who is calling (the account's root identity or one of its RAM users).

export type Principal =
  { kind: 'root'; accountId: string } | { kind: 'user'; accountId: string; userId: string; userName: string };

/**
 * What authenticated a call: a kind plus an ID. AccessKeys today; a console session will be a second
 * kind through the same gate.
 */
export interface Credential {
  readonly kind: 'AccessKey';
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
