// The policy attachments aggregate on Kysely: one implementation attaches, detaches and lists for
// users and for groups alike (see AttachmentTarget); what applies to a user reads both.
import { sql, type Transaction } from 'kysely';
import type { ErrorCode } from '../../core/errors/catalog.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { Database } from '../database.js';
import {
  type EffectivePolicy,
  type PolicyEntities,
  type PolicyAttachmentLimits,
  type PolicyType,
} from '../records.js';
import type { AttachmentStore } from '../store.js';
import { lockOf, type LockName, type StoreContext } from './context.js';
import { checkLimit, compareText, toGroup, toPolicyNameKey, toUser } from './support.js';

/** What policies are attached to: a user or a group, each with its own table and codes. */
interface AttachmentTarget {
  /** The attachment table; both have one shape but for the owner's ID column. */
  table: 'user_policies' | 'group_policies';
  /** The owners' table and its ID column. */
  owners: 'users' | 'groups';
  ownerId: 'user_id' | 'group_id';
  /** The owner's lock: it serializes the per-owner count and the owner's delete. */
  lock(accountId: string, ownerId: string): LockName;
  notExist: ErrorCode;
  limitExceeded: ErrorCode;
  /** The attach method's name, for argument errors. */
  attachMethod: string;
}

const USER_TARGET: AttachmentTarget = {
  table: 'user_policies',
  owners: 'users',
  ownerId: 'user_id',
  lock: lockOf.principal,
  notExist: 'EntityNotExist.User',
  limitExceeded: 'LimitExceeded.User.Policy',
  attachMethod: 'attachPolicyToUser',
};

const GROUP_TARGET: AttachmentTarget = {
  table: 'group_policies',
  owners: 'groups',
  ownerId: 'group_id',
  lock: lockOf.group,
  notExist: 'EntityNotExist.Group',
  limitExceeded: 'LimitExceeded.Group.Policy',
  attachMethod: 'attachPolicyToGroup',
};

interface AttachmentRow {
  account_id: string;
  owner_id: string;
  policy_type: string;
  policy_name: string;
  attached_at: number;
}

const POLICY_TYPES: ReadonlySet<string> = new Set<PolicyType>(['System', 'Custom']);

function checkAttachment(method: string, policyType: PolicyType, limits: PolicyAttachmentLimits): void {
  // The type picks the limit: an unchecked string from a caller must not pick none.
  if (!POLICY_TYPES.has(policyType)) {
    throw new RangeError(`${method}: policyType must be System or Custom`);
  }
  checkLimit(method, 'limits.System', limits.System);
  checkLimit(method, 'limits.Custom', limits.Custom);
}

async function policyExists(
  trx: Transaction<Database>,
  accountId: string,
  policyNameKey: string,
): Promise<boolean> {
  const row = await trx
    .selectFrom('policies')
    .select('policy_name')
    .where('account_id', '=', accountId)
    .where('policy_name_key', '=', policyNameKey)
    .executeTakeFirst();
  return row !== undefined;
}

/** Attach, detach and list for one target. */
function targetAttachments(ctx: StoreContext, target: AttachmentTarget) {
  const { db } = ctx;
  // The queries are typed as the user's (table, owners, ID column) and run on the target's: the two
  // attachment tables and the two owner tables share every column these queries name but the ID.
  const table = target.table as 'user_policies';
  const owners = `${target.owners} as o` as 'users as o';
  const ownerIdColumn = target.ownerId as 'user_id';
  const ownerIdRef = `o.${target.ownerId}` as 'o.user_id';

  /** The name a policy is attached under: a System name as given; a Custom one as created. */
  function attachedName(accountId: string, policyType: PolicyType, policyName: string) {
    if (policyType === 'System') return sql<string>`${policyName}`;
    return db
      .selectFrom('policies')
      .select('policy_name')
      .where('account_id', '=', accountId)
      .where('policy_name_key', '=', toPolicyNameKey(policyName));
  }

  return {
    async attach(
      accountId: string,
      ownerId: string,
      policyType: PolicyType,
      policyName: string,
      attachedAt: number,
      limits: PolicyAttachmentLimits,
    ): Promise<boolean> {
      checkAttachment(target.attachMethod, policyType, limits);
      const custom = policyType === 'Custom';
      const nameKey = toPolicyNameKey(policyName);
      return ctx.write(
        async (trx) => {
          // The owner's lock serializes the per-owner count and its delete; the policy's, DeletePolicy.
          const locks = [target.lock(accountId, ownerId)];
          if (custom) locks.push(lockOf.policy(accountId, nameKey));
          await ctx.lock(trx, ...locks);

          // Write first: inserts nothing when the owner or the Custom policy is missing from the
          // account, or when already attached. A Custom attachment takes the policy's name as created.
          const owner = trx
            .selectFrom(owners)
            .where('o.account_id', '=', accountId)
            .where(ownerIdRef, '=', ownerId);
          const source = custom
            ? owner
                .innerJoin('policies as p', 'p.account_id', 'o.account_id')
                .where('p.policy_name_key', '=', nameKey)
                .select([
                  'o.account_id',
                  ownerIdRef,
                  sql<string>`cast(${policyType} as text)`.as('policy_type'),
                  'p.policy_name',
                  sql<number>`cast(${attachedAt} as bigint)`.as('attached_at'),
                ])
            : owner.select([
                'o.account_id',
                ownerIdRef,
                sql<string>`cast(${policyType} as text)`.as('policy_type'),
                sql<string>`cast(${policyName} as text)`.as('policy_name'),
                sql<number>`cast(${attachedAt} as bigint)`.as('attached_at'),
              ]);
          const inserted = await trx
            .insertInto(table)
            .columns(['account_id', ownerIdColumn, 'policy_type', 'policy_name', 'attached_at'])
            .expression(source)
            .onConflict((oc) =>
              oc.columns(['account_id', ownerIdColumn, 'policy_type', 'policy_name']).doNothing(),
            )
            .executeTakeFirst();
          if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) {
            const found = await trx
              .selectFrom(owners)
              .select('o.account_id')
              .where('o.account_id', '=', accountId)
              .where(ownerIdRef, '=', ownerId)
              .executeTakeFirst();
            if (found === undefined) throw new RamkeyError(target.notExist);
            if (custom && !(await policyExists(trx, accountId, nameKey))) {
              throw new RamkeyError('EntityNotExist.Policy');
            }
            return false;
          }
          const { n } = await trx
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('account_id', '=', accountId)
            .where(ownerIdColumn, '=', ownerId)
            .where('policy_type', '=', policyType)
            .executeTakeFirstOrThrow();
          if (n > limits[policyType]) throw new RamkeyError(target.limitExceeded);
          return true;
        },
        (attached) => attached,
      );
    },

    async detach(
      accountId: string,
      ownerId: string,
      policyType: PolicyType,
      policyName: string,
    ): Promise<boolean> {
      const deleted = await ctx.write(
        (trx) =>
          trx
            .deleteFrom(table)
            .where('account_id', '=', accountId)
            .where(ownerIdColumn, '=', ownerId)
            .where('policy_type', '=', policyType)
            .where('policy_name', '=', attachedName(accountId, policyType, policyName))
            .executeTakeFirst(),
        (r) => r.numDeletedRows > 0n,
      );
      return deleted.numDeletedRows > 0n;
    },

    /** The owner's attachments, oldest first. */
    list(accountId: string, ownerId: string): Promise<AttachmentRow[]> {
      return db
        .selectFrom(table)
        .select([
          'account_id',
          sql.ref<string>(target.ownerId).as('owner_id'),
          'policy_type',
          'policy_name',
          'attached_at',
        ])
        .where('account_id', '=', accountId)
        .where(ownerIdColumn, '=', ownerId)
        .orderBy('attached_at')
        .orderBy('policy_type')
        .orderBy('policy_name')
        .execute();
    },

    attachedName,
  };
}

export function kyselyAttachmentStore(ctx: StoreContext): AttachmentStore {
  const { db } = ctx;
  const users = targetAttachments(ctx, USER_TARGET);
  const groups = targetAttachments(ctx, GROUP_TARGET);

  return {
    attachPolicyToUser(attachment, limits) {
      const { accountId, userId, policyType, policyName, attachedAt } = attachment;
      return users.attach(accountId, userId, policyType, policyName, attachedAt, limits);
    },

    detachPolicyFromUser(accountId, userId, policyType, policyName) {
      return users.detach(accountId, userId, policyType, policyName);
    },

    async listPoliciesForUser(accountId, userId) {
      const rows = await users.list(accountId, userId);
      return rows.map(({ owner_id, ...row }) => ({
        accountId: row.account_id,
        userId: owner_id,
        policyType: row.policy_type as PolicyType,
        policyName: row.policy_name,
        attachedAt: row.attached_at,
      }));
    },

    attachPolicyToGroup(attachment, limits) {
      const { accountId, groupId, policyType, policyName, attachedAt } = attachment;
      return groups.attach(accountId, groupId, policyType, policyName, attachedAt, limits);
    },

    detachPolicyFromGroup(accountId, groupId, policyType, policyName) {
      return groups.detach(accountId, groupId, policyType, policyName);
    },

    async listPoliciesForGroup(accountId, groupId) {
      const rows = await groups.list(accountId, groupId);
      return rows.map(({ owner_id, ...row }) => ({
        accountId: row.account_id,
        groupId: owner_id,
        policyType: row.policy_type as PolicyType,
        policyName: row.policy_name,
        attachedAt: row.attached_at,
      }));
    },

    async listEntitiesForPolicy(
      accountId: string,
      policyType: PolicyType,
      policyName: string,
    ): Promise<PolicyEntities> {
      const name = users.attachedName(accountId, policyType, policyName);
      const userRows = await db
        .selectFrom('user_policies as a')
        .innerJoin('users as u', (join) =>
          join.onRef('u.account_id', '=', 'a.account_id').onRef('u.user_id', '=', 'a.user_id'),
        )
        .selectAll('u')
        .select('a.attached_at')
        .where('a.account_id', '=', accountId)
        .where('a.policy_type', '=', policyType)
        .where('a.policy_name', '=', name)
        .orderBy('a.attached_at')
        .orderBy('u.user_name_key')
        .execute();
      const groupRows = await db
        .selectFrom('group_policies as a')
        .innerJoin('groups as g', (join) =>
          join.onRef('g.account_id', '=', 'a.account_id').onRef('g.group_id', '=', 'a.group_id'),
        )
        .selectAll('g')
        .select('a.attached_at')
        .where('a.account_id', '=', accountId)
        .where('a.policy_type', '=', policyType)
        .where('a.policy_name', '=', name)
        .orderBy('a.attached_at')
        .orderBy('g.group_name_key')
        .execute();
      return {
        users: userRows.map((row) => ({ user: toUser(row), attachedAt: row.attached_at })),
        groups: groupRows.map((row) => ({ group: toGroup(row), attachedAt: row.attached_at })),
      };
    },

    async loadEffectivePolicies(accountId: string, userId: string): Promise<EffectivePolicy[]> {
      // One round trip: the user's own attachments UNION ALL its groups' attachments, each Custom one
      // joined to its policy's default version.
      const direct = db
        .selectFrom('user_policies as a')
        .leftJoin('policies as p', (join) =>
          join
            .onRef('p.account_id', '=', 'a.account_id')
            .onRef('p.policy_name', '=', 'a.policy_name')
            .on('a.policy_type', '=', 'Custom'),
        )
        .leftJoin('policy_versions as v', (join) =>
          join
            .onRef('v.account_id', '=', 'p.account_id')
            .onRef('v.policy_name', '=', 'p.policy_name')
            .onRef('v.version_number', '=', 'p.default_version'),
        )
        .select([
          'a.policy_type',
          'a.policy_name',
          'a.attached_at',
          'v.document',
          sql<string | null>`cast(null as text)`.as('group_name'),
          sql<string | null>`cast(null as text)`.as('group_name_key'),
        ])
        .where('a.account_id', '=', accountId)
        .where('a.user_id', '=', userId);
      const viaGroups = db
        .selectFrom('group_members as m')
        .innerJoin('groups as g', (join) =>
          join.onRef('g.account_id', '=', 'm.account_id').onRef('g.group_id', '=', 'm.group_id'),
        )
        .innerJoin('group_policies as a', (join) =>
          join.onRef('a.account_id', '=', 'm.account_id').onRef('a.group_id', '=', 'm.group_id'),
        )
        .leftJoin('policies as p', (join) =>
          join
            .onRef('p.account_id', '=', 'a.account_id')
            .onRef('p.policy_name', '=', 'a.policy_name')
            .on('a.policy_type', '=', 'Custom'),
        )
        .leftJoin('policy_versions as v', (join) =>
          join
            .onRef('v.account_id', '=', 'p.account_id')
            .onRef('v.policy_name', '=', 'p.policy_name')
            .onRef('v.version_number', '=', 'p.default_version'),
        )
        .select([
          'a.policy_type',
          'a.policy_name',
          'a.attached_at',
          'v.document',
          'g.group_name',
          'g.group_name_key',
        ])
        .where('m.account_id', '=', accountId)
        .where('m.user_id', '=', userId);
      const rows = await direct.unionAll(viaGroups).execute();

      // The user's own first, then by group; oldest first within each.
      rows.sort(
        (x, y) =>
          Number(x.group_name_key !== null) - Number(y.group_name_key !== null) ||
          compareText(x.group_name_key ?? '', y.group_name_key ?? '') ||
          x.attached_at - y.attached_at ||
          compareText(x.policy_type, y.policy_type) ||
          compareText(x.policy_name, y.policy_name),
      );
      return rows.map((row) => {
        const policyType = row.policy_type as PolicyType;
        const effective: EffectivePolicy = {
          policyType,
          policyName: row.policy_name,
          via: row.group_name === null ? 'user' : { group: row.group_name },
        };
        if (policyType === 'Custom') {
          // Every Custom attachment names a policy with a default version; anything else is a broken
          // database, and failing here denies the request (authorization fails closed).
          if (row.document === null) throw new Error('custom policy attachment without a default version');
          effective.document = row.document;
        }
        return effective;
      });
    },
  };
}
