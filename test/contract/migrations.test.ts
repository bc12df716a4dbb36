// Upgrading a database made by an earlier release: each migration applies on top of the previous
// ones, keeps their rows, and can be reverted, on both engines.
import { randomBytes } from 'node:crypto';
import { Migrator, sql, type Kysely } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import type { Database } from '../../src/store/database.js';
import { ramkeyMigrationProvider } from '../../src/store/migrations/ramkey-migrations.js';
import { createPostgresKysely, postgresEngineAdapter } from '../../src/store/postgres/postgres-store.js';
import { createSqliteKysely, sqliteEngineAdapter } from '../../src/store/sqlite/sqlite-store.js';
import { describePostgres, describeSqlite, testDatabaseUrl } from '../support/test-stores.js';

const T0 = 4_102_444_800_000;

interface Subject {
  db: Kysely<Database>;
  migrator: Migrator;
  cleanup(): Promise<void>;
}

function sqliteSubject(): Subject {
  const db = createSqliteKysely({ file: ':memory:' });
  const migrator = new Migrator({
    db,
    provider: ramkeyMigrationProvider(sqliteEngineAdapter.migrationDialect),
    migrationTableName: 'ramkey_migration',
    migrationLockTableName: 'ramkey_migration_lock',
  });
  return { db, migrator, cleanup: () => db.destroy() };
}

async function postgresSubject(): Promise<Subject> {
  const schema = `ramkey_test_${randomBytes(6).toString('hex')}`;
  const db = createPostgresKysely({ url: testDatabaseUrl, schema, maxConnections: 2 });
  await sql`create schema ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: ramkeyMigrationProvider(postgresEngineAdapter(schema).migrationDialect),
    migrationTableName: 'ramkey_migration',
    migrationLockTableName: 'ramkey_migration_lock',
    migrationTableSchema: schema,
  });
  return {
    db,
    migrator,
    async cleanup() {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
      await db.destroy();
    },
  };
}

function expectMigrated(result: Awaited<ReturnType<Migrator['migrateToLatest']>>): void {
  expect(result.error).toBeUndefined();
}

function permissionsMigrationSuite(makeSubject: () => Subject | Promise<Subject>): void {
  let subject: Subject | undefined;

  afterEach(async () => {
    await subject?.cleanup();
    subject = undefined;
  });

  it('adds the permissions tables over a 0001 database, keeping System attachments and dropping Custom ones', async () => {
    subject = await makeSubject();
    const { db, migrator } = subject;
    expectMigrated(await migrator.migrateTo('0001_initial_schema'));
    await db
      .insertInto('accounts')
      .values({ account_id: 'a1', login_name: 'root', password_hash: 'x', created_at: T0 })
      .execute();
    await db
      .insertInto('users')
      .values({
        account_id: 'a1',
        user_id: 'u1',
        user_name: 'alice',
        user_name_key: 'alice',
        display_name: '',
        email: '',
        mobile_phone: '',
        comments: '',
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    // Before 0002 nothing checked that a Custom policy existed; none could.
    await db
      .insertInto('user_policies')
      .values([
        {
          account_id: 'a1',
          user_id: 'u1',
          policy_type: 'System',
          policy_name: 'ReadOnlyAccess',
          attached_at: T0,
        },
        { account_id: 'a1', user_id: 'u1', policy_type: 'Custom', policy_name: 'Ghost', attached_at: T0 },
      ])
      .execute();

    expectMigrated(await migrator.migrateToLatest());
    const attachments = await db.selectFrom('user_policies').select(['policy_type', 'policy_name']).execute();
    expect(attachments).toEqual([{ policy_type: 'System', policy_name: 'ReadOnlyAccess' }]);
    expect(await db.selectFrom('groups').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('policies').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('security_preferences').selectAll().execute()).toEqual([]);
  });

  async function tablesOf(db: Kysely<Database>): Promise<string[]> {
    return (await db.introspection.getTables())
      .map((t) => t.name)
      .filter((name) => !name.startsWith('ramkey_migration'))
      .sort();
  }

  it('reverts 0002 back to the 0001 schema', async () => {
    subject = await makeSubject();
    const { db, migrator } = subject;
    expectMigrated(await migrator.migrateTo('0002_permissions'));
    const down = await migrator.migrateDown();
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName)).toEqual(['0002_permissions']);
    expect(await tablesOf(db)).toEqual(['access_keys', 'accounts', 'user_policies', 'users']);
    expectMigrated(await migrator.migrateToLatest());
  });

  it('adds the audit tables over a 0002 database, and reverts them', async () => {
    subject = await makeSubject();
    const { db, migrator } = subject;
    expectMigrated(await migrator.migrateTo('0002_permissions'));
    const before = await tablesOf(db);
    expectMigrated(await migrator.migrateTo('0003_audit'));
    expect(await tablesOf(db)).toEqual([...before, 'access_key_usage', 'audit_events'].sort());
    const down = await migrator.migrateDown();
    expect(down.results?.map((r) => r.migrationName)).toEqual(['0003_audit']);
    expect(await tablesOf(db)).toEqual(before);
  });

  it('adds and drops the credential report table, leaving the accounts alone', async () => {
    subject = await makeSubject();
    const { db, migrator } = subject;
    expectMigrated(await migrator.migrateTo('0002_permissions'));
    await db
      .insertInto('accounts')
      .values({ account_id: 'a1', login_name: 'root', password_hash: 'x', created_at: T0 })
      .execute();
    expectMigrated(await migrator.migrateTo('0004_credential_reports'));
    await db
      .insertInto('credential_reports')
      .values({ account_id: 'a1', generated_at: T0, content: 'user\r\n' })
      .execute();
    expect(await db.selectFrom('credential_reports').selectAll().execute()).toEqual([
      { account_id: 'a1', generated_at: T0, content: 'user\r\n' },
    ]);
    const down = await migrator.migrateTo('0002_permissions');
    expect(down.error).toBeUndefined();
    const tables = (await db.introspection.getTables()).map((t) => t.name);
    expect(tables).not.toContain('credential_reports');
    expect(await db.selectFrom('accounts').select('account_id').execute()).toEqual([{ account_id: 'a1' }]);
  });
}

describeSqlite('migrations on sqlite', () => {
  permissionsMigrationSuite(sqliteSubject);
});

await describePostgres('migrations on postgres', () => {
  permissionsMigrationSuite(postgresSubject);
});
