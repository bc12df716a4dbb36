// The groups aggregate on Kysely: groups and their members. Names are unique per account
// case-insensitively, like user names.
import { sql } from 'kysely';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { GroupsTable } from '../database.js';
import type { GroupMember, GroupMembership, GroupPatch, GroupRecord, Page } from '../records.js';
import type { GroupStore } from '../store.js';
import { lockOf, type StoreContext } from './context.js';
import {
  checkLimit,
  checkPageLimit,
  isTrue,
  markerKey,
  toGroup,
  toGroupNameKey,
  toPage,
  toUser,
} from './support.js';

export function kyselyGroupStore(ctx: StoreContext): GroupStore {
  const { db } = ctx;
  return {
    async createGroup(group: GroupRecord, maxGroups: number): Promise<void> {
      checkLimit('createGroup', 'maxGroups', maxGroups);
      await ctx.write(async (trx) => {
        await ctx.lock(trx, lockOf.accountGroups(group.accountId));
        // Write first, count after (see the top of this file); throwing rolls the insert back.
        await ctx.unique('EntityAlreadyExists.Group', 'group name or ID already in use', () =>
          trx
            .insertInto('groups')
            .values({
              account_id: group.accountId,
              group_id: group.groupId,
              group_name: group.groupName,
              group_name_key: toGroupNameKey(group.groupName),
              comments: group.comments,
              created_at: group.createdAt,
              updated_at: group.updatedAt,
            })
            .execute(),
        );
        const { n } = await trx
          .selectFrom('groups')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', group.accountId)
          .executeTakeFirstOrThrow();
        // The count includes the group just inserted.
        if (n > maxGroups) throw new RamkeyError('LimitExceeded.Group');
      });
    },

    async getGroupByName(accountId: string, groupName: string): Promise<GroupRecord | undefined> {
      const row = await db
        .selectFrom('groups')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('group_name_key', '=', toGroupNameKey(groupName))
        .executeTakeFirst();
      return row && toGroup(row);
    },

    async getGroupById(accountId: string, groupId: string): Promise<GroupRecord | undefined> {
      const row = await db
        .selectFrom('groups')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('group_id', '=', groupId)
        .executeTakeFirst();
      return row && toGroup(row);
    },

    async updateGroup(
      accountId: string,
      groupName: string,
      patch: GroupPatch,
    ): Promise<GroupRecord | undefined> {
      const set: Partial<GroupsTable> = { updated_at: patch.updatedAt };
      if (patch.groupName !== undefined) {
        set.group_name = patch.groupName;
        set.group_name_key = toGroupNameKey(patch.groupName);
      }
      if (patch.comments !== undefined) set.comments = patch.comments;
      const row = await ctx.unique('EntityAlreadyExists.Group', 'new group name already in use', () =>
        ctx.write(
          (trx) =>
            trx
              .updateTable('groups')
              .set(set)
              .where('account_id', '=', accountId)
              .where('group_name_key', '=', toGroupNameKey(groupName))
              .returningAll()
              .executeTakeFirst(),
          (row) => row !== undefined,
        ),
      );
      return row && toGroup(row);
    },

    async listGroups(
      accountId: string,
      options: { after?: string; limit: number },
    ): Promise<Page<GroupRecord>> {
      const { limit } = options;
      checkPageLimit('listGroups', limit);
      const after = markerKey(options.after);
      let query = db.selectFrom('groups').selectAll().where('account_id', '=', accountId);
      if (after !== undefined) query = query.where('group_name_key', '>', after);
      const rows = await query
        .orderBy('group_name_key')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, (row) => row.group_name_key, toGroup);
    },

    async countGroups(accountId: string): Promise<number> {
      const row = await db
        .selectFrom('groups')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      return row.n;
    },

    async deleteGroup(accountId: string, groupId: string): Promise<boolean> {
      return ctx.write(
        async (trx) => {
          // AddUserToGroup and AttachPolicyToGroup take this lock too.
          await ctx.lock(trx, lockOf.group(accountId, groupId));
          const deleted = await trx
            .deleteFrom('groups as g')
            .where('g.account_id', '=', accountId)
            .where('g.group_id', '=', groupId)
            .where((eb) =>
              eb.and([
                eb.not(
                  eb.exists(
                    eb
                      .selectFrom('group_members as m')
                      .select('m.user_id')
                      .whereRef('m.account_id', '=', 'g.account_id')
                      .whereRef('m.group_id', '=', 'g.group_id'),
                  ),
                ),
                eb.not(
                  eb.exists(
                    eb
                      .selectFrom('group_policies as a')
                      .select('a.policy_name')
                      .whereRef('a.account_id', '=', 'g.account_id')
                      .whereRef('a.group_id', '=', 'g.group_id'),
                  ),
                ),
              ]),
            )
            .executeTakeFirst();
          if (deleted.numDeletedRows > 0n) return true;

          // As in deleteUser: no such group, or members, or else attached policies.
          const why = await trx
            .selectNoFrom((eb) => [
              eb
                .exists(
                  eb
                    .selectFrom('groups')
                    .select('group_id')
                    .where('account_id', '=', accountId)
                    .where('group_id', '=', groupId),
                )
                .as('found'),
              eb
                .exists(
                  eb
                    .selectFrom('group_members')
                    .select('user_id')
                    .where('account_id', '=', accountId)
                    .where('group_id', '=', groupId),
                )
                .as('members'),
            ])
            .executeTakeFirstOrThrow();
          if (!isTrue(why.found)) return false;
          if (isTrue(why.members)) throw new RamkeyError('DeleteConflict.Group.User');
          throw new RamkeyError('DeleteConflict.Group.Policy');
        },
        (deleted) => deleted,
      );
    },

    async addUserToGroup(
      membership: { accountId: string; userId: string; groupId: string; joinedAt: number },
      maxGroupsPerUser: number,
    ): Promise<void> {
      checkLimit('addUserToGroup', 'maxGroupsPerUser', maxGroupsPerUser);
      const { accountId, userId, groupId, joinedAt } = membership;
      await ctx.write(async (trx) => {
        // The principal's lock serializes the per-user count (and DeleteUser); the group's, DeleteGroup.
        await ctx.lock(trx, lockOf.principal(accountId, userId), lockOf.group(accountId, groupId));
        // Inserts nothing when the user or the group is missing (in this account) or already joined.
        const inserted = await trx
          .insertInto('group_members')
          .columns(['account_id', 'user_id', 'group_id', 'joined_at'])
          .expression(
            trx
              .selectFrom('users as u')
              .innerJoin('groups as g', 'g.account_id', 'u.account_id')
              .select([
                'u.account_id',
                'u.user_id',
                'g.group_id',
                sql<number>`cast(${joinedAt} as bigint)`.as('joined_at'),
              ])
              .where('u.account_id', '=', accountId)
              .where('u.user_id', '=', userId)
              .where('g.group_id', '=', groupId),
          )
          .onConflict((oc) => oc.columns(['account_id', 'user_id', 'group_id']).doNothing())
          .executeTakeFirst();
        if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) {
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
                .as('user'),
              eb
                .exists(
                  eb
                    .selectFrom('groups')
                    .select('group_id')
                    .where('account_id', '=', accountId)
                    .where('group_id', '=', groupId),
                )
                .as('group'),
            ])
            .executeTakeFirstOrThrow();
          if (!isTrue(why.user)) throw new RamkeyError('EntityNotExist.User');
          if (!isTrue(why.group)) throw new RamkeyError('EntityNotExist.Group');
          throw new RamkeyError('EntityAlreadyExists.User.Group');
        }
        const { n } = await trx
          .selectFrom('group_members')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountId)
          .where('user_id', '=', userId)
          .executeTakeFirstOrThrow();
        if (n > maxGroupsPerUser) throw new RamkeyError('LimitExceeded.User.Group');
      });
    },

    async removeUserFromGroup(accountId: string, userId: string, groupId: string): Promise<boolean> {
      const deleted = await ctx.write(
        (trx) =>
          trx
            .deleteFrom('group_members')
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .where('group_id', '=', groupId)
            .executeTakeFirst(),
        (r) => r.numDeletedRows > 0n,
      );
      return deleted.numDeletedRows > 0n;
    },

    async listGroupsForUser(accountId: string, userId: string): Promise<GroupMembership[]> {
      const rows = await db
        .selectFrom('group_members as m')
        .innerJoin('groups as g', (join) =>
          join.onRef('g.account_id', '=', 'm.account_id').onRef('g.group_id', '=', 'm.group_id'),
        )
        .selectAll('g')
        .select('m.joined_at')
        .where('m.account_id', '=', accountId)
        .where('m.user_id', '=', userId)
        .orderBy('m.joined_at')
        .orderBy('g.group_name_key')
        .execute();
      return rows.map((row) => ({ group: toGroup(row), joinedAt: row.joined_at }));
    },

    async listUsersForGroup(
      accountId: string,
      groupId: string,
      options: { after?: string; limit: number },
    ): Promise<Page<GroupMember>> {
      const { limit } = options;
      checkPageLimit('listUsersForGroup', limit);
      const after = markerKey(options.after);
      let query = db
        .selectFrom('group_members as m')
        .innerJoin('users as u', (join) =>
          join.onRef('u.account_id', '=', 'm.account_id').onRef('u.user_id', '=', 'm.user_id'),
        )
        .selectAll('u')
        .select('m.joined_at')
        .where('m.account_id', '=', accountId)
        .where('m.group_id', '=', groupId);
      if (after !== undefined) query = query.where('u.user_name_key', '>', after);
      const rows = await query
        .orderBy('u.user_name_key')
        .limit(limit + 1)
        .execute();
      return toPage(
        rows,
        limit,
        (row) => row.user_name_key,
        (row) => ({ user: toUser(row), joinedAt: row.joined_at }),
      );
    },
  };
}
