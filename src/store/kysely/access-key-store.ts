// The AccessKeys aggregate on Kysely: keys, their limit per principal, their lifecycle (live, the
// recycle bin, purged; see AccessKeyState and access-key-state.ts), idle keys and their last use.
import { sql, type Selectable, type SqlBool, type Transaction } from 'kysely';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { AccessKeysTable, Database } from '../database.js';
import { DAY_MS } from '../../core/clock.js';
import type { AccessKeyRecord, LastUsedUpdate, RecycledAccessKey } from '../records.js';
import type { AccessKeyStore } from '../store.js';
import {
  INITIAL_KEY_STATE,
  isLiveKey,
  isRecycledKey,
  PURGED_KEY_STATE,
  RECYCLED_KEY_STATE,
  toAccessKeyState,
} from './access-key-state.js';
import { lockOf, type StoreContext } from './context.js';
import { checkLimit, checkPageLimit, toAccessKeySummary } from './support.js';

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

/** A recycled key's row as the bin shows it; `purge_at` and `deleted_at` are set in that state. */
export function toRecycledAccessKey(
  row: Pick<
    Selectable<AccessKeysTable>,
    | 'access_key_id'
    | 'account_id'
    | 'user_id'
    | 'created_at'
    | 'deleted_at'
    | 'purge_at'
    | 'recycled_with_user'
  >,
): RecycledAccessKey {
  if (row.deleted_at === null || row.purge_at === null) throw new Error('recycled key without its dates');
  return {
    accessKeyId: row.access_key_id,
    accountId: row.account_id,
    userId: row.user_id,
    createdAt: row.created_at,
    recycledAt: row.deleted_at,
    purgeAt: row.purge_at,
    withUser: row.recycled_with_user === 1,
  };
}

const RECYCLED_COLUMNS = [
  'access_key_id',
  'account_id',
  'user_id',
  'created_at',
  'deleted_at',
  'purge_at',
  'recycled_with_user',
] as const;

/**
 * What purging sets: the key leaves the bin for good and its secret is erased. The row stays (the
 * ID is never issued again; the audit trail still names the key's owner) with deleted_at, when it
 * left the live state.
 */
export function purgedColumns(now: number) {
  return {
    state: PURGED_KEY_STATE,
    sealed_secret: '',
    purge_at: null,
    recycled_with_user: 0,
    updated_at: now,
  };
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

    async recycleAccessKey(accountId, userId, accessKeyId, bin) {
      checkLimit('recycleAccessKey', 'maxRecycledKeys', bin.maxRecycledKeys);
      return ctx.write(
        async (trx) => {
          // The bin's count per principal is checked here: the same lock as every key write of it.
          await ctx.lock(trx, lockOf.principal(accountId, userId));
          const moved = await trx
            .updateTable('access_keys')
            .set({
              state: RECYCLED_KEY_STATE,
              deleted_at: bin.now,
              purge_at: bin.purgeAt,
              recycled_with_user: 0,
              updated_at: bin.now,
            })
            .where('access_key_id', '=', accessKeyId)
            .where('account_id', '=', accountId)
            .where('user_id', userId === null ? 'is' : '=', userId)
            .where(isLiveKey())
            .executeTakeFirst();
          if (moved.numUpdatedRows === 0n) return undefined;
          const inBin = await trx
            .selectFrom('access_keys')
            .select(['access_key_id', 'deleted_at'])
            .where('account_id', '=', accountId)
            .where('user_id', userId === null ? 'is' : '=', userId)
            .where(isRecycledKey())
            .where('recycled_with_user', '=', 0)
            .execute();
          // Newest first, the key just recycled before any other (clocks may tie): the rest past the
          // limit are the oldest, and are pushed out for good.
          const order = (r: { access_key_id: string; deleted_at: number | null }) =>
            r.access_key_id === accessKeyId ? Number.MAX_SAFE_INTEGER : (r.deleted_at ?? 0);
          const pushedOut = inBin
            .sort((a, b) => order(b) - order(a) || (a.access_key_id < b.access_key_id ? 1 : -1))
            .slice(bin.maxRecycledKeys)
            .map((r) => r.access_key_id);
          if (pushedOut.length > 0) {
            await trx
              .updateTable('access_keys')
              .set(purgedColumns(bin.now))
              .where('access_key_id', 'in', pushedOut)
              .where(isRecycledKey())
              .execute();
          }
          return { purged: pushedOut };
        },
        (outcome) => outcome !== undefined,
      );
    },

    async listRecycledAccessKeys(accountId, userId, now) {
      const rows = await db
        .selectFrom('access_keys')
        .select(RECYCLED_COLUMNS)
        .where('account_id', '=', accountId)
        .where('user_id', userId === null ? 'is' : '=', userId)
        .where(isRecycledKey())
        .where('purge_at', '>', now)
        .orderBy('deleted_at')
        .orderBy('access_key_id')
        .execute();
      return rows.map(toRecycledAccessKey);
    },

    async getRecycledAccessKey(accountId, accessKeyId, now) {
      const row = await db
        .selectFrom('access_keys')
        .select(RECYCLED_COLUMNS)
        .where('access_key_id', '=', accessKeyId)
        .where('account_id', '=', accountId)
        .where(isRecycledKey())
        .where('purge_at', '>', now)
        .executeTakeFirst();
      return row && toRecycledAccessKey(row);
    },

    async restoreAccessKey(accountId, userId, accessKeyId, now, maxLiveKeys) {
      checkLimit('restoreAccessKey', 'maxLiveKeys', maxLiveKeys);
      return ctx.write(
        async (trx) => {
          await ctx.lock(trx, lockOf.principal(accountId, userId));
          // Write first, check after (see context.ts); throwing rolls the restore back. A restored key
          // is Inactive whatever it was: nothing starts working again by surprise.
          const restored = await trx
            .updateTable('access_keys')
            .set({
              state: INITIAL_KEY_STATE,
              status: 'Inactive',
              deleted_at: null,
              purge_at: null,
              recycled_with_user: 0,
              updated_at: now,
            })
            .where('access_key_id', '=', accessKeyId)
            .where('account_id', '=', accountId)
            .where('user_id', userId === null ? 'is' : '=', userId)
            .where(isRecycledKey())
            .where('purge_at', '>', now)
            .executeTakeFirst();
          if (restored.numUpdatedRows === 0n) return false;
          if (userId !== null) {
            // A key of a user in the recycle bin comes back with its user, not alone.
            const user = await trx
              .selectFrom('users')
              .select('user_id')
              .where('account_id', '=', accountId)
              .where('user_id', '=', userId)
              .executeTakeFirst();
            if (user === undefined) throw new RamkeyError('EntityNotExist.User');
          }
          if ((await countLiveKeys(trx, accountId, userId)) > maxLiveKeys) {
            throw new RamkeyError('LimitExceeded.User.AccessKey');
          }
          return true;
        },
        (restored) => restored,
      );
    },

    async purgeAccessKey(accountId, userId, accessKeyId, now) {
      const result = await ctx.write(
        (trx) =>
          trx
            .updateTable('access_keys')
            .set(purgedColumns(now))
            .where('access_key_id', '=', accessKeyId)
            .where('account_id', '=', accountId)
            .where('user_id', userId === null ? 'is' : '=', userId)
            .where(isRecycledKey())
            .executeTakeFirst(),
        (r) => r.numUpdatedRows > 0n,
      );
      return result.numUpdatedRows > 0n;
    },

    async listDueAccessKeys(now, limit) {
      checkPageLimit('listDueAccessKeys', limit);
      const rows = await db
        .selectFrom('access_keys')
        .select(RECYCLED_COLUMNS)
        .where(isRecycledKey())
        .where('purge_at', '<=', now)
        .orderBy('purge_at')
        .orderBy('access_key_id')
        .limit(limit)
        .execute();
      return rows.map(toRecycledAccessKey);
    },

    async listIdleAccessKeys(now, defaultMaxIdleDays, limit) {
      checkPageLimit('listIdleAccessKeys', limit);
      checkLimit('listIdleAccessKeys', 'defaultMaxIdleDays', defaultMaxIdleDays);
      // Idle since the last use, or since creation for a key never used; the account's setting, or
      // the default where it never set one.
      const rows = await db
        .selectFrom('access_keys as k')
        .leftJoin('security_preferences as p', 'p.account_id', 'k.account_id')
        .select((eb) => [
          'k.access_key_id',
          'k.account_id',
          'k.user_id',
          'k.created_at',
          'k.last_used_at',
          eb.fn.coalesce('p.max_idle_days_for_access_keys', eb.val(defaultMaxIdleDays)).as('max_idle_days'),
        ])
        .where(isLiveKey('k'))
        .where('k.status', '=', 'Active')
        .where(
          sql<SqlBool>`coalesce(k.last_used_at, k.created_at) <= cast(${now} as bigint) - coalesce(p.max_idle_days_for_access_keys, cast(${defaultMaxIdleDays} as integer)) * cast(${DAY_MS} as bigint)`,
        )
        .orderBy(sql`coalesce(k.last_used_at, k.created_at)`)
        .orderBy('k.access_key_id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        accessKeyId: r.access_key_id,
        accountId: r.account_id,
        userId: r.user_id,
        createdAt: r.created_at,
        lastUsedAt: r.last_used_at,
        maxIdleDays: r.max_idle_days,
      }));
    },

    async disableIdleAccessKey(accessKeyId, unusedSince, now) {
      const result = await ctx.write(
        (trx) =>
          trx
            .updateTable('access_keys')
            .set({ status: 'Inactive', updated_at: now })
            .where('access_key_id', '=', accessKeyId)
            .where(isLiveKey())
            .where('status', '=', 'Active')
            .where(sql<SqlBool>`coalesce(last_used_at, created_at) <= cast(${unusedSince} as bigint)`)
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
