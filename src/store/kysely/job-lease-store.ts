// The job leases aggregate on Kysely: which node runs a maintenance job, until when (see JobLeaseStore).
import type { JobLeaseStore } from '../store.js';
import type { StoreContext } from './context.js';

export function kyselyJobLeaseStore(ctx: StoreContext): JobLeaseStore {
  return {
    async acquireJobLease(jobName, holder, now, expiresAt) {
      // One statement: an insert, or an update of an expired lease. Two nodes racing for it are
      // serialized on the row, and the loser's conditional update finds the lease taken.
      const row = await ctx.write(
        (trx) =>
          trx
            .insertInto('job_leases')
            .values({ job_name: jobName, holder, expires_at: expiresAt })
            .onConflict((oc) =>
              oc
                .column('job_name')
                .doUpdateSet({ holder, expires_at: expiresAt })
                .where('job_leases.expires_at', '<=', now),
            )
            .returning('holder')
            .executeTakeFirst(),
        (r) => r !== undefined,
      );
      return row?.holder === holder;
    },
  };
}
