// The secret index aggregate on Kysely: one fingerprint per AccessKey that holds its secret (live, or
// in the recycle bin), counted only while it does (see SecretIndexStore).
import type { SecretIndexStore } from '../store.js';
import { holdsSecret } from './access-key-state.js';
import type { StoreContext } from './context.js';

export function kyselySecretIndexStore(ctx: StoreContext): SecretIndexStore {
  const { db } = ctx;
  return {
    async listSecretFingerprints(keyVersion) {
      const rows = await db
        .selectFrom('secret_index')
        .innerJoin('access_keys', 'access_keys.access_key_id', 'secret_index.access_key_id')
        .select('secret_index.fingerprint')
        .where('secret_index.key_version', '=', keyVersion)
        .where(holdsSecret())
        .execute();
      return rows.map((r) => r.fingerprint);
    },

    async getSecretFingerprint(accessKeyId, keyVersion) {
      const row = await db
        .selectFrom('secret_index')
        .innerJoin('access_keys', 'access_keys.access_key_id', 'secret_index.access_key_id')
        .select('secret_index.fingerprint')
        .where('secret_index.access_key_id', '=', accessKeyId)
        .where('secret_index.key_version', '=', keyVersion)
        .where(holdsSecret())
        .executeTakeFirst();
      return row?.fingerprint;
    },

    async listUnindexedAccessKeys(keyVersion, after, limit) {
      const rows = await db
        .selectFrom('access_keys')
        .leftJoin('secret_index', (join) =>
          join
            .onRef('secret_index.access_key_id', '=', 'access_keys.access_key_id')
            .on('secret_index.key_version', '=', keyVersion),
        )
        .select(['access_keys.access_key_id', 'access_keys.sealed_secret'])
        .where(holdsSecret())
        .where('secret_index.access_key_id', 'is', null)
        .where('access_keys.access_key_id', '>', after)
        .orderBy('access_keys.access_key_id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ accessKeyId: r.access_key_id, sealedSecret: r.sealed_secret }));
    },

    async countUnindexedAccessKeys(keyVersion) {
      const row = await db
        .selectFrom('access_keys')
        .leftJoin('secret_index', (join) =>
          join
            .onRef('secret_index.access_key_id', '=', 'access_keys.access_key_id')
            .on('secret_index.key_version', '=', keyVersion),
        )
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(holdsSecret())
        .where('secret_index.access_key_id', 'is', null)
        .executeTakeFirstOrThrow();
      return row.n;
    },

    async putSecretFingerprints(entries) {
      if (entries.length === 0) return;
      await ctx.write(async (trx) => {
        for (const entry of entries) {
          // INSERT ... SELECT from the key: one purged meanwhile gets no entry.
          await trx
            .insertInto('secret_index')
            .columns(['access_key_id', 'key_version', 'fingerprint'])
            .expression((eb) =>
              eb
                .selectFrom('access_keys')
                .select([
                  'access_key_id',
                  eb.val(entry.keyVersion).as('key_version'),
                  eb.val(entry.fingerprint).as('fingerprint'),
                ])
                .where('access_key_id', '=', entry.accessKeyId)
                .where(holdsSecret()),
            )
            .onConflict((oc) =>
              oc
                .column('access_key_id')
                .doUpdateSet({ key_version: entry.keyVersion, fingerprint: entry.fingerprint }),
            )
            .execute();
        }
      });
    },

    async deleteSecretFingerprint(accessKeyId) {
      const row = await ctx.write((trx) =>
        trx
          .deleteFrom('secret_index')
          .where('access_key_id', '=', accessKeyId)
          .returning('fingerprint')
          .executeTakeFirst(),
      );
      return row?.fingerprint;
    },

    async pruneSecretFingerprints() {
      const result = await ctx.write((trx) =>
        trx
          .deleteFrom('secret_index')
          .where('access_key_id', 'not in', (eb) =>
            eb.selectFrom('access_keys').select('access_key_id').where(holdsSecret()),
          )
          .executeTakeFirst(),
      );
      return Number(result.numDeletedRows);
    },
  };
}
