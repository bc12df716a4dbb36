// Unit tests of openStore: which engine a configuration selects, and where the SQLite file goes.
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, SQLITE_FILE_NAME } from './open-store.js';

describe('openStore', () => {
  let base: string;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'ramkey-open-'));
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('opens SQLite in <dataDir>/ramkey.db when no database URL is set, creating the directory', async () => {
    const dataDir = join(base, 'data');
    for (const databaseUrl of [undefined, '', '  ']) {
      const store = await openStore({ dataDir, databaseUrl });
      try {
        expect(store.capabilities.engine).toBe('sqlite');
        await store.migrate();
        expect(await store.countAccounts()).toBe(0);
      } finally {
        await store.close();
      }
    }
    expect(statSync(join(dataDir, SQLITE_FILE_NAME)).isFile()).toBe(true);
  });

  // The file holds sealed secrets and password hashes: owner only.
  it.skipIf(process.platform === 'win32')(
    'creates the SQLite file with mode 0600 (skipped on Windows)',
    async () => {
      const store = await openStore({ dataDir: base });
      await store.migrate();
      await store.close();
      expect(statSync(join(base, SQLITE_FILE_NAME)).mode & 0o777).toBe(0o600);
    },
  );

  it('selects PostgreSQL for postgres:// and postgresql:// URLs, without connecting yet', async () => {
    for (const databaseUrl of ['postgres://u@127.0.0.1:1/db', 'postgresql://u@127.0.0.1:1/db']) {
      const store = await openStore({ dataDir: base, databaseUrl });
      expect(store.capabilities.engine).toBe('postgres');
      await store.close();
    }
  });

  it('refuses a schema without a PostgreSQL URL, and an invalid schema name', async () => {
    await expect(openStore({ dataDir: base, databaseSchema: 'ramkey' })).rejects.toThrow(/PostgreSQL only/);
    await expect(
      openStore({ dataDir: base, databaseUrl: 'postgres://u@127.0.0.1:1/db', databaseSchema: 'Bad-Name' }),
    ).rejects.toThrow(/invalid PostgreSQL schema name/);
  });

  it('refuses any other URL without echoing it (it may carry a password)', async () => {
    await expect(openStore({ dataDir: base, databaseUrl: 'mysql://u:hunter2@db/x' })).rejects.toThrow(
      /only postgres/,
    );
    await expect(openStore({ dataDir: base, databaseUrl: 'mysql://u:hunter2@db/x' })).rejects.not.toThrow(
      /hunter2/,
    );
  });
});
