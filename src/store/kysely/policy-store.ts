// The custom policies aggregate on Kysely: policies and their numbered versions.
import type { Kysely, Selectable } from 'kysely';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { Database, PoliciesTable } from '../database.js';
import type { NewPolicy, NewPolicyVersion, Page, PolicyRecord, PolicyVersionRecord } from '../records.js';
import type { PolicyStore } from '../store.js';
import { lockOf, type StoreContext } from './context.js';
import { checkLimit, checkPageLimit, isTrue, markerKey, toPage, toPolicyNameKey } from './support.js';

function toVersionId(versionNumber: number): string {
  return `v${versionNumber}`;
}

/** The n of `v<n>`; undefined for anything else (`V1`, `v0`, `v01`), which no version is called. */
function parseVersionId(versionId: string): number | undefined {
  const match = /^v([1-9][0-9]{0,8})$/.exec(versionId);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

type PolicyRow = Selectable<PoliciesTable> & {
  user_attachments: number | null;
  group_attachments: number | null;
};

function toPolicy(row: PolicyRow): PolicyRecord {
  return {
    accountId: row.account_id,
    policyName: row.policy_name,
    description: row.description,
    defaultVersion: toVersionId(row.default_version),
    attachmentCount: (row.user_attachments ?? 0) + (row.group_attachments ?? 0),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toPolicyVersion(
  row: {
    account_id: string;
    policy_name: string;
    version_number: number;
    document: string;
    created_at: number;
  },
  defaultVersion: number,
): PolicyVersionRecord {
  return {
    accountId: row.account_id,
    policyName: row.policy_name,
    versionId: toVersionId(row.version_number),
    document: row.document,
    isDefault: row.version_number === defaultVersion,
    createdAt: row.created_at,
  };
}

/** Policies with their attachment counts (Custom attachments of that exact name, users and groups). */
function selectPolicies(db: Kysely<Database>) {
  return db
    .selectFrom('policies as p')
    .selectAll('p')
    .select((eb) => [
      eb
        .selectFrom('user_policies as a')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('a.account_id', '=', 'p.account_id')
        .where('a.policy_type', '=', 'Custom')
        .whereRef('a.policy_name', '=', 'p.policy_name')
        .as('user_attachments'),
      eb
        .selectFrom('group_policies as a')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('a.account_id', '=', 'p.account_id')
        .where('a.policy_type', '=', 'Custom')
        .whereRef('a.policy_name', '=', 'p.policy_name')
        .as('group_attachments'),
    ]);
}

/** The policy as `db` (the database or a transaction) sees it. */
async function getPolicyIn(
  db: Kysely<Database>,
  accountId: string,
  policyName: string,
): Promise<PolicyRecord | undefined> {
  const row = await selectPolicies(db)
    .where('p.account_id', '=', accountId)
    .where('p.policy_name_key', '=', toPolicyNameKey(policyName))
    .executeTakeFirst();
  return row && toPolicy(row);
}

export function kyselyPolicyStore(ctx: StoreContext): PolicyStore {
  const { db } = ctx;
  return {
    async createPolicy(policy: NewPolicy, maxPolicies: number): Promise<PolicyRecord> {
      checkLimit('createPolicy', 'maxPolicies', maxPolicies);
      const { accountId, policyName, createdAt } = policy;
      return ctx.write(async (trx) => {
        await ctx.lock(trx, lockOf.accountPolicies(accountId));
        await ctx.unique('EntityAlreadyExists.Policy', 'policy name already in use', () =>
          trx
            .insertInto('policies')
            .values({
              account_id: accountId,
              policy_name: policyName,
              policy_name_key: toPolicyNameKey(policyName),
              description: policy.description,
              default_version: 1,
              last_version: 1,
              created_at: createdAt,
              updated_at: createdAt,
            })
            .execute(),
        );
        await trx
          .insertInto('policy_versions')
          .values({
            account_id: accountId,
            policy_name: policyName,
            version_number: 1,
            document: policy.document,
            created_at: createdAt,
          })
          .execute();
        const { n } = await trx
          .selectFrom('policies')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountId)
          .executeTakeFirstOrThrow();
        if (n > maxPolicies) throw new RamkeyError('LimitExceeded.Policy');
        return {
          accountId,
          policyName,
          description: policy.description,
          defaultVersion: toVersionId(1),
          attachmentCount: 0,
          createdAt,
          updatedAt: createdAt,
        };
      });
    },

    getPolicy(accountId: string, policyName: string): Promise<PolicyRecord | undefined> {
      return getPolicyIn(db, accountId, policyName);
    },

    async listPolicies(
      accountId: string,
      options: { after?: string; limit: number },
    ): Promise<Page<PolicyRecord>> {
      const { limit } = options;
      checkPageLimit('listPolicies', limit);
      const after = markerKey(options.after);
      let query = selectPolicies(db).where('p.account_id', '=', accountId);
      if (after !== undefined) query = query.where('p.policy_name_key', '>', after);
      const rows = await query
        .orderBy('p.policy_name_key')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, (row) => row.policy_name_key, toPolicy);
    },

    async countPolicies(accountId: string): Promise<number> {
      const row = await db
        .selectFrom('policies')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      return row.n;
    },

    async updatePolicyDescription(
      accountId: string,
      policyName: string,
      description: string,
      now: number,
    ): Promise<PolicyRecord | undefined> {
      return ctx.write(
        async (trx) => {
          const updated = await trx
            .updateTable('policies')
            .set({ description, updated_at: now })
            .where('account_id', '=', accountId)
            .where('policy_name_key', '=', toPolicyNameKey(policyName))
            .executeTakeFirst();
          if (updated.numUpdatedRows === 0n) return undefined;
          return getPolicyIn(trx, accountId, policyName);
        },
        (policy) => policy !== undefined,
      );
    },

    async deletePolicy(accountId: string, policyName: string): Promise<boolean> {
      const nameKey = toPolicyNameKey(policyName);
      return ctx.write(
        async (trx) => {
          // Attaching the policy and changing its versions take this lock too.
          await ctx.lock(trx, lockOf.policy(accountId, nameKey));
          // A write first (see the top of this file): touch the row about to be deleted.
          const policy = await trx
            .updateTable('policies')
            .set((eb) => ({ updated_at: eb.ref('updated_at') }))
            .where('account_id', '=', accountId)
            .where('policy_name_key', '=', nameKey)
            .returning(['policy_name', 'default_version'])
            .executeTakeFirst();
          if (policy === undefined) return false;
          const { policy_name: name, default_version: defaultVersion } = policy;
          const why = await trx
            .selectNoFrom((eb) => [
              eb
                .exists(
                  eb
                    .selectFrom('user_policies')
                    .select('user_id')
                    .where('account_id', '=', accountId)
                    .where('policy_type', '=', 'Custom')
                    .where('policy_name', '=', name),
                )
                .as('users'),
              eb
                .exists(
                  eb
                    .selectFrom('group_policies')
                    .select('group_id')
                    .where('account_id', '=', accountId)
                    .where('policy_type', '=', 'Custom')
                    .where('policy_name', '=', name),
                )
                .as('groups'),
              eb
                .exists(
                  eb
                    .selectFrom('policy_versions')
                    .select('version_number')
                    .where('account_id', '=', accountId)
                    .where('policy_name', '=', name)
                    .where('version_number', '<>', defaultVersion),
                )
                .as('versions'),
            ])
            .executeTakeFirstOrThrow();
          if (isTrue(why.users)) throw new RamkeyError('DeleteConflict.Policy.User');
          if (isTrue(why.groups)) throw new RamkeyError('DeleteConflict.Policy.Group');
          if (isTrue(why.versions)) throw new RamkeyError('DeleteConflict.Policy.Version');
          await trx
            .deleteFrom('policy_versions')
            .where('account_id', '=', accountId)
            .where('policy_name', '=', name)
            .execute();
          await trx
            .deleteFrom('policies')
            .where('account_id', '=', accountId)
            .where('policy_name', '=', name)
            .execute();
          return true;
        },
        (deleted) => deleted,
      );
    },

    async createPolicyVersion(
      accountId: string,
      policyName: string,
      version: NewPolicyVersion,
      maxVersions: number,
    ): Promise<PolicyVersionRecord> {
      checkLimit('createPolicyVersion', 'maxVersions', maxVersions);
      const nameKey = toPolicyNameKey(policyName);
      const { createdAt } = version;
      return ctx.write(async (trx) => {
        await ctx.lock(trx, lockOf.policy(accountId, nameKey));
        // Write first: take the next version number.
        const policy = await trx
          .updateTable('policies')
          .set((eb) => ({ last_version: eb('last_version', '+', 1), updated_at: createdAt }))
          .where('account_id', '=', accountId)
          .where('policy_name_key', '=', nameKey)
          .returning(['policy_name', 'last_version', 'default_version'])
          .executeTakeFirst();
        if (policy === undefined) throw new RamkeyError('EntityNotExist.Policy');
        const { policy_name: name, last_version: number, default_version: previousDefault } = policy;
        await trx
          .insertInto('policy_versions')
          .values({
            account_id: accountId,
            policy_name: name,
            version_number: number,
            document: version.document,
            created_at: createdAt,
          })
          .execute();

        const { n } = await trx
          .selectFrom('policy_versions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountId)
          .where('policy_name', '=', name)
          .executeTakeFirstOrThrow();
        if (n > maxVersions) {
          if (!version.rotate) throw new RamkeyError('LimitExceeded.Policy.Version');
          // Rotation deletes the oldest versions other than the new one and the default in effect
          // before this call (so a new default can always be rolled back), as many as it takes.
          const excess = n - maxVersions;
          const oldest = await trx
            .selectFrom('policy_versions')
            .select('version_number')
            .where('account_id', '=', accountId)
            .where('policy_name', '=', name)
            .where('version_number', 'not in', [previousDefault, number])
            .orderBy('version_number')
            .limit(excess)
            .execute();
          if (oldest.length < excess) throw new RamkeyError('LimitExceeded.Policy.Version');
          await trx
            .deleteFrom('policy_versions')
            .where('account_id', '=', accountId)
            .where('policy_name', '=', name)
            .where(
              'version_number',
              'in',
              oldest.map((v) => v.version_number),
            )
            .execute();
        }
        if (version.setAsDefault) {
          await trx
            .updateTable('policies')
            .set({ default_version: number })
            .where('account_id', '=', accountId)
            .where('policy_name', '=', name)
            .execute();
        }
        return {
          accountId,
          policyName: name,
          versionId: toVersionId(number),
          document: version.document,
          isDefault: version.setAsDefault,
          createdAt,
        };
      });
    },

    async getPolicyVersion(
      accountId: string,
      policyName: string,
      versionId: string,
    ): Promise<PolicyVersionRecord | undefined> {
      const number = parseVersionId(versionId);
      if (number === undefined) return undefined;
      const row = await db
        .selectFrom('policy_versions as v')
        .innerJoin('policies as p', (join) =>
          join.onRef('p.account_id', '=', 'v.account_id').onRef('p.policy_name', '=', 'v.policy_name'),
        )
        .selectAll('v')
        .select('p.default_version')
        .where('p.account_id', '=', accountId)
        .where('p.policy_name_key', '=', toPolicyNameKey(policyName))
        .where('v.version_number', '=', number)
        .executeTakeFirst();
      return row && toPolicyVersion(row, row.default_version);
    },

    async listPolicyVersions(
      accountId: string,
      policyName: string,
    ): Promise<PolicyVersionRecord[] | undefined> {
      // One query: a policy always has a version, so no row at all means no such policy.
      const rows = await db
        .selectFrom('policies as p')
        .innerJoin('policy_versions as v', (join) =>
          join.onRef('v.account_id', '=', 'p.account_id').onRef('v.policy_name', '=', 'p.policy_name'),
        )
        .selectAll('v')
        .select('p.default_version')
        .where('p.account_id', '=', accountId)
        .where('p.policy_name_key', '=', toPolicyNameKey(policyName))
        .orderBy('v.version_number')
        .execute();
      if (rows.length === 0) return undefined;
      return rows.map((row) => toPolicyVersion(row, row.default_version));
    },

    async setDefaultPolicyVersion(
      accountId: string,
      policyName: string,
      versionId: string,
      now: number,
    ): Promise<PolicyRecord> {
      const nameKey = toPolicyNameKey(policyName);
      const number = parseVersionId(versionId);
      return ctx.write(async (trx) => {
        // DeletePolicyVersion takes this lock too: the new default cannot be deleted meanwhile.
        await ctx.lock(trx, lockOf.policy(accountId, nameKey));
        if (number !== undefined) {
          const updated = await trx
            .updateTable('policies as p')
            .set({ default_version: number, updated_at: now })
            .where('p.account_id', '=', accountId)
            .where('p.policy_name_key', '=', nameKey)
            .where((eb) =>
              eb.exists(
                eb
                  .selectFrom('policy_versions as v')
                  .select('v.version_number')
                  .whereRef('v.account_id', '=', 'p.account_id')
                  .whereRef('v.policy_name', '=', 'p.policy_name')
                  .where('v.version_number', '=', number),
              ),
            )
            .executeTakeFirst();
          if (updated.numUpdatedRows > 0n) {
            const policy = await getPolicyIn(trx, accountId, policyName);
            if (policy !== undefined) return policy;
          }
        }
        const policy = await getPolicyIn(trx, accountId, policyName);
        throw new RamkeyError(
          policy === undefined ? 'EntityNotExist.Policy' : 'EntityNotExist.Policy.Version',
        );
      });
    },

    async deletePolicyVersion(
      accountId: string,
      policyName: string,
      versionId: string,
      now: number,
    ): Promise<void> {
      const nameKey = toPolicyNameKey(policyName);
      const number = parseVersionId(versionId);
      await ctx.write(async (trx) => {
        await ctx.lock(trx, lockOf.policy(accountId, nameKey));
        if (number !== undefined) {
          // Write first: touch the policy (its updatedAt moves with its versions).
          const policy = await trx
            .updateTable('policies')
            .set({ updated_at: now })
            .where('account_id', '=', accountId)
            .where('policy_name_key', '=', nameKey)
            .returning(['policy_name', 'default_version'])
            .executeTakeFirst();
          if (policy === undefined) throw new RamkeyError('EntityNotExist.Policy');
          if (policy.default_version === number)
            throw new RamkeyError('DeleteConflict.Policy.Version.Default');
          const deleted = await trx
            .deleteFrom('policy_versions')
            .where('account_id', '=', accountId)
            .where('policy_name', '=', policy.policy_name)
            .where('version_number', '=', number)
            .executeTakeFirst();
          if (deleted.numDeletedRows > 0n) return;
          throw new RamkeyError('EntityNotExist.Policy.Version');
        }
        const found = await trx
          .selectFrom('policies')
          .select('policy_name')
          .where('account_id', '=', accountId)
          .where('policy_name_key', '=', nameKey)
          .executeTakeFirst();
        throw new RamkeyError(
          found === undefined ? 'EntityNotExist.Policy' : 'EntityNotExist.Policy.Version',
        );
      });
    },
  };
}
