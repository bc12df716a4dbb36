// The used nonces aggregate on Kysely: one multi-row insert records a batch, a bounded delete purges.
import { Buffer } from 'node:buffer';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { NonceRecord, UsedNonceStore } from '../store.js';
import type { StoreContext } from './context.js';

const identity = (n: NonceRecord): string => `${String(n.expiresAt)}:${n.fingerprint}`;

/** Expiry, then fingerprint: the primary key's order. */
const byKey = (a: NonceRecord, b: NonceRecord): number =>
  a.expiresAt - b.expiresAt || (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0);

/**
 * The batch insert's SQL by row count, compiled once: building it with the query builder on every
 * batch cost more than a small batch's rows, and a fixed text per size lets the driver reuse its
 * prepared statement.
 */
function insertText(db: Kysely<Database>, texts: Map<number, string>, rows: number): string {
  let text = texts.get(rows);
  if (text === undefined) {
    const placeholder = { expires_at: 0, fingerprint: Buffer.alloc(16) };
    text = db
      .insertInto('nonces')
      .values(Array.from({ length: rows }, () => placeholder))
      .onConflict((oc) => oc.columns(['expires_at', 'fingerprint']).doNothing())
      .returning(['expires_at', 'fingerprint'])
      .compile().sql;
    texts.set(rows, text);
  }
  return text;
}

export function kyselyNonceStore(ctx: StoreContext): UsedNonceStore {
  const { db } = ctx;
  const texts = new Map<number, string>();
  return {
    async recordNonces(nonces) {
      if (nonces.length === 0) return [];
      // The same record twice in one statement could not be told apart in RETURNING: only the first
      // of each goes in, the others are replays of it.
      const first = new Map<string, number>();
      const ids = nonces.map((n, i) => {
        const id = identity(n);
        if (!first.has(id)) first.set(id, i);
        return id;
      });
      // Rows in key order: two concurrent statements on PostgreSQL then wait on shared keys in the
      // same order and never deadlock (say, a replay racing its original in another batch).
      const rows = [...first.values()].map((i) => nonces[i] as NonceRecord).sort(byKey);
      const params: unknown[] = [];
      for (const n of rows) params.push(n.expiresAt, Buffer.from(n.fingerprint, 'hex'));
      // Padded to a power of two by repeating the last row, which the statement then skips as a
      // conflict with itself: a handful of SQL texts (and prepared statements) serve every size.
      const size = 2 ** Math.ceil(Math.log2(rows.length));
      const last = params.slice(-2);
      while (params.length < size * 2) params.push(...last);
      // One autocommitted statement, outside StoreContext.write: it is the gate's bookkeeping, never
      // a change a request's audit event should ride on. ON CONFLICT DO NOTHING RETURNING answers
      // exactly the rows this statement inserted (SQLite >= 3.35, PostgreSQL); on PostgreSQL a
      // conflicting row another transaction is inserting is waited for, then counted as there.
      const { rows: inserted } = await db.executeQuery<{ expires_at: number | string; fingerprint: Buffer }>(
        CompiledQuery.raw(insertText(db, texts, size), params),
      );
      const fresh = new Set(inserted.map((r) => `${String(r.expires_at)}:${r.fingerprint.toString('hex')}`));
      return ids.map((id, i) => first.get(id) === i && fresh.has(id));
    },

    // Every process shares the table (and PostgreSQL's row locks): nothing to claim.
    claimNonces() {
      return Promise.resolve();
    },

    async purgeNonces(before, limit) {
      // Earliest first, at most `limit` rows per statement: a short write lock on SQLite, a short
      // transaction on PostgreSQL, however far behind the purge is.
      const result = await sql`
        delete from nonces where (expires_at, fingerprint) in (
          select expires_at, fingerprint from nonces where expires_at < ${before}
          order by expires_at limit ${limit})`.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },
  };
}
