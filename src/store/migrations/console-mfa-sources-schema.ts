// The 0020 migration: where each RAM user last proved MFA at console sign-in, per source address,
// so MFAOperationForLogin=adaptive can ask for a code only when a sign-in comes from an address
// the user has not verified with MFA lately (see services/console-sessions).
import type { Kysely, Migration } from 'kysely';

export function consoleMfaSourcesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('console_mfa_sources')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.account_id'))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('source_ip', 'text', (c) => c.notNull())
        .addColumn('verified_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('console_mfa_sources_pk', ['account_id', 'user_id', 'source_ip'])
        .execute();
      // Old rows are purged by age.
      await db.schema
        .createIndex('console_mfa_sources_by_age')
        .on('console_mfa_sources')
        .column('verified_at')
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('console_mfa_sources').execute();
    },
  };
}
