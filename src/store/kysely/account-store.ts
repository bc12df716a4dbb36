// The accounts aggregate on Kysely: accounts and their security preferences.
import type { Selectable } from 'kysely';
import type { AccountsTable, SecurityPreferencesTable } from '../database.js';
import {
  DEFAULT_SECURITY_PREFERENCE,
  type AccountOverview,
  type AccountRecord,
  type MfaOperationForLogin,
  type SecurityPreference,
} from '../records.js';
import type { AccountStore } from '../store.js';
import { isLiveKey } from './access-key-state.js';
import type { StoreContext } from './context.js';
import { checkLimit } from './support.js';

function toAccount(row: Selectable<AccountsTable>): AccountRecord {
  return {
    accountId: row.account_id,
    loginName: row.login_name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
}

function toSecurityPreference(row: Selectable<SecurityPreferencesTable>): SecurityPreference {
  return {
    allowUserToManageAccessKeys: row.allow_user_to_manage_access_keys === 1,
    maxIdleDaysForAccessKeys: row.max_idle_days_for_access_keys,
    loginSessionDuration: row.login_session_duration,
    loginNetworkMasks: row.login_network_masks,
    allowUserToChangePassword: row.allow_user_to_change_password === 1,
    enableSaveMFATicket: row.enable_save_mfa_ticket === 1,
    allowUserToManageMFADevices: row.allow_user_to_manage_mfa_devices === 1,
    mfaOperationForLogin: row.mfa_operation_for_login as MfaOperationForLogin,
  };
}

type PreferenceColumns = Omit<Selectable<SecurityPreferencesTable>, 'account_id'>;

/** The columns a patch names (every column for a whole preference). */
function preferenceColumns(patch: Partial<SecurityPreference>): Partial<PreferenceColumns> {
  const flag = (value: boolean) => (value ? 1 : 0);
  const set: Partial<PreferenceColumns> = {};
  if (patch.allowUserToManageAccessKeys !== undefined)
    set.allow_user_to_manage_access_keys = flag(patch.allowUserToManageAccessKeys);
  if (patch.maxIdleDaysForAccessKeys !== undefined) {
    checkLimit('setSecurityPreference', 'maxIdleDaysForAccessKeys', patch.maxIdleDaysForAccessKeys);
    set.max_idle_days_for_access_keys = patch.maxIdleDaysForAccessKeys;
  }
  if (patch.loginSessionDuration !== undefined) {
    checkLimit('setSecurityPreference', 'loginSessionDuration', patch.loginSessionDuration);
    set.login_session_duration = patch.loginSessionDuration;
  }
  if (patch.loginNetworkMasks !== undefined) set.login_network_masks = patch.loginNetworkMasks;
  if (patch.allowUserToChangePassword !== undefined)
    set.allow_user_to_change_password = flag(patch.allowUserToChangePassword);
  if (patch.enableSaveMFATicket !== undefined) set.enable_save_mfa_ticket = flag(patch.enableSaveMFATicket);
  if (patch.allowUserToManageMFADevices !== undefined)
    set.allow_user_to_manage_mfa_devices = flag(patch.allowUserToManageMFADevices);
  if (patch.mfaOperationForLogin !== undefined) set.mfa_operation_for_login = patch.mfaOperationForLogin;
  return set;
}

export function kyselyAccountStore(ctx: StoreContext): AccountStore {
  const { db } = ctx;

  async function getSecurityPreference(accountId: string): Promise<SecurityPreference> {
    const row = await db
      .selectFrom('security_preferences')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row === undefined ? { ...DEFAULT_SECURITY_PREFERENCE } : toSecurityPreference(row);
  }

  return {
    async createAccount(account) {
      // There is no catalog code for a duplicate account ID (IDs are random); InternalError is retryable.
      await ctx.unique('InternalError', 'account ID already in use', () =>
        ctx.write((trx) =>
          trx
            .insertInto('accounts')
            .values({
              account_id: account.accountId,
              login_name: account.loginName,
              password_hash: account.passwordHash,
              created_at: account.createdAt,
            })
            .execute(),
        ),
      );
    },

    async getAccount(accountId) {
      const row = await db
        .selectFrom('accounts')
        .selectAll()
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return row && toAccount(row);
    },

    async countAccounts() {
      const row = await db
        .selectFrom('accounts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return row.n;
    },

    async listAccounts() {
      // Three set-based reads, however many accounts there are; the sealed secrets are never read.
      const accounts = await db
        .selectFrom('accounts')
        .select(['account_id', 'login_name', 'created_at'])
        .orderBy('created_at')
        .orderBy('account_id')
        .execute();
      const users = await db
        .selectFrom('users')
        .select(['account_id', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('account_id')
        .execute();
      const keys = await db
        .selectFrom('access_keys')
        .select([
          'account_id',
          (eb) => eb.fn.countAll<number>().as('n'),
          (eb) => eb.fn.count<number>('access_key_id').filterWhere('user_id', 'is', null).as('root'),
        ])
        .where(isLiveKey())
        .groupBy('account_id')
        .execute();
      const userCounts = new Map(users.map((r) => [r.account_id, r.n]));
      const keyCounts = new Map(keys.map((r) => [r.account_id, r]));
      return accounts.map((a): AccountOverview => ({
        accountId: a.account_id,
        loginName: a.login_name,
        createdAt: a.created_at,
        users: userCounts.get(a.account_id) ?? 0,
        liveAccessKeys: keyCounts.get(a.account_id)?.n ?? 0,
        hasRootAccessKey: (keyCounts.get(a.account_id)?.root ?? 0) > 0,
      }));
    },

    getSecurityPreference,

    async setSecurityPreference(accountId, patch) {
      const set = preferenceColumns(patch);
      if (Object.keys(set).length === 0) return getSecurityPreference(accountId);
      // One upsert: the defaults fill what the patch leaves out of a first write; later writes change
      // only what the patch names.
      const row = await ctx.write((trx) =>
        trx
          .insertInto('security_preferences')
          .values({
            account_id: accountId,
            ...(preferenceColumns(DEFAULT_SECURITY_PREFERENCE) as PreferenceColumns),
            ...set,
          })
          .onConflict((oc) => oc.column('account_id').doUpdateSet(set))
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return toSecurityPreference(row);
    },
  };
}
