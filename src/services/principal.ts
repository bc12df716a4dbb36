// Principals: who is calling (the account's root identity or one of its RAM users).

export type Principal =
  { kind: 'root'; accountId: string } | { kind: 'user'; accountId: string; userId: string; userName: string };

/** The principal an AccessKey is for, plus the key that authenticated the call. */
export interface Caller {
  principal: Principal;
  accessKeyId: string;
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
