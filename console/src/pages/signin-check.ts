// The sign-in form refuses AccessKeys before they leave the browser: an AccessKey ID or secret typed in as a
// login name or password would otherwise travel to the server (and maybe a proxy's log). The server refuses
// them too (InvalidParameter.SigninWithAccessKey); this is the same rule, said the same way.

export const SIGNIN_WITH_ACCESS_KEY_MESSAGE =
  'AccessKeys are for programs, not for signing in: sign in with your login name and console password, and keep the AccessKey secret out of forms.';

/** `LTAI` (in any case) and base62: the shape of an AccessKey ID, Ramkey's (24 characters) or a look-alike. */
const ACCESS_KEY_ID = /^LTAI[0-9A-Za-z]{8,}$/i;
/** 30 base62 characters: the shape of an AccessKey secret. */
const ACCESS_KEY_SECRET = /^[0-9A-Za-z]{30}$/;

/**
 * True when the form holds an AccessKey: a login name shaped like an ID or a secret (a login name always has
 * an @), or a password that is an ID. A password that merely has a secret's shape is left to the server,
 * which can tell whether it is one.
 */
export function looksLikeAccessKey(loginName: string, password: string): boolean {
  const name = loginName.trim();
  return ACCESS_KEY_ID.test(name) || ACCESS_KEY_SECRET.test(name) || ACCESS_KEY_ID.test(password.trim());
}
