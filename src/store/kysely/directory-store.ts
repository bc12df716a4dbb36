// The resource directory aggregate on Kysely: which accounts a management account groups.
import type { Selectable } from 'kysely';
import type { DirectoryAccountsTable } from '../database.js';
import type { DirectoryAccountRecord, DirectoryStore } from '../store.js';
import type { StoreContext } from './context.js';

function toRecord(row: Selectable<DirectoryAccountsTable>): DirectoryAccountRecord {
  return {
    accountId: row.account_id,
    managementAccountId: row.management_account_id,
    joinedAt: row.joined_at,
  };
}

export function kyselyDirectoryStore(ctx: StoreContext): DirectoryStore {
  const { db } = ctx;
  return {
    async putDirectoryAccount(record) {
      const result = await db
        .insertInto('directory_accounts')
        .values({
          account_id: record.accountId,
          management_account_id: record.managementAccountId,
          joined_at: record.joinedAt,
        })
        .onConflict((oc) => oc.column('account_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async getDirectoryAccount(accountId) {
      const row = await db
        .selectFrom('directory_accounts')
        .selectAll()
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async listDirectoryAccounts(managementAccountId) {
      const rows = await db
        .selectFrom('directory_accounts')
        .selectAll()
        .where('management_account_id', '=', managementAccountId)
        .orderBy('account_id')
        .execute();
      return rows.map(toRecord);
    },

    async listAllDirectoryAccounts() {
      const rows = await db
        .selectFrom('directory_accounts')
        .selectAll()
        .orderBy('management_account_id')
        .orderBy('account_id')
        .execute();
      return rows.map(toRecord);
    },

    async removeDirectoryAccount(accountId) {
      const result = await db
        .deleteFrom('directory_accounts')
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async accountOfAccessKey(accessKeyId) {
      const row = await db
        .selectFrom('access_keys')
        .select('account_id')
        .where('access_key_id', '=', accessKeyId)
        .executeTakeFirst();
      return row?.account_id;
    },
  };
}
