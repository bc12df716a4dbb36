// The credential reports aggregate on Kysely: what a report is built from, and the last report.
import type { CredentialReportStore } from '../store.js';
import { isLiveKey } from './access-key-state.js';
import type { StoreContext } from './context.js';
import { toAccessKeySummary, toUser } from './support.js';

export function kyselyCredentialReportStore(ctx: StoreContext): CredentialReportStore {
  const { db } = ctx;
  return {
    async loadCredentialReportSource(accountId) {
      // Three set-based reads, however many users the account has.
      const account = await db
        .selectFrom('accounts')
        .select('created_at')
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      if (account === undefined) return undefined;
      const users = await db
        .selectFrom('users')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('user_name_key')
        .execute();
      // The sealed secret is never read: a report has no use for it.
      const keys = await db
        .selectFrom('access_keys')
        .select([
          'access_key_id',
          'account_id',
          'user_id',
          'status',
          'created_at',
          'updated_at',
          'last_used_at',
          'last_used_service',
          'last_used_ip',
          'deleted_at',
        ])
        .where('account_id', '=', accountId)
        .where(isLiveKey())
        .orderBy('created_at')
        .orderBy('access_key_id')
        .execute();
      return {
        accountId,
        accountCreatedAt: account.created_at,
        users: users.map(toUser),
        accessKeys: keys.map(toAccessKeySummary),
      };
    },

    async saveCredentialReport(accountId, generatedAt, content) {
      await ctx.write((trx) =>
        trx
          .insertInto('credential_reports')
          .values({ account_id: accountId, generated_at: generatedAt, content })
          .onConflict((oc) => oc.column('account_id').doUpdateSet({ generated_at: generatedAt, content }))
          .execute(),
      );
    },

    async getCredentialReport(accountId) {
      const row = await db
        .selectFrom('credential_reports')
        .selectAll()
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return row && { accountId: row.account_id, generatedAt: row.generated_at, content: row.content };
    },
  };
}
