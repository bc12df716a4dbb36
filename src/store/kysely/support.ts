// The small pieces several Kysely aggregates share: name keys, argument checks, paging, and the
// mapping of rows to records.
import type { Selectable, SqlBool } from 'kysely';
import type { AccessKeysTable, GroupsTable, UsersTable } from '../database.js';
import { asciiLower } from '../../core/ascii-case.js';
import { decodeListMarker, encodeListMarker } from '../../core/list-marker.js';
import type { AccessKeyStatus, AccessKeySummary, GroupRecord, Page, UserRecord } from '../records.js';

/**
 * The stored form of a user name that makes names unique case-insensitively, as RAM's are: in ASCII
 * only, as policies match them (names are ASCII anyway; this keeps the two from ever disagreeing).
 */
export function toUserNameKey(userName: string): string {
  return asciiLower(userName);
}

/** Group names are unique and found case-insensitively, like user names. */
export function toGroupNameKey(groupName: string): string {
  return asciiLower(groupName);
}

/** Policy names too: no two policies of an account differ only in case. */
export function toPolicyNameKey(policyName: string): string {
  return asciiLower(policyName);
}

export function checkLimit(method: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${method}: ${name} must be an integer >= 0`);
  }
}

export function checkPageLimit(method: string, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`${method}: limit must be >= 1`);
}

/** The sort key a list marker stands for; undefined for no marker or an empty one (the start). */
export function markerKey(after: string | undefined): string | undefined {
  return after === undefined || after === '' ? undefined : decodeListMarker(after);
}

/** A page from `limit + 1` rows ordered by `sortKey`: the extra row only tells that more follow. */
export function toPage<Row, T>(
  rows: Row[],
  limit: number,
  sortKey: (row: Row) => string,
  map: (row: Row) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const page: Page<T> = { items: items.map(map) };
  if (rows.length > limit && last !== undefined) page.nextMarker = encodeListMarker(sortKey(last));
  return page;
}

/** EXISTS answers true/false on PostgreSQL and 1/0 on SQLite. */
export function isTrue(value: SqlBool): boolean {
  return value === true || value === 1;
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function toUser(row: Selectable<UsersTable>): UserRecord {
  return {
    accountId: row.account_id,
    userId: row.user_id,
    userName: row.user_name,
    displayName: row.display_name,
    email: row.email,
    mobilePhone: row.mobile_phone,
    comments: row.comments,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toGroup(row: Selectable<GroupsTable>): GroupRecord {
  return {
    accountId: row.account_id,
    groupId: row.group_id,
    groupName: row.group_name,
    comments: row.comments,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A key row without its sealed secret and state, as the credential report reads it. */
export function toAccessKeySummary(
  row: Pick<
    Selectable<AccessKeysTable>,
    | 'access_key_id'
    | 'account_id'
    | 'user_id'
    | 'status'
    | 'created_at'
    | 'updated_at'
    | 'last_used_at'
    | 'last_used_service'
    | 'last_used_ip'
    | 'deleted_at'
  >,
): AccessKeySummary {
  return {
    accessKeyId: row.access_key_id,
    accountId: row.account_id,
    userId: row.user_id,
    status: row.status as AccessKeyStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastUsedAt: row.last_used_at,
    lastUsedService: row.last_used_service,
    lastUsedIp: row.last_used_ip,
    deletedAt: row.deleted_at,
  };
}
