// The SQLite nonce journal: what the UsedNonceStore contract does not see (journal files, merges, the
// one-process lock, recovery after a crash), on real database files.
import { randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSqliteTestStore, type SqliteTestStore } from '../../../test/support/test-stores.js';
import type { Database } from '../database.js';
import type { NonceRecord } from '../store.js';
import { NonceJournalBusyError, sqliteNonceStore } from './sqlite-nonces.js';
import { openSqliteDatabase } from './sqlite-store.js';

const EXPIRY = 1_800_000_000_000;
const nonce = (expiresAt = EXPIRY): NonceRecord => ({
  fingerprint: randomBytes(16).toString('hex'),
  expiresAt,
});

interface Server {
  nonces: ReturnType<typeof sqliteNonceStore>;
  raw: BetterSqlite3.Database;
  db: Kysely<Database>;
}

describe('SQLite nonce journal', () => {
  let fixture: SqliteTestStore;
  const servers: Server[] = [];

  /** What a server process opens on the file: its own connection and nonce store. */
  function open(options: { mergeAt?: number; mergeChunk?: number; file?: string } = {}): Server {
    const file = options.file ?? fixture.file;
    const raw = openSqliteDatabase({ file });
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
    const nonces = sqliteNonceStore(db, raw, {
      file: file === ':memory:' ? undefined : file,
      mergeAt: options.mergeAt ?? 8,
      mergeChunk: options.mergeChunk ?? 3,
    });
    const server = { nonces, raw, db };
    servers.push(server);
    return server;
  }

  /** A process going away: the OS releases its lock; its journal files stay. */
  async function stop(server: Server): Promise<void> {
    server.nonces.closeNonces();
    await server.db.destroy();
    servers.splice(servers.indexOf(server), 1);
  }

  const merged = (server: Server): number =>
    server.raw.prepare('select count(*) from nonces').pluck().get() as number;
  const journalFiles = (): string[] =>
    readdirSync(dirname(fixture.file)).filter((name) => /-nonces\.\d+$/.test(name));

  /** Lets the merges started in the background run to their end. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 30; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  beforeEach(async () => {
    fixture = await makeSqliteTestStore();
  });

  afterEach(async () => {
    for (const server of [...servers]) await stop(server);
    await fixture.cleanup();
  });

  it('journals each batch, merges the journal once it reaches mergeAt, and refuses replays throughout', async () => {
    const server = open();
    const recorded: NonceRecord[] = [];
    for (let batch = 0; batch < 12; batch++) {
      const fresh = [nonce(), nonce(EXPIRY + batch)];
      const replays = recorded.slice(-3);
      expect(await server.nonces.recordNonces([...fresh, ...replays])).toEqual([
        true,
        true,
        ...replays.map(() => false),
      ]);
      recorded.push(...fresh);
      await settle();
      // Merged in whole journal files: what is not in `nonces` yet is in the one being appended to.
      expect(recorded.length - merged(server)).toBeLessThan(8);
      expect(journalFiles()).toHaveLength(1);
    }
    expect(merged(server)).toBeGreaterThanOrEqual(16);
    // Every one of them, merged or still in the journal, is a replay now.
    expect(await server.nonces.recordNonces(recorded)).toEqual(recorded.map(() => false));
  });

  it('after a crash, merges what the journal held before serving, and refuses those replays', async () => {
    const first = open({ mergeAt: 1000 });
    const journaled = [nonce(), nonce(), nonce()];
    expect(await first.nonces.recordNonces(journaled)).toEqual([true, true, true]);
    expect(merged(first)).toBe(0);
    await stop(first);
    // A write cut short by the crash: part of an entry at the journal's end.
    appendFileSync(join(dirname(fixture.file), journalFiles()[0] as string), randomBytes(10));

    const second = open();
    await second.nonces.claimNonces();
    expect(merged(second)).toBe(3);
    expect(journalFiles()).toEqual([`${basename(fixture.file)}-nonces.2`]);
    expect(await second.nonces.recordNonces([...journaled, nonce()])).toEqual([false, false, false, true]);
  });

  it('lets one process at a time record nonces on a database file', async () => {
    const first = open();
    await first.nonces.claimNonces();
    const second = open();
    await expect(second.nonces.claimNonces()).rejects.toBeInstanceOf(NonceJournalBusyError);
    await expect(second.nonces.recordNonces([nonce()])).rejects.toThrow(/another Ramkey server is using/);
    const n = nonce();
    expect(await first.nonces.recordNonces([n])).toEqual([true]);
    await stop(first);
    // Once the first has gone, the second takes over, with the first's journal.
    await second.nonces.claimNonces();
    expect(await second.nonces.recordNonces([n])).toEqual([false]);
  });

  it('merges the whole journal before a purge, so that the purge sees every expired record', async () => {
    const server = open({ mergeAt: 1000 });
    const old = Array.from({ length: 7 }, (_, i) => nonce(1000 + i));
    expect(await server.nonces.recordNonces(old)).toEqual(Array(7).fill(true));
    expect(merged(server)).toBe(0);
    expect(await server.nonces.purgeNonces(2000, 100)).toBe(7);
    expect(merged(server)).toBe(0);
    // Forgotten once purged (freshness refuses requests that old before they get here).
    expect(await server.nonces.recordNonces([old[0] as NonceRecord])).toEqual([true]);
  });

  it('works on an in-memory database, with no journal file', async () => {
    const server = open({ file: ':memory:' });
    server.raw.exec(
      'create table nonces (expires_at bigint not null, fingerprint blob not null, primary key (expires_at, fingerprint)) without rowid',
    );
    const all = Array.from({ length: 20 }, () => nonce());
    for (const n of all) expect(await server.nonces.recordNonces([n, n])).toEqual([true, false]);
    await settle();
    expect(merged(server)).toBeGreaterThanOrEqual(16);
    expect(await server.nonces.recordNonces(all)).toEqual(all.map(() => false));
    expect(journalFiles()).toEqual([]);
  });
});
