// The checkpoint worker, on a real database file: pages committed to the WAL reach the database file
// without the writing connection checkpointing.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../test/support/temp-dir.js';
import { SAFETY_NET_PAGES, startCheckpointer } from './checkpointer.js';
import { createSqliteStore, openSqliteDatabase } from './sqlite-store.js';

/** Waits until the file is larger than `size` (at most 5 s); answers its size then. */
async function grownPast(file: string, size: number): Promise<number> {
  const deadline = Date.now() + 5000;
  while (statSync(file).size <= size && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return statSync(file).size;
}

describe('startCheckpointer', () => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await makeTempDir('ramkey-checkpoint-');
  });
  afterEach(() => temp.cleanup());

  it('is started by the store of a serving process (the one that claims the nonces), not before', async () => {
    const file = join(temp.dir, 'ramkey.db');
    const store = createSqliteStore({ file });
    const writer = openSqliteDatabase({ file });
    try {
      await store.migrate();
      // Another connection writes ~1 MB into the WAL and never checkpoints itself.
      writer.pragma('wal_autocheckpoint = 0');
      writer.exec('create table filler (body blob not null)');
      const before = statSync(file).size;
      const insert = writer.prepare('insert into filler (body) values (randomblob(4000))');
      writer.transaction(() => {
        for (let i = 0; i < 250; i++) insert.run();
      })();
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(statSync(file).size).toBeLessThan(before + 900_000);
      await store.claimNonces();
      expect(await grownPast(file, before + 900_000)).toBeGreaterThan(before + 900_000);
    } finally {
      writer.close();
      await store.close();
    }
  });

  it('copies the WAL into the database file from its worker, and leaves the writer only the safety net', async () => {
    const file = join(temp.dir, 'ramkey.db');
    const db = openSqliteDatabase({ file });
    const checkpointer = startCheckpointer(db, file, { intervalMs: 10 });
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);
      db.exec('create table filler (body blob not null)');
      const before = statSync(file).size;
      // ~1 MB: about 250 pages, below even SQLite's default threshold, so only the worker copies it.
      const insert = db.prepare('insert into filler (body) values (randomblob(4000))');
      db.transaction(() => {
        for (let i = 0; i < 250; i++) insert.run();
      })();
      expect(await grownPast(file, before + 900_000)).toBeGreaterThan(before + 900_000);
    } finally {
      await checkpointer.close();
      db.close();
    }
  });
});
