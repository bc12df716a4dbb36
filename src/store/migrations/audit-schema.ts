// The third migration: the audit trail (one row per API call) and per-key usage aggregates (which
// services, actions and source IPs each key was used for, with first/last use and a call count).
import type { Kysely, Migration } from 'kysely';

export function auditSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // No foreign keys: events outlive what they name (a deleted user, a purged key), and a call
      // with an unknown key is recorded against no account (account_id null, operators only).
      await db.schema
        .createTable('audit_events')
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('event_time', 'bigint', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('access_key_id', 'text', (c) => c.notNull())
        .addColumn('principal_type', 'text', (c) => c.notNull())
        .addColumn('principal_id', 'text', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('event_name', 'text', (c) => c.notNull())
        .addColumn('event_rw', 'text', (c) => c.notNull())
        .addColumn('service_name', 'text', (c) => c.notNull())
        .addColumn('api_version', 'text', (c) => c.notNull())
        .addColumn('event_source', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('source_ip', 'text', (c) => c.notNull())
        .addColumn('user_agent', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text', (c) => c.notNull())
        .addColumn('error_message', 'text', (c) => c.notNull())
        .addColumn('request_parameters', 'text', (c) => c.notNull())
        .execute();
      // "What did this key do", newest first: LookupEvents by EventAccessKeyId and the export.
      await db.schema
        .createIndex('audit_events_account_key_time')
        .on('audit_events')
        .columns(['account_id', 'access_key_id', 'event_time', 'event_id'])
        .execute();
      // Everything else an account looks up is a time range, filtered.
      await db.schema
        .createIndex('audit_events_account_time')
        .on('audit_events')
        .columns(['account_id', 'event_time', 'event_id'])
        .execute();
      // Retention purges by age alone.
      await db.schema.createIndex('audit_events_time').on('audit_events').column('event_time').execute();

      // One row per (key, service, action, source IP): small per key, updated by the batched flush.
      await db.schema
        .createTable('access_key_usage')
        .addColumn('access_key_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('service_name', 'text', (c) => c.notNull())
        .addColumn('event_name', 'text', (c) => c.notNull())
        .addColumn('source_ip', 'text', (c) => c.notNull())
        .addColumn('first_used_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint', (c) => c.notNull())
        .addColumn('call_count', 'bigint', (c) => c.notNull())
        .addColumn('last_event_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('access_key_usage_pk', [
          'access_key_id',
          'service_name',
          'event_name',
          'source_ip',
        ])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('access_key_usage').execute();
      await db.schema.dropTable('audit_events').execute();
    },
  };
}
