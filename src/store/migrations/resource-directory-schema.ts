// The 0015 migration: the resource directory. Accounts grouped under a management account, which
// may look up key owners and audit events across them.
import type { Kysely, Migration } from 'kysely';

export function resourceDirectorySchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One row per account in a directory (an account is in one at most): the management account's
      // own row names itself.
      await db.schema
        .createTable('directory_accounts')
        .addColumn('account_id', 'text', (c) => c.primaryKey())
        .addColumn('management_account_id', 'text', (c) => c.notNull())
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('directory_accounts_management')
        .on('directory_accounts')
        .columns(['management_account_id', 'account_id'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('directory_accounts').execute();
    },
  };
}
