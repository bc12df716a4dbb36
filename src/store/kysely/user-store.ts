// The users aggregate on Kysely. Names are unique per account case-insensitively (see toUserNameKey).
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { UsersTable } from '../database.js';
import type { Page, UserPatch, UserRecord } from '../records.js';
import type { UserStore } from '../store.js';
import { isLiveKey } from './access-key-state.js';
import { lockOf, type StoreContext } from './context.js';
import { checkPageLimit, isTrue, markerKey, toPage, toUser, toUserNameKey } from './support.js';

export function kyselyUserStore(ctx: StoreContext): UserStore {
  const { db } = ctx;
  return {
    async createUser(user: UserRecord): Promise<void> {
      await ctx.unique('EntityAlreadyExists.User', 'user name or ID already in use', () =>
        ctx.write((trx) =>
          trx
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
            .execute(),
        ),
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

      // One statement with RETURNING (both engines have it): no window between the write and the read.
      const row = await ctx.unique('EntityAlreadyExists.User', 'new user name already in use', () =>
        ctx.write(
          (trx) =>
            trx
              .updateTable('users')
              .set(set)
              .where('account_id', '=', accountId)
              .where('user_name_key', '=', toUserNameKey(userName))
              .returningAll()
              .executeTakeFirst(),
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

    async deleteUser(accountId: string, userId: string): Promise<boolean> {
      return ctx.write(
        async (trx) => {
          // Every writer that adds a key, a membership or an attachment to the user takes this lock.
          await ctx.lock(trx, lockOf.principal(accountId, userId));
          // The write comes first and deletes only a user nothing hangs on (see the top of this file).
          const deleted = await trx
            .deleteFrom('users as u')
            .where('u.account_id', '=', accountId)
            .where('u.user_id', '=', userId)
            .where((eb) =>
              eb.and([
                eb.not(
                  eb.exists(
                    eb
                      .selectFrom('access_keys as k')
                      .select('k.access_key_id')
                      .whereRef('k.account_id', '=', 'u.account_id')
                      .whereRef('k.user_id', '=', 'u.user_id')
                      .where(isLiveKey('k')),
                  ),
                ),
                eb.not(
                  eb.exists(
                    eb
                      .selectFrom('group_members as m')
                      .select('m.group_id')
                      .whereRef('m.account_id', '=', 'u.account_id')
                      .whereRef('m.user_id', '=', 'u.user_id'),
                  ),
                ),
                eb.not(
                  eb.exists(
                    eb
                      .selectFrom('user_policies as a')
                      .select('a.policy_name')
                      .whereRef('a.account_id', '=', 'u.account_id')
                      .whereRef('a.user_id', '=', 'u.user_id'),
                  ),
                ),
              ]),
            )
            .executeTakeFirst();
          if (deleted.numDeletedRows > 0n) return true;

          // Nothing deleted: no such user, or one of the three conditions held (and under the lock still
          // holds), the last one when not the first two.
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
                    .selectFrom('access_keys')
                    .select('access_key_id')
                    .where('account_id', '=', accountId)
                    .where('user_id', '=', userId)
                    .where(isLiveKey()),
                )
                .as('keys'),
              eb
                .exists(
                  eb
                    .selectFrom('group_members')
                    .select('group_id')
                    .where('account_id', '=', accountId)
                    .where('user_id', '=', userId),
                )
                .as('groups'),
            ])
            .executeTakeFirstOrThrow();
          if (!isTrue(why.found)) return false;
          if (isTrue(why.keys)) throw new RamkeyError('DeleteConflict.User.AccessKey');
          if (isTrue(why.groups)) throw new RamkeyError('DeleteConflict.User.Group');
          throw new RamkeyError('DeleteConflict.User.Policy');
        },
        (deleted) => deleted,
      );
    },
  };
}
