// The eleventh migration: network access restriction policies (IMS SetAccessKeyPolicy and
// SetAccessKeyPolicyForAccount), and the audit trail's mark on calls an Audit-mode policy would deny.
import type { Kysely, Migration } from 'kysely';

export function accessKeyPoliciesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One row per account ('' as the key) and per key. No foreign key to access_keys: the
      // account's own row names no key, and a key's row outlives nothing it needs (keys are never
      // deleted, only purged, and a purged key is never looked up).
      await db.schema
        .createTable('access_key_policies')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.account_id'))
        .addColumn('access_key_id', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('access_key_policies_pk', ['account_id', 'access_key_id'])
        .execute();
      await db.schema
        .alterTable('audit_events')
        .addColumn('access_key_policy_audit', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('audit_events').dropColumn('access_key_policy_audit').execute();
      await db.schema.dropTable('access_key_policies').execute();
    },
  };
}
