// Upgrading a database made by an earlier release: each migration applies on top of the previous
// ones, keeps their rows, and can be reverted, on both engines.
import { randomBytes } from 'node:crypto';
import { Migrator, sql, type Kysely } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import type { AccessKeysTable, Database } from '../../src/store/database.js';
import type { EngineAdapter } from '../../src/store/engine-adapter.js';
import { createKyselyStore } from '../../src/store/kysely/kysely-store.js';
import { ramkeyMigrationProvider } from '../../src/store/migrations/ramkey-migrations.js';
import { createPostgresKysely, postgresEngineAdapter } from '../../src/store/postgres/postgres-store.js';
import { createSqliteKysely, sqliteEngineAdapter } from '../../src/store/sqlite/sqlite-store.js';
import { describePostgres, describeSqlite, testDatabaseUrl } from '../support/test-stores.js';

const T0 = 4_102_444_800_000;

interface Subject {
  db: Kysely<Database>;
  adapter: EngineAdapter;
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
  return { db, adapter: sqliteEngineAdapter, migrator, cleanup: () => db.destroy() };
}

async function postgresSubject(): Promise<Subject> {
  const schema = `ramkey_test_${randomBytes(6).toString('hex')}`;
  const db = createPostgresKysely({ url: testDatabaseUrl, schema, maxConnections: 2 });
  await sql`create schema ${sql.id(schema)}`.execute(db);
  const adapter = postgresEngineAdapter(schema);
  const migrator = new Migrator({
    db,
    provider: ramkeyMigrationProvider(adapter.migrationDialect),
    migrationTableName: 'ramkey_migration',
    migrationLockTableName: 'ramkey_migration_lock',
    migrationTableSchema: schema,
  });
  return {
    db,
    adapter,
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

  it('gives every key of a 0004 database a state: deleted keys purged with their secrets erased', async () => {
    subject = await makeSubject();
    const { db, adapter, migrator } = subject;
    expectMigrated(await migrator.migrateTo('0004_credential_reports'));
    // The rows as release 0004 wrote them: no state column, deletion marked by deleted_at alone.
    const before = db as unknown as Kysely<{ access_keys: Omit<AccessKeysTable, 'state'> }>;
    await db
      .insertInto('accounts')
      .values({ account_id: 'a1', login_name: 'root', password_hash: 'x', created_at: T0 })
      .execute();
    const key = (id: string, status: string, deletedAt: number | null) => ({
      access_key_id: id,
      account_id: 'a1',
      user_id: null,
      status,
      sealed_secret: `v1.sealed.${id}`,
      created_at: T0,
      updated_at: deletedAt ?? T0,
      last_used_at: T0 + 5,
      last_used_service: 'Ram',
      last_used_ip: '192.0.2.1',
      deleted_at: deletedAt,
    });
    await before
      .insertInto('access_keys')
      .values([
        key('LTAIactive', 'Active', null),
        key('LTAIinactive', 'Inactive', null),
        key('LTAIdeleted', 'Active', T0 + 9),
      ])
      .execute();

    expectMigrated(await migrator.migrateTo('0005_access_key_state'));
    const rows = await db
      .selectFrom('access_keys')
      .select(['access_key_id', 'status', 'state', 'sealed_secret', 'deleted_at', 'last_used_at'])
      .orderBy('access_key_id')
      .execute();
    expect(rows).toEqual([
      {
        access_key_id: 'LTAIactive',
        status: 'Active',
        state: 'live',
        sealed_secret: 'v1.sealed.LTAIactive',
        deleted_at: null,
        last_used_at: T0 + 5,
      },
      {
        access_key_id: 'LTAIdeleted',
        status: 'Active',
        state: 'purged',
        sealed_secret: '',
        deleted_at: T0 + 9,
        last_used_at: T0 + 5,
      },
      {
        access_key_id: 'LTAIinactive',
        status: 'Inactive',
        state: 'live',
        sealed_secret: 'v1.sealed.LTAIinactive',
        deleted_at: null,
        last_used_at: T0 + 5,
      },
    ]);

    // The store reads the converted rows as it reads its own.
    const store = createKyselyStore(db, adapter);
    expect((await store.listAccessKeys('a1', null)).map((k) => [k.accessKeyId, k.state, k.status])).toEqual([
      ['LTAIactive', 'live', 'Active'],
      ['LTAIinactive', 'live', 'Inactive'],
    ]);
    expect(await store.getAccessKey('LTAIdeleted')).toBeUndefined();
    expect(await store.findAccessKey('a1', 'LTAIdeleted')).toMatchObject({
      state: 'purged',
      sealedSecret: '',
      deletedAt: T0 + 9,
    });
    expect(await store.countAccessKeys('a1')).toBe(2);
    // A state the store does not know is refused by the database itself.
    await expect(
      db
        .insertInto('access_keys')
        .values({ ...key('LTAIbogus', 'Active', null), state: 'deleted' })
        .execute(),
    ).rejects.toThrow();

    const down = await migrator.migrateDown();
    expect(down.results?.map((r) => r.migrationName)).toEqual(['0005_access_key_state']);
    const reverted = await before
      .selectFrom('access_keys')
      .select(['access_key_id', 'deleted_at'])
      .orderBy('access_key_id')
      .execute();
    expect(reverted).toEqual([
      { access_key_id: 'LTAIactive', deleted_at: null },
      { access_key_id: 'LTAIdeleted', deleted_at: T0 + 9 },
      { access_key_id: 'LTAIinactive', deleted_at: null },
    ]);
    expect(
      (await db.introspection.getTables()).find((t) => t.name === 'access_keys')?.columns.map((c) => c.name),
    ).not.toContain('state');
  });

  it('groups the usage of a 0007 database by IP, action and service, and drops the groups on revert', async () => {
    subject = await makeSubject();
    const { db, adapter, migrator } = subject;
    expectMigrated(await migrator.migrateTo('0007_secret_index'));
    const row = (
      service: string,
      action: string,
      ip: string,
      first: number,
      last: number,
      calls: number,
    ) => ({
      access_key_id: 'LTAIused',
      account_id: 'a1',
      service_name: service,
      event_name: action,
      source_ip: ip,
      first_used_at: T0 + first,
      last_used_at: T0 + last,
      call_count: calls,
      last_event_id: `${action}@${ip}`,
    });
    await db
      .insertInto('access_key_usage')
      .values([
        row('Ram', 'ListUsers', '192.0.2.1', 0, 30, 3),
        row('Ram', 'GetUser', '192.0.2.2', 5, 20, 2),
        row('Ims', 'GetUser', '192.0.2.1', 10, 40, 1),
      ])
      .execute();

    expectMigrated(await migrator.migrateTo('0008_key_usage_index'));
    const store = createKyselyStore(db, adapter);
    const group = (name: string, first: number, last: number, callCount: number, lastEventId: string) => ({
      name,
      firstUsedAt: T0 + first,
      lastUsedAt: T0 + last,
      callCount,
      lastEventId,
    });
    expect(await store.keyUsageByIp('a1', 'LTAIused', { limit: 10 })).toEqual([
      group('192.0.2.1', 0, 40, 4, 'GetUser@192.0.2.1'),
      group('192.0.2.2', 5, 20, 2, 'GetUser@192.0.2.2'),
    ]);
    expect(await store.keyUsageByIp('a1', 'LTAIused', { limit: 10, serviceName: 'Ram' })).toEqual([
      group('192.0.2.1', 0, 30, 3, 'ListUsers@192.0.2.1'),
      group('192.0.2.2', 5, 20, 2, 'GetUser@192.0.2.2'),
    ]);
    expect(await store.keyUsageByEvent('a1', 'LTAIused', { limit: 10 })).toEqual([
      group('GetUser', 5, 40, 3, 'GetUser@192.0.2.1'),
      group('ListUsers', 0, 30, 3, 'ListUsers@192.0.2.1'),
    ]);
    expect(await store.keyUsageByEvent('a1', 'LTAIused', { limit: 10, serviceName: 'Ram' })).toEqual([
      group('ListUsers', 0, 30, 3, 'ListUsers@192.0.2.1'),
      group('GetUser', 5, 20, 2, 'GetUser@192.0.2.2'),
    ]);
    expect(await store.keyUsageByService('a1', 'LTAIused', { limit: 10 })).toEqual([
      group('Ims', 10, 40, 1, 'GetUser@192.0.2.1'),
      group('Ram', 0, 30, 5, 'ListUsers@192.0.2.1'),
    ]);

    const down = await migrator.migrateDown();
    expect(down.results?.map((r) => r.migrationName)).toEqual(['0008_key_usage_index']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('access_key_usage_groups');
  });

  it('gives a 0009 database the recycle bin: a recycled key gets its DeleteDate, the rest nothing; reverts', async () => {
    subject = await makeSubject();
    const { db, adapter, migrator } = subject;
    expectMigrated(await migrator.migrateTo('0009_audit_call_count'));
    // The rows as release 0009 wrote them: no purge time, no "went with its user" flag. Nothing wrote
    // the recycled state then, but the column allowed it.
    const before = db as unknown as Kysely<{
      access_keys: Omit<AccessKeysTable, 'purge_at' | 'recycled_with_user'>;
    }>;
    await db
      .insertInto('accounts')
      .values({ account_id: 'a1', login_name: 'root', password_hash: 'x', created_at: T0 })
      .execute();
    const key = (id: string, state: string, deletedAt: number | null) => ({
      access_key_id: id,
      account_id: 'a1',
      user_id: null,
      status: 'Active',
      state,
      sealed_secret: state === 'purged' ? '' : `v1.sealed.${id}`,
      created_at: T0,
      updated_at: T0,
      last_used_at: null,
      last_used_service: null,
      last_used_ip: null,
      deleted_at: deletedAt,
    });
    await before
      .insertInto('access_keys')
      .values([
        key('LTAIlive', 'live', null),
        key('LTAIrecycled', 'recycled', T0 + 5),
        key('LTAIpurged', 'purged', T0 + 9),
      ])
      .execute();

    expectMigrated(await migrator.migrateTo('0010_recycle_bin'));
    const rows = await db
      .selectFrom('access_keys')
      .select(['access_key_id', 'state', 'purge_at', 'recycled_with_user'])
      .orderBy('access_key_id')
      .execute();
    expect(rows).toEqual([
      { access_key_id: 'LTAIlive', state: 'live', purge_at: null, recycled_with_user: 0 },
      { access_key_id: 'LTAIpurged', state: 'purged', purge_at: null, recycled_with_user: 0 },
      {
        access_key_id: 'LTAIrecycled',
        state: 'recycled',
        purge_at: T0 + 5 + 30 * 86_400_000,
        recycled_with_user: 0,
      },
    ]);
    // The store reads the converted rows as its own: the recycled key is in the bin until its date.
    const store = createKyselyStore(db, adapter);
    expect(await store.listRecycledAccessKeys('a1', null, T0 + 6)).toEqual([
      {
        accessKeyId: 'LTAIrecycled',
        accountId: 'a1',
        userId: null,
        createdAt: T0,
        recycledAt: T0 + 5,
        purgeAt: T0 + 5 + 30 * 86_400_000,
        withUser: false,
      },
    ]);
    expect(await store.restoreAccessKey('a1', null, 'LTAIrecycled', T0 + 7, 2)).toBe(true);
    expect(await store.getAccessKey('LTAIrecycled')).toMatchObject({ status: 'Inactive', state: 'live' });
    expect(await store.acquireJobLease('job', 'node', T0, T0 + 1)).toBe(true);

    const down = await migrator.migrateDown();
    expect(down.results?.map((r) => r.migrationName)).toEqual(['0010_recycle_bin']);
    const tables = await db.introspection.getTables();
    expect(tables.map((t) => t.name)).not.toContain('recycled_users');
    expect(tables.map((t) => t.name)).not.toContain('job_leases');
    const columns = tables.find((t) => t.name === 'access_keys')?.columns.map((c) => c.name);
    expect(columns).not.toContain('purge_at');
    expect(columns).not.toContain('recycled_with_user');
    expect(
      await before
        .selectFrom('access_keys')
        .select(['access_key_id', 'state'])
        .orderBy('access_key_id')
        .execute(),
    ).toEqual([
      { access_key_id: 'LTAIlive', state: 'live' },
      { access_key_id: 'LTAIpurged', state: 'purged' },
      { access_key_id: 'LTAIrecycled', state: 'live' },
    ]);
    expectMigrated(await migrator.migrateToLatest());
  });

  it('adds the network policy table and an unmarked audit column over a 0009 database, and reverts them', async () => {
    subject = await makeSubject();
    const { db, adapter, migrator } = subject;
    expectMigrated(await migrator.migrateTo('0009_audit_call_count'));
    await db
      .insertInto('accounts')
      .values({ account_id: 'a1', login_name: 'root', password_hash: 'x', created_at: T0 })
      .execute();
    const event = {
      event_id: 'e1',
      event_time: T0,
      account_id: 'a1',
      access_key_id: 'LTAIold',
      principal_type: 'root-account',
      principal_id: 'a1',
      user_name: 'root',
      event_name: 'ListUsers',
      event_rw: 'Read',
      service_name: 'Ram',
      api_version: '2015-05-01',
      event_source: 'h',
      request_id: 'r',
      source_ip: '192.0.2.1',
      user_agent: 'ua',
      error_code: '',
      error_message: '',
      request_parameters: '{}',
      call_count: 1,
    };
    // The table as 0009 left it, without the column this migration adds.
    await (db as unknown as Kysely<{ audit_events: typeof event }>)
      .insertInto('audit_events')
      .values(event)
      .execute();

    expectMigrated(await migrator.migrateTo('0011_access_key_policies'));
    const store = createKyselyStore(db, adapter);
    const page = await store.lookupAuditEvents({
      accountId: 'a1',
      startTime: 0,
      endTime: T0 * 2,
      direction: 'BACKWARD',
      limit: 10,
    });
    expect(page.events.map((e) => [e.eventId, e.accessKeyPolicyAudit])).toEqual([['e1', undefined]]);
    await store.putAccountAccessKeyPolicy('a1', '{"Version":1,"Status":"Inactive","Statements":[]}', T0);
    expect((await store.listAccessKeyPolicies('a1')).map((p) => p.accessKeyId)).toEqual([null]);

    const down = await migrator.migrateDown();
    expect(down.results?.map((r) => r.migrationName)).toEqual(['0011_access_key_policies']);
    expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('access_key_policies');
    const columns = (await db.introspection.getTables()).find((t) => t.name === 'audit_events')?.columns;
    expect(columns?.map((c) => c.name)).not.toContain('access_key_policy_audit');
  });

  it('adds the services tables over a 0015 database, and reverts them', async () => {
    subject = await makeSubject();
    const { db, adapter, migrator } = subject;
    expectMigrated(await migrator.migrateTo('0015_resource_directory'));
    expectMigrated(await migrator.migrateTo('0016_services'));
    const store = createKyselyStore(db, adapter);
    const record = {
      accountId: null,
      serviceName: 'orders',
      description: '',
      document: '{}',
      createdAt: T0,
      updatedAt: T0,
    };
    await store.createService(record, [{ host: 'orders.example.com', pathPrefix: '' }], 50);
    expect(await store.loadServices(null)).toEqual([record]);

    const down = await migrator.migrateDown();
    expect(down.results?.map((r) => r.migrationName)).toEqual(['0016_services']);
    const tables = (await db.introspection.getTables()).map((t) => t.name);
    expect(tables).not.toContain('services');
    expect(tables).not.toContain('service_routes');
    expectMigrated(await migrator.migrateToLatest());
  });
}

describeSqlite('migrations on sqlite', () => {
  permissionsMigrationSuite(sqliteSubject);
});

await describePostgres('migrations on postgres', () => {
  permissionsMigrationSuite(postgresSubject);
});
