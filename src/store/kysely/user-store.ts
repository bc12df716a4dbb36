// The users aggregate on Kysely, and the users in the recycle bin. Names are unique per account
// case-insensitively (see toUserNameKey), counting the names users in the bin hold.
import type { Selectable, Transaction } from 'kysely';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { Database, RecycledUsersTable, UsersTable } from '../database.js';
import type { Page, RecycledUserRecord, UserPatch, UserRecord } from '../records.js';
import type { UserStore } from '../store.js';
import { INITIAL_KEY_STATE, isLiveKey, isRecycledKey, RECYCLED_KEY_STATE } from './access-key-state.js';
import { purgedColumns } from './access-key-store.js';
import { lockOf, type StoreContext } from './context.js';
import { checkPageLimit, isTrue, markerKey, toPage, toUser, toUserNameKey } from './support.js';

/** The columns a user has in both users and recycled_users. */
const USER_COLUMNS = [
  'user_id',
  'account_id',
  'user_name',
  'user_name_key',
  'display_name',
  'email',
  'mobile_phone',
  'comments',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof UsersTable)[];

function toRecycledUser(row: Selectable<RecycledUsersTable>): RecycledUserRecord {
  return { ...toUser(row), recycledAt: row.recycled_at, purgeAt: row.purge_at };
}

/**
 * Refuses (throwing, which rolls the write back) a name a user in the recycle bin holds at `now`.
 * Checked after the write, in its transaction (see context.ts): on PostgreSQL a concurrent move to
 * the bin commits its delete of the users row before this insert can pass the unique index, and this
 * read then sees its recycled_users row.
 */
async function checkNameNotInBin(
  trx: Transaction<Database>,
  accountId: string,
  userName: string,
  now: number,
): Promise<void> {
  const held = await trx
    .selectFrom('recycled_users')
    .select('user_id')
    .where('account_id', '=', accountId)
    .where('user_name_key', '=', toUserNameKey(userName))
    .where('purge_at', '>', now)
    .executeTakeFirst();
  if (held !== undefined) {
    throw new RamkeyError('EntityAlreadyExists.User', { detail: 'name held by a user in the recycle bin' });
  }
}

export function kyselyUserStore(ctx: StoreContext): UserStore {
  const { db } = ctx;
  return {
    async createUser(user: UserRecord): Promise<void> {
      await ctx.unique('EntityAlreadyExists.User', 'user name or ID already in use', () =>
        ctx.write(async (trx) => {
          await trx
            .insertInto('users')
            .values({
              account_id: user.accountId,
              user_id: user.userId,
              user_name: user.userName,
              user_name_key: toUserNameKey(user.userName),
              display_name: user.displayName,
              email: user.email,
              mobile_phone: user.mobilePhone,
              comments: user.comments,
              created_at: user.createdAt,
              updated_at: user.updatedAt,
            })
            .execute();
          await checkNameNotInBin(trx, user.accountId, user.userName, user.createdAt);
        }),
      );
    },

    async getUserByName(accountId: string, userName: string): Promise<UserRecord | undefined> {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('user_name_key', '=', toUserNameKey(userName))
        .executeTakeFirst();
      return row && toUser(row);
    },

    async getUserById(accountId: string, userId: string): Promise<UserRecord | undefined> {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row && toUser(row);
    },

    async updateUser(accountId: string, userName: string, patch: UserPatch): Promise<UserRecord | undefined> {
      const set: Partial<UsersTable> = { updated_at: patch.updatedAt };
      if (patch.userName !== undefined) {
        set.user_name = patch.userName;
        set.user_name_key = toUserNameKey(patch.userName);
      }
      if (patch.displayName !== undefined) set.display_name = patch.displayName;
      if (patch.email !== undefined) set.email = patch.email;
      if (patch.mobilePhone !== undefined) set.mobile_phone = patch.mobilePhone;
      if (patch.comments !== undefined) set.comments = patch.comments;

      // One statement with RETURNING (both engines have it): no window between the write and the read;
      // a new name is then checked against the recycle bin in the same transaction.
      const row = await ctx.unique('EntityAlreadyExists.User', 'new user name already in use', () =>
        ctx.write(
          async (trx) => {
            const row = await trx
              .updateTable('users')
              .set(set)
              .where('account_id', '=', accountId)
              .where('user_name_key', '=', toUserNameKey(userName))
              .returningAll()
              .executeTakeFirst();
            if (row !== undefined && patch.userName !== undefined) {
              await checkNameNotInBin(trx, accountId, patch.userName, patch.updatedAt);
            }
            return row;
          },
          (row) => row !== undefined,
        ),
      );
      return row && toUser(row);
    },

    async listUsers(
      accountId: string,
      options: { after?: string; limit: number },
    ): Promise<Page<UserRecord>> {
      const { limit } = options;
      checkPageLimit('listUsers', limit);
      const after = markerKey(options.after);
      let query = db.selectFrom('users').selectAll().where('account_id', '=', accountId);
      if (after !== undefined) query = query.where('user_name_key', '>', after);
      // One row more than asked tells whether another page follows without a second query.
      const rows = await query
        .orderBy('user_name_key')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, (row) => row.user_name_key, toUser);
    },

    async countUsers(accountId: string): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      return row.n;
    },

    async recycleUser(accountId, userId, bin) {
      return ctx.write(
        async (trx) => {
          // Every writer that adds a key, a membership or an attachment to the user takes this lock.
          await ctx.lock(trx, lockOf.principal(accountId, userId));
          // The write comes first (see context.ts) and moves only a user nothing hangs on: RAM's
          // conflicts for groups, attached policies and a bound MFA device stay; its keys go to the
          // bin with it.
          const moved = await trx
            .insertInto('recycled_users')
            .columns([...USER_COLUMNS, 'recycled_at', 'purge_at'])
            .expression((eb) =>
              eb
                .selectFrom('users as u')
                .select([
                  ...USER_COLUMNS.map((c) => `u.${c}` as const),
                  eb.val(bin.now).as('recycled_at'),
                  eb.val(bin.purgeAt).as('purge_at'),
                ])
                .where('u.account_id', '=', accountId)
                .where('u.user_id', '=', userId)
                .where((w) =>
                  w.and([
                    w.not(
                      w.exists(
                        w
                          .selectFrom('group_members as m')
                          .select('m.group_id')
                          .whereRef('m.account_id', '=', 'u.account_id')
                          .whereRef('m.user_id', '=', 'u.user_id'),
                      ),
                    ),
                    w.not(
                      w.exists(
                        w
                          .selectFrom('user_policies as a')
                          .select('a.policy_name')
                          .whereRef('a.account_id', '=', 'u.account_id')
                          .whereRef('a.user_id', '=', 'u.user_id'),
                      ),
                    ),
                    // A bound MFA device stays a conflict, as on RAM: the recycle bin must not take
                    // (or silently drop) a binding.
                    w.not(
                      w.exists(
                        w
                          .selectFrom('virtual_mfa_devices as v')
                          .select('v.device_name')
                          .whereRef('v.account_id', '=', 'u.account_id')
                          .whereRef('v.user_id', '=', 'u.user_id'),
                      ),
                    ),
                  ]),
                ),
            )
            .executeTakeFirst();
          if ((moved.numInsertedOrUpdatedRows ?? 0n) === 0n) {
            // Nothing moved: no such user, or one of the three conditions held (and under the lock
            // still holds).
            const why = await trx
              .selectNoFrom((eb) => [
                eb
                  .exists(
                    eb
                      .selectFrom('users')
                      .select('user_id')
                      .where('account_id', '=', accountId)
                      .where('user_id', '=', userId),
                  )
                  .as('found'),
                eb
                  .exists(
                    eb
                      .selectFrom('group_members')
                      .select('group_id')
                      .where('account_id', '=', accountId)
                      .where('user_id', '=', userId),
                  )
                  .as('groups'),
                eb
                  .exists(
                    eb
                      .selectFrom('user_policies')
                      .select('policy_name')
                      .where('account_id', '=', accountId)
                      .where('user_id', '=', userId),
                  )
                  .as('policies'),
              ])
              .executeTakeFirstOrThrow();
            if (!isTrue(why.found)) return undefined;
            if (isTrue(why.groups)) throw new RamkeyError('DeleteConflict.User.Group');
            if (isTrue(why.policies)) throw new RamkeyError('DeleteConflict.User.Policy');
            throw new RamkeyError('DeleteConflict.User.MFADevice');
          }
          await trx
            .deleteFrom('users')
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .execute();
          const keys = await trx
            .updateTable('access_keys')
            .set({
              state: RECYCLED_KEY_STATE,
              deleted_at: bin.now,
              purge_at: bin.purgeAt,
              recycled_with_user: 1,
              updated_at: bin.now,
            })
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .where(isLiveKey())
            .returning('access_key_id')
            .execute();
          return keys.map((k) => k.access_key_id);
        },
        (keys) => keys !== undefined,
      );
    },

    async getRecycledUser(accountId, userId, now) {
      const row = await db
        .selectFrom('recycled_users')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .where('purge_at', '>', now)
        .executeTakeFirst();
      return row && toRecycledUser(row);
    },

    async getRecycledUserByName(accountId, userName, now) {
      // At most one: a name is held while its user's purge is not due (see createUser).
      const row = await db
        .selectFrom('recycled_users')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('user_name_key', '=', toUserNameKey(userName))
        .where('purge_at', '>', now)
        .orderBy('recycled_at', 'desc')
        .executeTakeFirst();
      return row && toRecycledUser(row);
    },

    async listRecycledUsers(accountId, options) {
      const { limit, now } = options;
      checkPageLimit('listRecycledUsers', limit);
      const after = markerKey(options.after);
      let query = db
        .selectFrom('recycled_users')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('purge_at', '>', now);
      if (after !== undefined) query = query.where('user_name_key', '>', after);
      const rows = await query
        .orderBy('user_name_key')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, (row) => row.user_name_key, toRecycledUser);
    },

    async restoreUser(accountId, userId, now) {
      return ctx.unique('EntityAlreadyExists.User', 'restored user name in use', () =>
        ctx.write(
          async (trx) => {
            await ctx.lock(trx, lockOf.principal(accountId, userId));
            const restored = await trx
              .insertInto('users')
              .columns([...USER_COLUMNS])
              .expression((eb) =>
                eb
                  .selectFrom('recycled_users')
                  .select(USER_COLUMNS.map((c) => (c === 'updated_at' ? eb.val(now).as(c) : c)))
                  .where('account_id', '=', accountId)
                  .where('user_id', '=', userId)
                  .where('purge_at', '>', now),
              )
              .returningAll()
              .executeTakeFirst();
            if (restored === undefined) return undefined;
            await trx
              .deleteFrom('recycled_users')
              .where('account_id', '=', accountId)
              .where('user_id', '=', userId)
              .execute();
            // The keys that went with the user come back with it, Inactive; those deleted one by one
            // before it stay in the bin.
            const keys = await trx
              .updateTable('access_keys')
              .set({
                state: INITIAL_KEY_STATE,
                status: 'Inactive',
                deleted_at: null,
                purge_at: null,
                recycled_with_user: 0,
                updated_at: now,
              })
              .where('account_id', '=', accountId)
              .where('user_id', '=', userId)
              .where(isRecycledKey())
              .where('recycled_with_user', '=', 1)
              .returning('access_key_id')
              .execute();
            return { user: toUser(restored), accessKeyIds: keys.map((k) => k.access_key_id) };
          },
          (outcome) => outcome !== undefined,
        ),
      );
    },

    async purgeRecycledUser(accountId, userId, now) {
      return ctx.write(
        async (trx) => {
          await ctx.lock(trx, lockOf.principal(accountId, userId));
          const removed = await trx
            .deleteFrom('recycled_users')
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .executeTakeFirst();
          if (removed.numDeletedRows === 0n) return undefined;
          await trx
            .deleteFrom('login_profiles')
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .execute();
          const keys = await trx
            .updateTable('access_keys')
            .set(purgedColumns(now))
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .where(isRecycledKey())
            .returning('access_key_id')
            .execute();
          return keys.map((k) => k.access_key_id);
        },
        (keys) => keys !== undefined,
      );
    },

    async listDueUsers(now, limit) {
      checkPageLimit('listDueUsers', limit);
      const rows = await db
        .selectFrom('recycled_users')
        .selectAll()
        .where('purge_at', '<=', now)
        .orderBy('purge_at')
        .orderBy('user_id')
        .limit(limit)
        .execute();
      return rows.map(toRecycledUser);
    },
  };
}
