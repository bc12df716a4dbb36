// The 0016 migration: custom services, a platform team's own APIs (RAM CreateService and friends, and
// the operator's global services), with the (host, path prefix) pairs each claims.
import { sql, type Kysely, type Migration } from 'kysely';
import type { MigrationDialect } from './migration-dialect.js';

export function servicesSchema(dialect: MigrationDialect): Migration {
  // Service names are listed and paged in name order: byte by byte on both engines (see
  // MigrationDialect.bytewiseCollation).
  const keyText =
    dialect.bytewiseCollation === undefined
      ? sql`text`
      : sql`text collate ${sql.id(dialect.bytewiseCollation)}`;

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // `scope` is the owning account's ID, or '' for a global service (the installation's, for every
      // account): '' rather than NULL, so that the primary key makes names unique among global
      // services too (NULLs never collide in a unique index). No foreign key, for the same reason.
      // Names are lower case by rule, so the name itself is the key.
      await db.schema
        .createTable('services')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('service_name', keyText, (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('services_pk', ['scope', 'service_name'])
        .execute();
      // One row per (host, path prefix) pair a service claims ('' for any): the primary key refuses a
      // second service of the scope claiming the same pair, atomically, whichever writer comes first.
      await db.schema
        .createTable('service_routes')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('path_prefix', 'text', (c) => c.notNull())
        .addColumn('service_name', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('service_routes_pk', ['scope', 'host', 'path_prefix'])
        .execute();
      await db.schema
        .createIndex('service_routes_service')
        .on('service_routes')
        .columns(['scope', 'service_name'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('service_routes').execute();
      await db.schema.dropTable('services').execute();
    },
  };
}
