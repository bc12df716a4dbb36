// The network access policies aggregate on Kysely: one AccessKeyPolicy document per account and per key.
import type { Selectable } from 'kysely';
import type { AccessKeyPoliciesTable } from '../database.js';
import type { AccessKeyPolicyRecord } from '../records.js';
import type { AccessKeyPolicyStore } from '../store.js';
import { isLiveKey } from './access-key-state.js';
import type { StoreContext } from './context.js';

/** The account-level policy's row names no key. */
const ACCOUNT_LEVEL = '';

function toRecord(row: Selectable<AccessKeyPoliciesTable>): AccessKeyPolicyRecord {
  return {
    accountId: row.account_id,
    accessKeyId: row.access_key_id === ACCOUNT_LEVEL ? null : row.access_key_id,
    document: row.document,
    updatedAt: row.updated_at,
  };
}

export function kyselyAccessKeyPolicyStore(ctx: StoreContext): AccessKeyPolicyStore {
  const { db } = ctx;
  return {
    async getAccessKeyPolicy(accountId, accessKeyId) {
      const row = await db
        .selectFrom('access_key_policies')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('access_key_id', '=', accessKeyId ?? ACCOUNT_LEVEL)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async putAccountAccessKeyPolicy(accountId, document, now) {
      await ctx.write((trx) =>
        trx
          .insertInto('access_key_policies')
          .values({ account_id: accountId, access_key_id: ACCOUNT_LEVEL, document, updated_at: now })
          .onConflict((oc) =>
            oc.columns(['account_id', 'access_key_id']).doUpdateSet({ document, updated_at: now }),
          )
          .execute(),
      );
    },

    async putAccessKeyPolicy(owner, accessKeyId, document, now) {
      // One statement: the row is written only while the key is a live key of that principal, so a
      // key of another principal (or account) is never given a policy.
      const result = await ctx.write(
        (trx) =>
          trx
            .insertInto('access_key_policies')
            .columns(['account_id', 'access_key_id', 'document', 'updated_at'])
            .expression((eb) =>
              eb
                .selectFrom('access_keys')
                .select((k) => [
                  k.ref('account_id').as('account_id'),
                  k.ref('access_key_id').as('access_key_id'),
                  k.val(document).as('document'),
                  k.val(now).as('updated_at'),
                ])
                .where('access_key_id', '=', accessKeyId)
                .where('account_id', '=', owner.accountId)
                .where('user_id', owner.userId === null ? 'is' : '=', owner.userId)
                .where(isLiveKey()),
            )
            .onConflict((oc) =>
              oc.columns(['account_id', 'access_key_id']).doUpdateSet({ document, updated_at: now }),
            )
            .executeTakeFirst(),
        (r) => Number(r.numInsertedOrUpdatedRows ?? 0) > 0,
      );
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async listAccessKeyPolicies(accountId) {
      const rows = await db
        .selectFrom('access_key_policies')
        .selectAll()
        .where('account_id', '=', accountId)
        .execute();
      return rows.map(toRecord);
    },
  };
}
