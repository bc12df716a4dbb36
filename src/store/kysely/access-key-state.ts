// The AccessKey lifecycle in SQL: the one definition of "live" (and of "in the recycle bin", and of
// "still holds its secret") that every query showing, counting or changing keys uses, so that a state
// cannot slip past one of them.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { AccessKeyState } from '../records.js';

const LIVE: AccessKeyState = 'live';
const RECYCLED: AccessKeyState = 'recycled';
const PURGED: AccessKeyState = 'purged';

/** The state a key is written in at creation. */
export const INITIAL_KEY_STATE = LIVE;
/** The state DeleteAccessKey (and DeleteUser, for the user's keys) moves a live key to. */
export const RECYCLED_KEY_STATE = RECYCLED;
/** The state a key ends in, for good: its sealed secret erased. */
export const PURGED_KEY_STATE = PURGED;

/** True for a live key; `table` is the name or alias the query gives access_keys. */
export function isLiveKey(table = 'access_keys'): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.ref(`${table}.state`)} = ${LIVE}`;
}

/** True for a key in the recycle bin (due for purging or not). */
export function isRecycledKey(table = 'access_keys'): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.ref(`${table}.state`)} = ${RECYCLED}`;
}

/**
 * True for a key that still holds its sealed secret: a live one, or one in the recycle bin (it may
 * come back). Only a purged key's secret is gone.
 */
export function holdsSecret(table = 'access_keys'): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.ref(`${table}.state`)} <> ${PURGED}`;
}

const STATES: ReadonlySet<string> = new Set<AccessKeyState>([LIVE, RECYCLED, PURGED]);

/** Reads a state column; anything else is a broken database, not a key to guess about. */
export function toAccessKeyState(value: string): AccessKeyState {
  if (!STATES.has(value)) throw new Error('access key row with an unknown state');
  return value as AccessKeyState;
}
