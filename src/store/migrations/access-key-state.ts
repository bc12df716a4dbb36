// The fifth migration: an explicit lifecycle state per AccessKey instead of "deleted_at is null".
import { sql, type Kysely, type Migration } from 'kysely';

export function accessKeyStateSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // Every existing row gets a state; the check keeps the column to the states the store knows
      // (recycled has no writer yet: the recycle bin comes later).
      await db.schema
        .alterTable('access_keys')
        .addColumn('state', 'text', (c) =>
          c
            .notNull()
            .defaultTo('live')
            .check(sql`state in ('live', 'recycled', 'purged')`),
        )
        .execute();
      // A key deleted before this release was gone for good: it is purged, and its secret, which
      // nothing may use again, is erased. The row stays so that its ID is never issued again.
      await db
        .withTables<{ access_keys: { state: string; sealed_secret: string; deleted_at: number | null } }>()
        .updateTable('access_keys')
        .set({ state: 'purged', sealed_secret: '' })
        .where('deleted_at', 'is not', null)
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      // Purged keys stay deleted (deleted_at is still set); their erased secrets cannot come back.
      await db.schema.alterTable('access_keys').dropColumn('state').execute();
    },
  };
}
