// Secrets at rest: what reaches the database (files, WAL, dumps) never contains an AccessKey secret, on both engines.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateAccessKeyId,
  generateAccessKeySecret,
  generateAccountId,
  generateUserId,
} from '../../src/core/keys/key-id.js';
import { Secret } from '../../src/core/keys/secret.js';
import { cryptoRandom } from '../../src/core/random.js';
import { generateMasterKeyText, parseMasterKeyRing, Sealer } from '../../src/store/sealer.js';
import type { AccessKeyRecord } from '../../src/store/store.js';
import {
  describePostgres,
  describeSqlite,
  makePostgresTestStore,
  makeSqliteTestStore,
  type PostgresTestStore,
  type SqliteTestStore,
  type TestStore,
} from '../support/test-stores.js';

const execFileAsync = promisify(execFile);
const T0 = 1_750_000_000_000;

interface Issued {
  record: AccessKeyRecord;
  secret: string;
}

/** An account, two users and root, each with keys whose secrets are sealed by `sealer`. */
async function issueKeys(handle: TestStore, sealer: Sealer): Promise<Issued[]> {
  const { store } = handle;
  const accountId = generateAccountId(cryptoRandom);
  await store.createAccount({ accountId, loginName: 'root', passwordHash: 'scrypt$x', createdAt: T0 });
  const principals: (string | null)[] = [null];
  for (const name of ['app', 'ci']) {
    const userId = generateUserId(cryptoRandom);
    await store.createUser({
      accountId,
      userId,
      userName: name,
      displayName: name,
      email: '',
      mobilePhone: '',
      comments: '',
      createdAt: T0,
      updatedAt: T0,
    });
    principals.push(userId);
  }
  const issued: Issued[] = [];
  for (const userId of principals) {
    for (let i = 0; i < 2; i++) {
      const accessKeyId = generateAccessKeyId(cryptoRandom);
      const secret = generateAccessKeySecret(cryptoRandom);
      const record: AccessKeyRecord = {
        accessKeyId,
        accountId,
        userId,
        status: 'Active',
        sealedSecret: sealer.seal(accessKeyId, new Secret(secret)),
        createdAt: T0 + i,
        updatedAt: T0 + i,
        lastUsedAt: null,
        lastUsedService: null,
        lastUsedIp: null,
        state: 'live',
        deletedAt: null,
      };
      await store.createAccessKey(record, 2);
      issued.push({ record, secret });
    }
  }
  return issued;
}

/**
 * No secret in `bytes`; the IDs and sealed secrets are there, which shows the search looks at the
 * right data in the right encoding (an empty dump would pass the first check vacuously).
 */
function expectNoSecrets(bytes: Buffer, issued: readonly Issued[], label: string): void {
  for (const { record, secret } of issued) {
    expect(bytes.includes(Buffer.from(secret, 'utf8')), `${label} holds a plaintext secret`).toBe(false);
    expect(bytes.includes(Buffer.from(record.accessKeyId, 'utf8')), `${label} holds the key IDs`).toBe(true);
    expect(
      bytes.includes(Buffer.from(record.sealedSecret, 'utf8')),
      `${label} holds the sealed secrets`,
    ).toBe(true);
  }
}

function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`fixture has no item ${index}`);
  return item;
}

function readIfExists(path: string): Buffer {
  return existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
}

function sqliteBytes(handle: SqliteTestStore): Buffer {
  return Buffer.concat([readIfExists(handle.file), readIfExists(`${handle.file}-wal`)]);
}

/** Every row of every table in the schema, as PostgreSQL renders it to text. */
async function postgresRowsAsText(handle: PostgresTestStore): Promise<Buffer> {
  const tables = await handle.raw
    .selectFrom(sql<{ table_name: string; table_schema: string }>`information_schema.tables`.as('t'))
    .select('table_name')
    .where('table_schema', '=', handle.schema)
    .execute();
  expect(tables.map((t) => t.table_name)).toContain('access_keys');
  const out: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await sql<{
      row: string;
    }>`select t::text as row from ${sql.table(`${handle.schema}.${table_name}`)} t`.execute(handle.raw);
    out.push(...rows.map((r) => r.row));
  }
  return Buffer.from(out.join('\n'), 'utf8');
}

function hasPgDump(): boolean {
  const probe = spawnSync('pg_dump', ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** The tampering and key-management checks, the same on either engine. */
function describeSealedRows(make: () => Promise<TestStore>): void {
  let handle: TestStore;
  let issued: Issued[];
  const ring = parseMasterKeyRing(generateMasterKeyText(cryptoRandom));
  const sealer = new Sealer(ring);

  beforeAll(async () => {
    handle = await make();
    issued = await issueKeys(handle, sealer);
  });

  afterAll(async () => {
    await handle.cleanup();
  });

  it('opens every stored sealed secret back to its secret', async () => {
    for (const { record, secret } of issued) {
      const stored = await handle.store.getAccessKey(record.accessKeyId);
      expect(sealer.open(record.accessKeyId, stored?.sealedSecret ?? '').reveal()).toBe(secret);
    }
  });

  // The AccessKey ID is the associated data: a sealed secret copied into another key's row is useless.
  it("refuses to open a sealed secret moved into another key's row", async () => {
    const from = nth(issued, 0);
    const to = nth(issued, 1);
    await handle.raw
      .updateTable('access_keys')
      .set({ sealed_secret: from.record.sealedSecret })
      .where('access_key_id', '=', to.record.accessKeyId)
      .execute();
    const moved = await handle.store.getAccessKey(to.record.accessKeyId);
    expect(moved?.sealedSecret).toBe(from.record.sealedSecret);
    expect(() => sealer.open(to.record.accessKeyId, moved?.sealedSecret ?? '')).toThrow(
      'sealed secret cannot be opened',
    );
    // It still opens under its own ID: the failure is the binding, not damage.
    expect(sealer.open(from.record.accessKeyId, moved?.sealedSecret ?? '').reveal()).toBe(from.secret);
  });

  it('refuses to open with a different master key', async () => {
    const { record } = nth(issued, 2);
    const stored = await handle.store.getAccessKey(record.accessKeyId);
    const stranger = new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom)));
    expect(() => stranger.open(record.accessKeyId, stored?.sealedSecret ?? '')).toThrow(
      'sealed secret cannot be opened',
    );
  });

  it('rotates: a ring with v1 and v2 opens what v1 sealed and seals new keys with v2', async () => {
    const v1Text = generateMasterKeyText(cryptoRandom, 1);
    const v2Text = generateMasterKeyText(cryptoRandom, 2);
    const oldSealer = new Sealer(parseMasterKeyRing(v1Text));
    const rotated = new Sealer(parseMasterKeyRing(v1Text + v2Text));
    const onlyV2 = new Sealer(parseMasterKeyRing(v2Text));

    const accountId = generateAccountId(cryptoRandom);
    await handle.store.createAccount({ accountId, loginName: 'rot', passwordHash: 'x', createdAt: T0 });
    const make = (sealWith: Sealer, secret: string): AccessKeyRecord => {
      const accessKeyId = generateAccessKeyId(cryptoRandom);
      return {
        accessKeyId,
        accountId,
        userId: null,
        status: 'Active',
        sealedSecret: sealWith.seal(accessKeyId, new Secret(secret)),
        createdAt: T0,
        updatedAt: T0,
        lastUsedAt: null,
        lastUsedService: null,
        lastUsedIp: null,
        state: 'live',
        deletedAt: null,
      };
    };
    const oldSecret = generateAccessKeySecret(cryptoRandom);
    const newSecret = generateAccessKeySecret(cryptoRandom);
    const oldKey = make(oldSealer, oldSecret);
    await handle.store.createAccessKey(oldKey, 2);
    const newKey = make(rotated, newSecret);
    await handle.store.createAccessKey(newKey, 2);

    const storedOld = (await handle.store.getAccessKey(oldKey.accessKeyId))?.sealedSecret ?? '';
    const storedNew = (await handle.store.getAccessKey(newKey.accessKeyId))?.sealedSecret ?? '';
    expect(storedOld.startsWith('v1.')).toBe(true);
    expect(storedNew.startsWith('v2.')).toBe(true);
    expect(rotated.open(oldKey.accessKeyId, storedOld).reveal()).toBe(oldSecret);
    expect(rotated.open(newKey.accessKeyId, storedNew).reveal()).toBe(newSecret);
    expect(() => onlyV2.open(oldKey.accessKeyId, storedOld)).toThrow('sealed secret cannot be opened');
    expect(() => oldSealer.open(newKey.accessKeyId, storedNew)).toThrow('sealed secret cannot be opened');

    // Re-sealing moves the row to v2, after which the v1 line can leave the key file.
    expect(rotated.isCurrent(storedOld)).toBe(false);
    const resealed = rotated.reseal(oldKey.accessKeyId, storedOld);
    await handle.raw
      .updateTable('access_keys')
      .set({ sealed_secret: resealed })
      .where('access_key_id', '=', oldKey.accessKeyId)
      .execute();
    const storedResealed = (await handle.store.getAccessKey(oldKey.accessKeyId))?.sealedSecret ?? '';
    expect(onlyV2.open(oldKey.accessKeyId, storedResealed).reveal()).toBe(oldSecret);
  });
}

describeSqlite('secrets at rest: sqlite', () => {
  describe('database files', () => {
    let handle: SqliteTestStore;
    let issued: Issued[];

    beforeAll(async () => {
      handle = await makeSqliteTestStore();
      issued = await issueKeys(handle, new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom))));
    });

    afterAll(async () => {
      await handle.cleanup();
    });

    it('keeps secrets out of the database file and its WAL before a checkpoint', () => {
      // Before a checkpoint the new rows live in the -wal file: it is part of the database at rest.
      expect(existsSync(`${handle.file}-wal`)).toBe(true);
      expectNoSecrets(sqliteBytes(handle), issued, 'sqlite db+wal');
    });

    it('keeps secrets out of the database file after a checkpoint', async () => {
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(handle.raw);
      expect(readIfExists(`${handle.file}-wal`)).toHaveLength(0);
      expectNoSecrets(readIfExists(handle.file), issued, 'sqlite db after checkpoint');
    });
  });

  describe('sealed rows', () => {
    describeSealedRows(makeSqliteTestStore);
  });
});

await describePostgres('secrets at rest: postgres', () => {
  describe('database contents', () => {
    let handle: PostgresTestStore;
    let issued: Issued[];

    beforeAll(async () => {
      handle = await makePostgresTestStore();
      issued = await issueKeys(handle, new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom))));
    });

    afterAll(async () => {
      await handle.cleanup();
    });

    const pgDump = hasPgDump();
    const pgDumpTitle = pgDump
      ? 'keeps secrets out of a pg_dump of the tables'
      : 'pg_dump check (skipped: no pg_dump on PATH; the rows-as-text check covers the same data)';
    it.skipIf(!pgDump)(pgDumpTitle, async () => {
      const { stdout } = await execFileAsync(
        'pg_dump',
        ['--dbname', handle.url, '--schema', handle.schema, '--data-only', '--no-owner'],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      expectNoSecrets(Buffer.from(stdout, 'utf8'), issued, 'pg_dump');
    });

    it('keeps secrets out of every column of every table, read as text', async () => {
      expectNoSecrets(await postgresRowsAsText(handle), issued, 'postgres rows');
    });
  });

  describe('sealed rows', () => {
    describeSealedRows(makePostgresTestStore);
  });
});
