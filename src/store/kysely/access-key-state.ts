// The AccessKey lifecycle in SQL: the one definition of "live" that every query showing, counting or
// changing live keys uses, so that a new state (the recycle bin's) cannot slip past one of them.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { AccessKeyState } from '../records.js';

const LIVE: AccessKeyState = 'live';

/** The state a key is written in at creation. */
export const INITIAL_KEY_STATE = LIVE;

/** True for a live key; `table` is the name or alias the query gives access_keys. */
export function isLiveKey(table = 'access_keys'): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.ref(`${table}.state`)} = ${LIVE}`;
}

const STATES: ReadonlySet<string> = new Set<AccessKeyState>(['live', 'recycled', 'purged']);

/** Reads a state column; anything else is a broken database, not a key to guess about. */
export function toAccessKeyState(value: string): AccessKeyState {
  if (!STATES.has(value)) throw new Error('access key row with an unknown state');
  return value as AccessKeyState;
}
