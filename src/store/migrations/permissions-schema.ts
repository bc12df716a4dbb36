// The second migration: groups and their members, custom policies and their versions, policy
// attachments to groups, and per-account security preferences.
import { sql, type Kysely, type Migration } from 'kysely';
import type { MigrationDialect } from './migration-dialect.js';

/** Builds the migration for one engine; as in the first one, only the key collation differs. */
export function permissionsSchema(dialect: MigrationDialect): Migration {
  const keyText =
    dialect.bytewiseCollation === undefined
      ? sql`text`
      : sql`text collate ${sql.id(dialect.bytewiseCollation)}`;

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // As users: group_id alone is the key (unique installation-wide), names are unique per account
      // through group_name_key, and (account_id, group_id) lets the tables below point at a group of
      // the same account only.
      await db.schema
        .createTable('groups')
        .addColumn('group_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.account_id'))
        .addColumn('group_name', 'text', (c) => c.notNull())
        .addColumn('group_name_key', keyText, (c) => c.notNull())
        .addColumn('comments', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('groups_account_group_unique', ['account_id', 'group_id'])
        .execute();
      await db.schema
        .createIndex('groups_account_name_key')
        .on('groups')
        .columns(['account_id', 'group_name_key'])
        .unique()
        .execute();

      // The primary key serves "the groups of a user" (and its count, for the per-user limit); the
      // index serves "the members of a group".
      await db.schema
        .createTable('group_members')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('group_id', 'text', (c) => c.notNull())
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_members_pk', ['account_id', 'user_id', 'group_id'])
        .addForeignKeyConstraint('group_members_user_fk', ['account_id', 'user_id'], 'users', [
          'account_id',
          'user_id',
        ])
        .addForeignKeyConstraint('group_members_group_fk', ['account_id', 'group_id'], 'groups', [
          'account_id',
          'group_id',
        ])
        .execute();
      await db.schema
        .createIndex('group_members_account_group')
        .on('group_members')
        .columns(['account_id', 'group_id', 'user_id'])
        .execute();

      // Custom policies. A policy is never renamed, so its name as created is what versions and
      // attachments refer to; policy_name_key makes names unique case-insensitively.
      await db.schema
        .createTable('policies')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.account_id'))
        .addColumn('policy_name', 'text', (c) => c.notNull())
        .addColumn('policy_name_key', keyText, (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('default_version', 'integer', (c) => c.notNull())
        .addColumn('last_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('policies_pk', ['account_id', 'policy_name_key'])
        .addUniqueConstraint('policies_account_name_unique', ['account_id', 'policy_name'])
        .execute();

      await db.schema
        .createTable('policy_versions')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('policy_name', 'text', (c) => c.notNull())
        .addColumn('version_number', 'integer', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('policy_versions_pk', ['account_id', 'policy_name', 'version_number'])
        .addForeignKeyConstraint('policy_versions_policy_fk', ['account_id', 'policy_name'], 'policies', [
          'account_id',
          'policy_name',
        ])
        .execute();

      // Mixed System and Custom attachments as in user_policies: no foreign key to policies (System
      // policies have no row); the store checks a Custom policy exists under the policy's lock.
      await db.schema
        .createTable('group_policies')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('group_id', 'text', (c) => c.notNull())
        .addColumn('policy_type', 'text', (c) => c.notNull())
        .addColumn('policy_name', 'text', (c) => c.notNull())
        .addColumn('attached_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_policies_pk', [
          'account_id',
          'group_id',
          'policy_type',
          'policy_name',
        ])
        .addForeignKeyConstraint('group_policies_group_fk', ['account_id', 'group_id'], 'groups', [
          'account_id',
          'group_id',
        ])
        .execute();

      // "Who is this policy attached to": ListEntitiesForPolicy, DeletePolicy's checks, attachment counts.
      await db.schema
        .createIndex('group_policies_account_policy')
        .on('group_policies')
        .columns(['account_id', 'policy_type', 'policy_name'])
        .execute();
      await db.schema
        .createIndex('user_policies_account_policy')
        .on('user_policies')
        .columns(['account_id', 'policy_type', 'policy_name'])
        .execute();

      // Before this migration no custom policy could exist, so a Custom attachment names nothing;
      // from now on every Custom attachment names a policy of the account.
      await sql`delete from user_policies where policy_type = ${'Custom'}`.execute(db);

      // Booleans as 0/1 integers, the same on both engines.
      await db.schema
        .createTable('security_preferences')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.account_id'))
        .addColumn('allow_user_to_manage_access_keys', 'integer', (c) => c.notNull())
        .addColumn('max_idle_days_for_access_keys', 'integer', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('security_preferences').execute();
      await db.schema.dropIndex('user_policies_account_policy').execute();
      await db.schema.dropTable('group_policies').execute();
      await db.schema.dropTable('policy_versions').execute();
      await db.schema.dropTable('policies').execute();
      await db.schema.dropTable('group_members').execute();
      await db.schema.dropTable('groups').execute();
    },
  };
}
