// The fourth migration: the last credential report generated for each account (IMS
// GenerateCredentialReport / GetCredentialReport).
import type { Kysely, Migration } from 'kysely';

export function credentialReportsSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One report per account: generating a new one replaces the row. The whole CSV is kept as
      // text; GetCredentialReport pages through it.
      await db.schema
        .createTable('credential_reports')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.account_id'))
        .addColumn('generated_at', 'bigint', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('credential_reports').execute();
    },
  };
}
