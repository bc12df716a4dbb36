// The store's hot writes on SQLite, on better-sqlite3 directly: used nonces (one per signed call)
// and audit events (one per call), as single-row prepared inserts inside one transaction.
//
// Kysely's way, one multi-row INSERT per batch, costs SQLite more per row than the rows themselves
// (measured with better-sqlite3 12 on the project's machines: a nonce 6-9 us as one row of a
// multi-row INSERT ... RETURNING, 2.5 us as its own prepared INSERT; an audit event 9.8 us against
// 7.5). A row's `changes` also says whether it went in, with no RETURNING to match up.
import { Buffer } from 'node:buffer';
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { EVENT_COLUMNS, toRow } from '../kysely/audit-queries.js';
import type { EngineWrites } from '../kysely/context.js';
import type { NonceRecord, UsedNonceStore } from '../store.js';

/** Prepares at first use: the tables exist only once the store has migrated. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

export function sqliteRecordNonces(
  db: Kysely<Database>,
  raw: BetterSqlite3.Database,
): UsedNonceStore['recordNonces'] {
  const insertBatch = lazy(() => {
    const insert = raw.prepare<[number, Buffer]>(
      'insert into nonces (expires_at, fingerprint) values (?, ?) on conflict do nothing',
    );
    // The same record twice in one batch: the second insert changes nothing, so it is the replay.
    return raw.transaction((nonces: readonly NonceRecord[]) =>
      nonces.map((n) => insert.run(n.expiresAt, Buffer.from(n.fingerprint, 'hex')).changes === 1),
    );
  });
  return (nonces) => {
    if (nonces.length === 0) return Promise.resolve([]);
    // Kysely's SQLite driver lends its one connection to one user at a time: holding it keeps this
    // transaction out of any the store has open (it would otherwise join it, and share its fate).
    return db.connection().execute(() => Promise.resolve(insertBatch()(nonces)));
  };
}

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
        const row = toRow(event);
        insert.run(EVENT_COLUMNS.map((column) => row[column]));
      }
    },
  };
}
