// The SQLite nonce journal: what the UsedNonceStore contract does not see (the journal, its merges,
// failed batches, several connections on one file), on real database files.
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSqliteTestStore, type SqliteTestStore } from '../../../test/support/test-stores.js';
import type { Database } from '../database.js';
import type { NonceRecord, UsedNonceStore } from '../store.js';
import { sqliteNonceStore, type SqliteNonceJournalOptions } from './sqlite-nonces.js';
import { openSqliteDatabase } from './sqlite-store.js';

const EXPIRY = 1_800_000_000_000;
const nonce = (expiresAt = EXPIRY): NonceRecord => ({
  fingerprint: randomBytes(16).toString('hex'),
  expiresAt,
});

interface Connection {
  nonces: UsedNonceStore;
  raw: BetterSqlite3.Database;
  db: Kysely<Database>;
}

describe('SQLite nonce journal', () => {
  let fixture: SqliteTestStore;
  const connections: Connection[] = [];

  /** Another connection to the same file, as another server process would have. */
  function connect(options: SqliteNonceJournalOptions = { mergeAt: 8, mergeChunk: 5 }): Connection {
    const raw = openSqliteDatabase({ file: fixture.file });
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
    const connection = { nonces: sqliteNonceStore(db, raw, options), raw, db };
    connections.push(connection);
    return connection;
  }

  const count = (raw: BetterSqlite3.Database, table: 'nonces' | 'nonce_journal'): number =>
    raw.prepare(`select count(*) from ${table}`).pluck().get() as number;

  /** Lets the merges started in the background run to their end. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  beforeEach(async () => {
    fixture = await makeSqliteTestStore();
  });

  afterEach(async () => {
    for (const c of connections.splice(0)) await c.db.destroy();
    await fixture.cleanup();
  });

  it('appends to the journal, merges it in chunks once it reaches mergeAt, and refuses replays throughout', async () => {
    const a = connect();
    const recorded: NonceRecord[] = [];
    for (let batch = 0; batch < 12; batch++) {
      const fresh = [nonce(), nonce(EXPIRY + batch)];
      const replays = recorded.slice(-3);
      expect(await a.nonces.recordNonces([...fresh, ...replays])).toEqual([
        true,
        true,
        ...replays.map(() => false),
      ]);
      recorded.push(...fresh);
      await settle();
      // Merged down below mergeAt after each batch; everything recorded is in one table or the other.
      expect(count(a.raw, 'nonce_journal')).toBeLessThan(8);
      expect(count(a.raw, 'nonce_journal') + count(a.raw, 'nonces')).toBe(recorded.length);
    }
    expect(count(a.raw, 'nonces')).toBeGreaterThan(0);
    // Every one of them, merged or still in the journal, is a replay now.
    expect(await a.nonces.recordNonces(recorded)).toEqual(recorded.map(() => false));
  });

  it('refuses replays after a restart, from the journal and from the merged table', async () => {
    const first = connect({ mergeAt: 4, mergeChunk: 4 });
    const merged = [nonce(), nonce(), nonce(), nonce()];
    expect(await first.nonces.recordNonces(merged)).toEqual([true, true, true, true]);
    await settle();
    const journaled = [nonce(), nonce()];
    expect(await first.nonces.recordNonces(journaled)).toEqual([true, true]);
    expect(count(first.raw, 'nonces')).toBe(4);
    expect(count(first.raw, 'nonce_journal')).toBe(2);
    await first.db.destroy();
    connections.splice(0);

    const second = connect();
    expect(await second.nonces.recordNonces([...merged, ...journaled, nonce()])).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('never records a nonce on two connections to one file, before or after either merges', async () => {
    const a = connect();
    const b = connect();
    const shared = Array.from({ length: 30 }, () => nonce());
    const results = await Promise.all([
      a.nonces.recordNonces(shared.slice(0, 20)),
      b.nonces.recordNonces(shared.slice(10)),
    ]);
    // Each of the 10 nonces both were given went in on exactly one connection.
    for (let i = 10; i < 20; i++) {
      expect([results[0][i], results[1][i - 10]].filter(Boolean)).toHaveLength(1);
    }
    await settle();
    // a's rows (merged or not) are replays on b, and b's on a.
    expect(await b.nonces.recordNonces(shared.slice(0, 10))).toEqual(Array(10).fill(false));
    expect(await a.nonces.recordNonces(shared.slice(20))).toEqual(Array(10).fill(false));
    for (let i = 0; i < 10; i++) {
      const n = nonce();
      expect(await a.nonces.recordNonces([n])).toEqual([true]);
      expect(await b.nonces.recordNonces([n])).toEqual([false]);
      await settle();
    }
  });

  it('remembers nothing of a batch that failed, and records its nonces when they come again', async () => {
    const a = connect();
    const ok = nonce();
    const poisoned = nonce(42);
    // A trigger makes the second row's insert fail: the batch's transaction rolls back.
    const setup = openSqliteDatabase({ file: fixture.file });
    setup.exec(`create trigger refuse before insert on nonce_journal when new.expires_at = 42
                begin select raise(abort, 'refused for the test'); end`);
    await expect(a.nonces.recordNonces([ok, poisoned])).rejects.toThrow('refused for the test');
    expect(count(a.raw, 'nonce_journal')).toBe(0);
    setup.exec('drop trigger refuse');
    setup.close();
    expect(await a.nonces.recordNonces([ok, poisoned])).toEqual([true, true]);
    expect(await a.nonces.recordNonces([ok, poisoned])).toEqual([false, false]);
  });

  it('merges the whole journal before a purge, so the purge sees every expired record', async () => {
    const a = connect({ mergeAt: 1000, mergeChunk: 3 });
    const old = Array.from({ length: 7 }, (_, i) => nonce(1000 + i));
    expect(await a.nonces.recordNonces(old)).toEqual(Array(7).fill(true));
    expect(count(a.raw, 'nonce_journal')).toBe(7);
    expect(await a.nonces.purgeNonces(2000, 100)).toBe(7);
    expect(count(a.raw, 'nonce_journal') + count(a.raw, 'nonces')).toBe(0);
    // Forgotten once purged (freshness refuses requests that old before they get here).
    expect(await a.nonces.recordNonces([old[0] as NonceRecord])).toEqual([true]);
  });
});
