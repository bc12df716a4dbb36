// The 0008 migration: access_key_usage_groups, a key's usage already grouped by source IP, action or
// service (for every service and for each), so that the ActionTrail key actions read an index range.
import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The groupings kept, as (dimension, service scope, group name) over access_key_usage's columns. The
 * scope '' stands for every service; by service it is always '' (the service is the group).
 */
const GROUPINGS = [
  ['ip', sql`''`, sql.ref('source_ip')],
  ['ip', sql.ref('service_name'), sql.ref('source_ip')],
  ['event', sql`''`, sql.ref('event_name')],
  ['event', sql.ref('service_name'), sql.ref('event_name')],
  ['service', sql`''`, sql.ref('service_name')],
] as const;

export function keyUsageIndexSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // A GROUP BY over a key's usage rows reads every one of them, and a leaked key used from
      // countless addresses has countless rows: the flush keeps the groups instead, one row each.
      await db.schema
        .createTable('access_key_usage_groups')
        .addColumn('access_key_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('dimension', 'text', (c) => c.notNull())
        .addColumn('service_name', 'text', (c) => c.notNull())
        .addColumn('group_name', 'text', (c) => c.notNull())
        .addColumn('first_used_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint', (c) => c.notNull())
        .addColumn('call_count', 'bigint', (c) => c.notNull())
        .addColumn('last_event_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('access_key_usage_groups_pk', [
          'access_key_id',
          'dimension',
          'service_name',
          'group_name',
        ])
        .execute();
      // Most recent use first, ties by name: the order the actions list groups in, so that a page
      // is the next `limit` entries of this index after its cursor.
      await db.schema
        .createIndex('access_key_usage_groups_recent')
        .on('access_key_usage_groups')
        .columns([
          'account_id',
          'access_key_id',
          'dimension',
          'service_name',
          'last_used_at desc',
          'group_name',
        ])
        .execute();
      // Usage recorded before this migration, grouped once; the latest row's event is the group's.
      for (const [dimension, scope, name] of GROUPINGS) {
        await sql`insert into access_key_usage_groups (access_key_id, account_id, dimension, service_name,
            group_name, first_used_at, last_used_at, call_count, last_event_id)
          select access_key_id, account_id, ${sql.lit(dimension)}, scope, name, min(first_used_at),
            max(last_used_at), sum(call_count), max(case when latest = 1 then last_event_id end)
          from (
            select access_key_id, account_id, ${scope} as scope, ${name} as name, first_used_at,
              last_used_at, call_count, last_event_id,
              row_number() over (partition by access_key_id, ${scope}, ${name}
                order by last_used_at desc, last_event_id) as latest
            from access_key_usage
          ) as rows
          group by access_key_id, account_id, scope, name`.execute(db);
      }
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('access_key_usage_groups').execute();
    },
  };
}
