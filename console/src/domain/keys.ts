// AccessKeys and users as the pages use them, read from the RAM and IMS answers.
import { rpc } from '../api/client';
import type { ApiObject, RpcParams } from '../api/client';
import { list, text } from '../api/values';

export interface KeyRow {
  readonly AccessKeyId: string;
  readonly Status: string;
  readonly CreateDate: string;
  readonly LastUsedDate: string;
  readonly LastUsedServiceName: string;
  readonly LastUsedSourceIp: string;
  readonly LeakRestricted: boolean;
}

export interface UserRow {
  readonly UserId: string;
  readonly UserName: string;
  readonly DisplayName: string;
  readonly CreateDate: string;
  readonly UpdateDate: string;
  readonly Comments: string;
}

/** Whose keys: a RAM user by name, or the signed-in principal's own (`undefined`: root's for the account). */
export type KeyOwnerName = string | undefined;

export function ownerParams(userName: KeyOwnerName): RpcParams {
  return userName === undefined ? {} : { UserName: userName };
}

/** IMS names a user by logon name: `name@<accountId>.onaliyun.com`. */
export function principalName(userName: string, accountId: string): string {
  return `${userName}@${accountId}.onaliyun.com`;
}

export function imsOwnerParams(userName: KeyOwnerName, accountId: string): RpcParams {
  return userName === undefined ? {} : { UserPrincipalName: principalName(userName, accountId) };
}

function keyRow(item: ApiObject): KeyRow {
  return {
    AccessKeyId: text(item.AccessKeyId),
    Status: text(item.Status),
    CreateDate: text(item.CreateDate),
    LastUsedDate: text(item.LastUsedDate),
    LastUsedServiceName: text(item.LastUsedServiceName),
    LastUsedSourceIp: text(item.LastUsedSourceIp),
    LeakRestricted: item.LeakRestricted === true,
  };
}

export function userRow(item: ApiObject): UserRow {
  return {
    UserId: text(item.UserId),
    UserName: text(item.UserName),
    DisplayName: text(item.DisplayName),
    CreateDate: text(item.CreateDate),
    UpdateDate: text(item.UpdateDate),
    Comments: text(item.Comments),
  };
}

export async function listKeys(userName: KeyOwnerName): Promise<KeyRow[]> {
  const body = await rpc('ram', 'ListAccessKeys', ownerParams(userName));
  return list(body, 'AccessKeys', 'AccessKey').map(keyRow);
}

/** Every user of the account, page by page (ListUsers answers at most 1,000 at a time). */
export async function listAllUsers(): Promise<UserRow[]> {
  const users: UserRow[] = [];
  let marker: string | undefined;
  do {
    const body = await rpc('ram', 'ListUsers', { MaxItems: 1000, Marker: marker });
    users.push(...list(body, 'Users', 'User').map(userRow));
    marker = body.IsTruncated === true ? text(body.Marker) : undefined;
  } while (marker !== undefined && marker !== '');
  return users;
}

/**
 * `run` over `items`, a few at a time: the pages that look at every user's keys make one call per user,
 * which should not all be in flight at once.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  run: (item: T) => Promise<R>,
  limit = 4,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Whole days from now until `date` (0 once it has passed), for recycle bin entries. */
export function daysLeft(date: string, now: number = Date.now()): number {
  const ms = Date.parse(date) - now;
  return Number.isFinite(ms) ? Math.max(0, Math.ceil(ms / 86_400_000)) : 0;
}
