// Unit tests of the SQLite connection settings Ramkey relies on.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, withStatementCache } from './sqlite-store.js';

describe('openSqliteDatabase', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ramkey-sqlite-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('turns on WAL, NORMAL sync, foreign keys and a busy timeout', () => {
    const db = openSqliteDatabase({ file: join(dir, 'ramkey.db'), busyTimeoutMs: 1234 });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    } finally {
      db.close();
    }
  });

  it('accepts :memory:', () => {
    const db = openSqliteDatabase({ file: ':memory:' });
    try {
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });
});

describe('withStatementCache', () => {
  it('prepares each SQL text once and reuses the statement, with its results intact', () => {
    const cached = withStatementCache(openSqliteDatabase({ file: ':memory:' }));
    cached.prepare('create table t (x integer)').run([]);
    const insert = cached.prepare('insert into t (x) values (?)');
    expect(cached.prepare('insert into t (x) values (?)')).toBe(insert);
    insert.run([1]);
    cached.prepare('insert into t (x) values (?)').run([2]);
    expect(cached.prepare('select x from t order by x').all([])).toEqual([{ x: 1 }, { x: 2 }]);
    cached.close();
  });
});
