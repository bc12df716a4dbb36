// The 0018 migration: the console sign-in security preferences (RAM's LoginProfilePreference and
// MFAPreference, IMS's MFAOperationForLogin) and virtual MFA devices.
import type { Kysely, Migration } from 'kysely';

export function consoleSecuritySchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // The defaults are RAM's (records.ts DEFAULT_SECURITY_PREFERENCE): rows written before this
      // migration read back exactly as an account that never set them.
      const columns: [name: string, type: 'integer' | 'text', fallback: number | string][] = [
        ['login_session_duration', 'integer', 6],
        ['login_network_masks', 'text', ''],
        ['allow_user_to_change_password', 'integer', 1],
        ['enable_save_mfa_ticket', 'integer', 0],
        ['allow_user_to_manage_mfa_devices', 'integer', 1],
        ['mfa_operation_for_login', 'text', 'independent'],
      ];
      for (const [name, type, fallback] of columns) {
        await db.schema
          .alterTable('security_preferences')
          .addColumn(name, type, (c) => c.notNull().defaultTo(fallback))
          .execute();
      }
      // A device belongs to its account; a user has at most one (the unique index: NULLs, unbound
      // devices, are distinct on both engines). The seed is sealed like an AccessKey secret.
      await db.schema
        .createTable('virtual_mfa_devices')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.account_id'))
        .addColumn('device_name', 'text', (c) => c.notNull())
        .addColumn('device_name_key', 'text', (c) => c.notNull())
        .addColumn('sealed_seed', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('bound_at', 'bigint')
        .addColumn('last_used_step', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('virtual_mfa_devices_pk', ['account_id', 'device_name_key'])
        .execute();
      await db.schema
        .createIndex('virtual_mfa_devices_user')
        .on('virtual_mfa_devices')
        .column('user_id')
        .unique()
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('virtual_mfa_devices').execute();
      for (const name of [
        'mfa_operation_for_login',
        'allow_user_to_manage_mfa_devices',
        'enable_save_mfa_ticket',
        'allow_user_to_change_password',
        'login_network_masks',
        'login_session_duration',
      ]) {
        await db.schema.alterTable('security_preferences').dropColumn(name).execute();
      }
    },
  };
}
