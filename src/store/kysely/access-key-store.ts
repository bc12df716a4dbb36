// The AccessKeys aggregate on Kysely: keys, their limit per principal, their lifecycle (live, then
// purged; see AccessKeyState and access-key-state.ts) and their last use.
import { sql, type Selectable, type Transaction } from 'kysely';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { AccessKeysTable, Database } from '../database.js';
import type { AccessKeyRecord, LastUsedUpdate } from '../records.js';
import type { AccessKeyStore } from '../store.js';
import { INITIAL_KEY_STATE, isLiveKey, toAccessKeyState } from './access-key-state.js';
import { lockOf, type StoreContext } from './context.js';
import { checkLimit, toAccessKeySummary } from './support.js';

/** Keys per last-use UPDATE statement: 4 bound values each, far under either engine's limit. */
const LAST_USED_ROWS = 500;

function toAccessKey(row: Selectable<AccessKeysTable>): AccessKeyRecord {
  return {
    ...toAccessKeySummary(row),
    sealedSecret: row.sealed_secret,
    state: toAccessKeyState(row.state),
  };
}

async function countLiveKeys(
  trx: Transaction<Database>,
  accountId: string,
  userId: string | null,
): Promise<number> {
  const row = await trx
    .selectFrom('access_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('user_id', userId === null ? 'is' : '=', userId)
    .where(isLiveKey())
    .executeTakeFirstOrThrow();
  return row.n;
}

/** The latest update per key (the first of equal instants), as applying them in turn would leave. */
function latestPerKey(updates: readonly LastUsedUpdate[]): LastUsedUpdate[] {
  const latest = new Map<string, LastUsedUpdate>();
  for (const update of updates) {
    const seen = latest.get(update.accessKeyId);
    if (seen === undefined || update.lastUsedAt > seen.lastUsedAt) latest.set(update.accessKeyId, update);
  }
  return [...latest.values()];
}

/**
 * Applies last-use updates, a few hundred keys per statement. The guard makes a late or out-of-order
 * flush harmless: lastUsedAt only moves forward. Unknown keys are skipped. Each key appears once per
 * statement, as PostgreSQL picks an arbitrary source row when several match one target.
 */
export async function recordLastUse(
  trx: Transaction<Database>,
  updates: readonly LastUsedUpdate[],
): Promise<void> {
  const rows = latestPerKey(updates);
  for (let at = 0; at < rows.length; at += LAST_USED_ROWS) {
    // Casts type the VALUES columns: PostgreSQL would otherwise take the parameters as text.
    const values = rows
      .slice(at, at + LAST_USED_ROWS)
      .map(
        (u) =>
          sql`(cast(${u.accessKeyId} as text), cast(${u.lastUsedAt} as bigint), cast(${u.lastUsedService} as text), cast(${u.lastUsedIp} as text))`,
      );
    await sql`
      with v(access_key_id, last_used_at, last_used_service, last_used_ip) as (values ${sql.join(values)})
      update access_keys
      set last_used_at = v.last_used_at, last_used_service = v.last_used_service, last_used_ip = v.last_used_ip
      from v
      where access_keys.access_key_id = v.access_key_id
        and (access_keys.last_used_at is null or access_keys.last_used_at < v.last_used_at)
    `.execute(trx);
  }
}

export function kyselyAccessKeyStore(ctx: StoreContext): AccessKeyStore {
  const { db } = ctx;
  return {
    async createAccessKey(key, maxLiveKeys) {
      checkLimit('createAccessKey', 'maxLiveKeys', maxLiveKeys);
      // A new key is live: one that left the live state cannot be created, only reached.
      if (key.deletedAt !== null) throw new RangeError('createAccessKey: deletedAt must be null');
      await ctx.write(async (trx) => {
        await ctx.lock(trx, lockOf.principal(key.accountId, key.userId));
        // Write first, check after (see context.ts); throwing rolls the insert back.
        // IDs carry 95 random bits, so a clash means a broken generator: no catalog code fits, and
        // InternalError is retryable with a fresh ID.
        await ctx.unique('InternalError', 'AccessKey ID already issued', () =>
          trx
            .insertInto('access_keys')
            .values({
              access_key_id: key.accessKeyId,
              account_id: key.accountId,
              user_id: key.userId,
              status: key.status,
              state: INITIAL_KEY_STATE,
              sealed_secret: key.sealedSecret,
              created_at: key.createdAt,
              updated_at: key.updatedAt,
              last_used_at: key.lastUsedAt,
              last_used_service: key.lastUsedService,
              last_used_ip: key.lastUsedIp,
              deleted_at: null,
            })
            .execute(),
        );
        if (key.userId !== null) {
          const user = await trx
            .selectFrom('users')
            .select('user_id')
            .where('account_id', '=', key.accountId)
            .where('user_id', '=', key.userId)
            .executeTakeFirst();
          if (user === undefined) throw new RamkeyError('EntityNotExist.User');
        }
        // The count includes the row just inserted.
        if ((await countLiveKeys(trx, key.accountId, key.userId)) > maxLiveKeys) {
          throw new RamkeyError('LimitExceeded.User.AccessKey');
        }
      });
    },

    async getAccessKey(accessKeyId) {
      const row = await db
        .selectFrom('access_keys')
        .selectAll()
        .where('access_key_id', '=', accessKeyId)
        .where(isLiveKey())
        .executeTakeFirst();
      return row && toAccessKey(row);
    },

    async listAccessKeys(accountId, userId) {
      const rows = await db
        .selectFrom('access_keys')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('user_id', userId === null ? 'is' : '=', userId)
        .where(isLiveKey())
        .orderBy('created_at')
        .orderBy('access_key_id')
        .execute();
      return rows.map(toAccessKey);
    },

    async countAccessKeys(accountId) {
      const row = await db
        .selectFrom('access_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where(isLiveKey())
        .executeTakeFirstOrThrow();
      return row.n;
    },

    async updateAccessKeyStatus(accountId, userId, accessKeyId, status, now) {
      const result = await ctx.write(
        (trx) =>
          trx
            .updateTable('access_keys')
            .set({ status, updated_at: now })
            .where('access_key_id', '=', accessKeyId)
            .where('account_id', '=', accountId)
            .where('user_id', userId === null ? 'is' : '=', userId)
            .where(isLiveKey())
            .executeTakeFirst(),
        (r) => r.numUpdatedRows > 0n,
      );
      return result.numUpdatedRows > 0n;
    },

    async deleteAccessKey(accountId, userId, accessKeyId, now) {
      // Purged, not removed: the row keeps the ID taken for good (IDs are never reused) and lets the
      // audit trail name the key's owner; the secret is erased so that nothing can ever use it again.
      const result = await ctx.write(
        (trx) =>
          trx
            .updateTable('access_keys')
            .set({ state: 'purged', sealed_secret: '', deleted_at: now, updated_at: now })
            .where('access_key_id', '=', accessKeyId)
            .where('account_id', '=', accountId)
            .where('user_id', userId === null ? 'is' : '=', userId)
            .where(isLiveKey())
            .executeTakeFirst(),
        (r) => r.numUpdatedRows > 0n,
      );
      return result.numUpdatedRows > 0n;
    },

    async findAccessKey(accountId, accessKeyId) {
      const row = await db
        .selectFrom('access_keys')
        .selectAll()
        .where('access_key_id', '=', accessKeyId)
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return row && toAccessKey(row);
    },
  };
}
