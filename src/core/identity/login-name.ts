// Console login names: the account's root identity signs in as `root@<accountId>`, a RAM user as
// `<name>@<accountId>.onaliyun.com` (its UserPrincipalName). Anything else names nobody.
import { ACCESS_KEY_ID_PREFIX, ACCESS_KEY_SECRET_LENGTH, isAccountId } from '../keys/key-id.js';

export type LoginName =
  | { readonly kind: 'root'; readonly accountId: string }
  | { readonly kind: 'user'; readonly accountId: string; readonly userName: string };

/** Longest login name or password the sign-in form takes (a user name is at most 64, plus the domain). */
export const MAX_SIGNIN_FIELD_LENGTH = 128;

const USER_DOMAIN = /^([^@]+)@([^@.]+)\.onaliyun\.com$/i;
const ROOT = /^root@([^@.]+)$/i;

export function parseLoginName(text: string): LoginName | undefined {
  const name = text.trim();
  const root = ROOT.exec(name);
  if (root) {
    const accountId = root[1] ?? '';
    return isAccountId(accountId) ? { kind: 'root', accountId } : undefined;
  }
  const user = USER_DOMAIN.exec(name);
  if (!user) return undefined;
  const [, userName = '', accountId = ''] = user;
  return isAccountId(accountId) ? { kind: 'user', accountId, userName } : undefined;
}

/** The key of a login name's failure count: what it names, whatever the case it was typed in. */
export function loginKey(name: LoginName): string {
  return name.kind === 'root'
    ? `root@${name.accountId}`
    : `${name.userName.toLowerCase()}@${name.accountId}.onaliyun.com`;
}

const KEY_ID_SHAPE = new RegExp(`^${ACCESS_KEY_ID_PREFIX}[0-9A-Za-z]{8,}$`, 'i');
const SECRET_SHAPE = new RegExp(`^[0-9A-Za-z]{${String(ACCESS_KEY_SECRET_LENGTH)}}$`);

/**
 * Whether a login name typed into the sign-in form is an AccessKey ID (any key's: the `LTAI` shape,
 * not only one that exists) or has an AccessKey secret's shape (a login name never does). A
 * password is judged by the caller against the installation's secrets instead: a 30-character
 * password is legitimate, a password that IS a key's secret is not.
 */
export function looksLikeAccessKey(loginName: string): boolean {
  const text = loginName.trim();
  return KEY_ID_SHAPE.test(text) || SECRET_SHAPE.test(text);
}

/** Whether a password is an AccessKey ID. */
export function isAccessKeyIdShaped(text: string): boolean {
  return KEY_ID_SHAPE.test(text.trim());
}
