// The ninth migration: an audit event can stand for several calls (unauthenticated failures from one
// source, aggregated per flush so that a flood cannot grow the trail per call).
import type { Kysely, Migration } from 'kysely';

export function auditCallCountSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('audit_events')
        .addColumn('call_count', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('audit_events').dropColumn('call_count').execute();
    },
  };
}
