// The login profiles aggregate on Kysely: RAM users' console password hashes and each account's
// password policy.
import type { Selectable } from 'kysely';
import type { LoginProfilesTable, PasswordPoliciesTable } from '../database.js';
import type { LoginProfileRecord, LoginProfileStore, PasswordPolicyRecord } from '../store.js';
import type { StoreContext } from './context.js';

const flag = (value: boolean) => (value ? 1 : 0);

function toLoginProfile(row: Selectable<LoginProfilesTable>): LoginProfileRecord {
  return {
    accountId: row.account_id,
    userId: row.user_id,
    passwordHash: row.password_hash,
    previousPasswordHashes: JSON.parse(row.previous_hashes) as string[],
    passwordResetRequired: row.password_reset_required === 1,
    mfaBindRequired: row.mfa_bind_required === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    passwordChangedAt: row.password_changed_at,
  };
}

function profileColumns(p: LoginProfileRecord) {
  return {
    password_hash: p.passwordHash,
    previous_hashes: JSON.stringify(p.previousPasswordHashes),
    password_reset_required: flag(p.passwordResetRequired),
    mfa_bind_required: flag(p.mfaBindRequired),
    updated_at: p.updatedAt,
    password_changed_at: p.passwordChangedAt,
  };
}

function policyColumns(p: PasswordPolicyRecord): Omit<PasswordPoliciesTable, 'account_id'> {
  return {
    minimum_password_length: p.minimumPasswordLength,
    require_lowercase_characters: flag(p.requireLowercaseCharacters),
    require_uppercase_characters: flag(p.requireUppercaseCharacters),
    require_numbers: flag(p.requireNumbers),
    require_symbols: flag(p.requireSymbols),
    hard_expiry: flag(p.hardExpiry),
    max_login_attempts: p.maxLoginAttempts,
    password_reuse_prevention: p.passwordReusePrevention,
    max_password_age: p.maxPasswordAge,
  };
}

export function kyselyLoginProfileStore(ctx: StoreContext): LoginProfileStore {
  const { db } = ctx;
  return {
    async createLoginProfile(profile) {
      const result = await ctx.write(
        (trx) =>
          trx
            .insertInto('login_profiles')
            .values({
              user_id: profile.userId,
              account_id: profile.accountId,
              created_at: profile.createdAt,
              ...profileColumns(profile),
            })
            .onConflict((oc) => oc.column('user_id').doNothing())
            .executeTakeFirst(),
        (r) => Number(r.numInsertedOrUpdatedRows ?? 0n) > 0,
      );
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },

    async getLoginProfile(accountId, userId) {
      const row = await db
        .selectFrom('login_profiles')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row && toLoginProfile(row);
    },

    async updateLoginProfile(profile) {
      const result = await ctx.write(
        (trx) =>
          trx
            .updateTable('login_profiles')
            .set(profileColumns(profile))
            .where('account_id', '=', profile.accountId)
            .where('user_id', '=', profile.userId)
            .executeTakeFirst(),
        (r) => r.numUpdatedRows > 0n,
      );
      return result.numUpdatedRows > 0n;
    },

    async deleteLoginProfile(accountId, userId) {
      const result = await ctx.write(
        (trx) =>
          trx
            .deleteFrom('login_profiles')
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .executeTakeFirst(),
        (r) => r.numDeletedRows > 0n,
      );
      return result.numDeletedRows > 0n;
    },

    async getPasswordPolicy(accountId) {
      const row = await db
        .selectFrom('password_policies')
        .selectAll()
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return (
        row && {
          minimumPasswordLength: row.minimum_password_length,
          requireLowercaseCharacters: row.require_lowercase_characters === 1,
          requireUppercaseCharacters: row.require_uppercase_characters === 1,
          requireNumbers: row.require_numbers === 1,
          requireSymbols: row.require_symbols === 1,
          hardExpiry: row.hard_expiry === 1,
          maxLoginAttempts: row.max_login_attempts,
          passwordReusePrevention: row.password_reuse_prevention,
          maxPasswordAge: row.max_password_age,
        }
      );
    },

    async setPasswordPolicy(accountId, policy) {
      const columns = policyColumns(policy);
      await ctx.write((trx) =>
        trx
          .insertInto('password_policies')
          .values({ account_id: accountId, ...columns })
          .onConflict((oc) => oc.column('account_id').doUpdateSet(columns))
          .execute(),
      );
    },
  };
}
