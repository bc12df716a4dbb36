// Used nonces on SQLite: appended to a journal per batch, merged into the `nonces` table in sorted
// chunks.
//
// Why not insert each batch into `nonces` directly: its key (expiry, fingerprint) is random within
// the current second, so a batch of n nonces dirties about n different pages of it, and a SQLite
// commit writes every dirty page to the WAL whole (4 KB each). Profiled under the bench's load that
// cost ~20 us of server CPU per signed call (a 10-nonce commit took ~230 us). The journal is a rowid
// table: a batch appends to its last page, one or two pages per commit. Its rows are merged into
// `nonces` a few thousand at a time, sorted, so each page of `nonces` is written once per merge
// rather than once per batch.
//
// A replay check must see the journal too. Each process keeps in memory the journal rows it has seen
// (its own, and other processes' read at the start of each batch, inside the batch's write
// transaction, so two processes on one file still never both record a nonce), and looks up
// `nonces` for the rest. Memory: the journal's rows, a few thousand.
import { Buffer } from 'node:buffer';
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { NonceRecord, UsedNonceStore } from '../store.js';
import { lazy } from './lazy.js';

export interface SqliteNonceJournalOptions {
  /** Journal rows that start a merge (default 2,000). */
  mergeAt?: number;
  /** Rows per merge transaction (default 2,000): bounds how long one holds the event loop (~5 ms). */
  mergeChunk?: number;
}

interface JournalRow {
  id: number;
  expires_at: number;
  fingerprint: Buffer;
}

const identity = (expiresAt: number, fingerprint: string): string => `${String(expiresAt)}:${fingerprint}`;

export function sqliteNonceStore(
  db: Kysely<Database>,
  raw: BetterSqlite3.Database,
  options: SqliteNonceJournalOptions = {},
): UsedNonceStore {
  const mergeAt = options.mergeAt ?? 2000;
  const mergeChunk = options.mergeChunk ?? 2000;
  /** Journal rows this process has seen and not yet seen merged, by identity, in id order. */
  const seen = new Map<string, number>();
  /** The highest journal id this process has seen: the next batch reads only what comes after. */
  let lastId = 0;
  /** The lowest journal id not yet merged, as far as this process knows. */
  let firstId = 1;
  let merging: Promise<void> | undefined;

  const statements = lazy(() => ({
    begin: raw.prepare('begin immediate'),
    commit: raw.prepare('commit'),
    rollback: raw.prepare('rollback'),
    after: raw.prepare<[number], JournalRow>(
      'select id, expires_at, fingerprint from nonce_journal where id > ? order by id',
    ),
    first: raw.prepare<[], { id: number | null }>('select min(id) as id from nonce_journal'),
    known: raw
      .prepare<[number, Buffer]>('select 1 from nonces where expires_at = ? and fingerprint = ?')
      .pluck(),
    append: raw.prepare<[number, Buffer]>(
      'insert into nonce_journal (expires_at, fingerprint) values (?, ?)',
    ),
    mergeUpTo: raw.prepare<[number]>('select id from nonce_journal order by id limit 1 offset ?').pluck(),
    newest: raw.prepare<[]>('select max(id) from nonce_journal').pluck(),
    merge: raw.prepare<[number]>(
      `insert into nonces (expires_at, fingerprint)
       select expires_at, fingerprint from nonce_journal where id <= ? order by expires_at, fingerprint
       on conflict do nothing`,
    ),
    dropMerged: raw.prepare<[number]>('delete from nonce_journal where id <= ?'),
  }));

  /** Runs `work` in one write transaction, holding SQLite's write lock across processes. */
  function inWriteTransaction<T>(work: () => T): T {
    const s = statements();
    s.begin.run();
    try {
      const result = work();
      s.commit.run();
      return result;
    } catch (error) {
      if (raw.inTransaction) s.rollback.run();
      throw error;
    }
  }

  /** Takes in what other processes appended since this one last looked, and forgets what was merged. */
  function catchUp(): void {
    const s = statements();
    for (const row of s.after.iterate(lastId)) {
      seen.set(identity(row.expires_at, row.fingerprint.toString('hex')), row.id);
      lastId = row.id;
    }
    if (seen.size > mergeAt) firstId = s.first.get()?.id ?? lastId + 1;
    forgetBefore(firstId);
  }

  function forgetBefore(id: number): void {
    for (const [key, rowId] of seen) {
      if (rowId >= id) break;
      seen.delete(key);
    }
  }

  function record(nonces: readonly NonceRecord[]): boolean[] {
    const s = statements();
    const added: string[] = [];
    let caughtUp = lastId;
    try {
      return inWriteTransaction(() => {
        catchUp();
        caughtUp = lastId;
        return nonces.map((n) => {
          const key = identity(n.expiresAt, n.fingerprint);
          if (seen.has(key)) return false;
          const fingerprint = Buffer.from(n.fingerprint, 'hex');
          if (s.known.get(n.expiresAt, fingerprint) !== undefined) return false;
          lastId = Number(s.append.run(n.expiresAt, fingerprint).lastInsertRowid);
          seen.set(key, lastId);
          added.push(key);
          return true;
        });
      });
    } catch (error) {
      // Rolled back: this batch's rows do not exist, and their ids may be given out again.
      for (const key of added) seen.delete(key);
      lastId = caughtUp;
      throw error;
    }
  }

  /** Merges up to `mergeChunk` journal rows into `nonces`; answers false when nothing was left. */
  function mergeOnce(): boolean {
    const s = statements();
    return inWriteTransaction(() => {
      const upTo =
        (s.mergeUpTo.get(mergeChunk - 1) as number | undefined) ?? (s.newest.get() as number | null);
      if (upTo === null) return false;
      s.merge.run(upTo);
      s.dropMerged.run(upTo);
      firstId = upTo + 1;
      forgetBefore(firstId);
      return true;
    });
  }

  /**
   * Merges chunk by chunk, each in its own turn of the event loop: `whole` merges everything (the
   * purge's turn), otherwise it stops once the journal is below `mergeAt`.
   */
  function merge(whole: boolean): Promise<void> {
    merging ??= (async () => {
      try {
        for (;;) {
          if (!whole && lastId - firstId + 1 < mergeAt) return;
          const more = await db.connection().execute(() => Promise.resolve(mergeOnce()));
          if (!more) return;
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        merging = undefined;
      }
    })();
    return merging;
  }

  return {
    recordNonces(nonces) {
      if (nonces.length === 0) return Promise.resolve([]);
      // Kysely's SQLite driver lends its one connection to one user at a time: holding it keeps this
      // transaction out of any the store has open (it would otherwise join it, and share its fate).
      return db
        .connection()
        .execute(() => Promise.resolve(record(nonces)))
        .then((fresh) => {
          if (merging === undefined && lastId - firstId + 1 >= mergeAt) {
            // A merge error surfaces on the next batch or purge; the journal just stays longer.
            merge(false).catch(() => undefined);
          }
          return fresh;
        });
    },

    async purgeNonces(before, limit) {
      // Expired rows still in the journal are merged first, so the purge sees every record.
      await (merging ?? Promise.resolve());
      await merge(true);
      const deleted = await db.connection().execute(() =>
        Promise.resolve(
          raw
            .prepare<[number, number]>(
              `delete from nonces where (expires_at, fingerprint) in (
                 select expires_at, fingerprint from nonces where expires_at < ? order by expires_at limit ?)`,
            )
            .run(before, limit).changes,
        ),
      );
      return deleted;
    },
  };
}
