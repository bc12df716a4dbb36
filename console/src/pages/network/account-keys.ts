// Every AccessKey the signed-in principal can list, with its owner: the root's own (when the account
// itself is signed in) and each RAM user's. The network policy and alert pages look across all of them.
import { rpc } from '../../api/client';
import type { ApiObject } from '../../api/client';
import { list, text } from '../../api/values';
import { listAllUsers, mapLimited, ownerParams } from '../../domain/keys';

export interface AccountKey {
  readonly AccessKeyId: string;
  readonly Status: string;
  readonly CreateDate: string;
  readonly LastUsedDate: string;
  readonly LastUsedSourceIp: string;
  readonly LeakRestricted: boolean;
  readonly LeakRestrictedDate: string;
  readonly LeakRestrictionReason: string;
  readonly LeakRestrictionReporter: string;
  /** The RAM user's name; undefined for a root key. */
  readonly userName: string | undefined;
}

function accountKey(item: ApiObject, userName: string | undefined): AccountKey {
  return {
    AccessKeyId: text(item.AccessKeyId),
    Status: text(item.Status),
    CreateDate: text(item.CreateDate),
    LastUsedDate: text(item.LastUsedDate),
    LastUsedSourceIp: text(item.LastUsedSourceIp),
    LeakRestricted: item.LeakRestricted === true,
    LeakRestrictedDate: text(item.LeakRestrictedDate),
    LeakRestrictionReason: text(item.LeakRestrictionReason),
    LeakRestrictionReporter: text(item.LeakRestrictionReporter),
    userName,
  };
}

/** The keys of one owner (a RAM user, or undefined: the signed-in principal's own). */
export async function keysOf(userName: string | undefined): Promise<AccountKey[]> {
  const body = await rpc('ram', 'ListAccessKeys', ownerParams(userName));
  return list(body, 'AccessKeys', 'AccessKey').map((k) => accountKey(k, userName));
}

/** Every key of the account: the root's only when the account itself is signed in (no one else sees them). */
export async function accountKeys(isRoot: boolean): Promise<AccountKey[]> {
  const users = await listAllUsers();
  const owners = [...(isRoot ? [undefined] : []), ...users.map((u) => u.UserName)];
  return (await mapLimited(owners, keysOf)).flat();
}

/** `root` or the user's name, for tables. */
export function ownerLabel(key: { userName: string | undefined }): string {
  return key.userName ?? 'root';
}
