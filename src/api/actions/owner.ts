// Resolving whose AccessKeys an action addresses: a named user of the caller's account, or the caller.
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { KeyOwner } from '../../services/access-key-service.js';
import type { Caller } from '../../services/principal.js';
import type { Ramkey } from '../../services/ramkey.js';

/** The caller's own keys: root's for the root identity, the user's own for a RAM user. */
export function callerAsOwner(caller: Caller): KeyOwner {
  const p = caller.principal;
  return { accountId: p.accountId, userId: p.kind === 'root' ? null : p.userId };
}

/** The named user's keys, within the caller's account only. */
export async function userAsOwner(ramkey: Ramkey, caller: Caller, userName: string): Promise<KeyOwner> {
  const user = await ramkey.identity.getUser(caller.principal.accountId, userName);
  return { accountId: user.accountId, userId: user.userId };
}

/** IMS addresses users by logon name; another account's domain answers like a missing user. */
export async function principalNameAsOwner(
  ramkey: Ramkey,
  caller: Caller,
  upn: { userName: string; accountId: string },
): Promise<KeyOwner> {
  if (upn.accountId !== caller.principal.accountId) throw new RamkeyError('EntityNotExist.User');
  return userAsOwner(ramkey, caller, upn.userName);
}

/** UserAccessKeyId values longer or stranger than any ID are refused before any lookup. */
export function parseUserAccessKeyId(value: string): string {
  if (value.length > 64 || !/^[A-Za-z0-9.]+$/.test(value)) {
    throw new RamkeyError('InvalidParameter.UserAccessKeyId.Format');
  }
  return value;
}

export function parseStatus(value: string): 'Active' | 'Inactive' {
  if (value !== 'Active' && value !== 'Inactive') throw new RamkeyError('InvalidParameter.Status');
  return value;
}
