// The store's hot writes on SQLite, on better-sqlite3 directly: audit events (one per call), as
// single-row prepared inserts inside the transaction (used nonces: see sqlite-nonces.ts).
//
// Kysely's way, one multi-row INSERT per batch, costs SQLite more per row than the rows themselves
// (measured with better-sqlite3 12 on the project's machines: an audit event 9.8 us as one row of a
// multi-row INSERT against 7.5 us as its own prepared INSERT).
import type BetterSqlite3 from 'better-sqlite3';
import { EVENT_COLUMNS, toRow } from '../kysely/audit-queries.js';
import type { EngineWrites } from '../kysely/context.js';
import { lazy } from './lazy.js';

/** Writes the Kysely store runs inside its own transactions (see EngineWrites). */
export function sqliteEngineWrites(raw: BetterSqlite3.Database): EngineWrites {
  const insertEvent = lazy(() =>
    raw.prepare(
      `insert into audit_events (${EVENT_COLUMNS.join(', ')})
       values (${EVENT_COLUMNS.map(() => '?').join(', ')})
       on conflict (event_id) do nothing`,
    ),
  );
  return {
    appendAuditEvents(events) {
      const insert = insertEvent();
      for (const event of events) {
        // A row's values in EVENT_COLUMNS order: toRow always lists its fields in that order.
        insert.run(Object.values(toRow(event)));
      }
    },
  };
}
