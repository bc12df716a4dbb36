// The job leases aggregate on Kysely: which node runs a job, until when (see JobLeaseStore).
import type { JobLeaseStore } from '../store.js';
import type { StoreContext } from './context.js';

export function kyselyJobLeaseStore(ctx: StoreContext): JobLeaseStore {
  /**
   * One statement: an insert, or an update of a lease that expired (or, with `renewing`, that the
   * holder holds). Two nodes racing for it are serialized on the row, and the loser's conditional
   * update finds the lease taken.
   */
  const take = async (
    jobName: string,
    holder: string,
    now: number,
    expiresAt: number,
    renewing: boolean,
  ): Promise<boolean> => {
    const row = await ctx.write(
      (trx) =>
        trx
          .insertInto('job_leases')
          .values({ job_name: jobName, holder, expires_at: expiresAt })
          .onConflict((oc) =>
            oc
              .column('job_name')
              .doUpdateSet({ holder, expires_at: expiresAt })
              .where((eb) =>
                renewing
                  ? eb.or([eb('job_leases.expires_at', '<=', now), eb('job_leases.holder', '=', holder)])
                  : eb('job_leases.expires_at', '<=', now),
              ),
          )
          .returning('holder')
          .executeTakeFirst(),
      (r) => r !== undefined,
    );
    return row?.holder === holder;
  };

  return {
    acquireJobLease(jobName, holder, now, expiresAt) {
      return take(jobName, holder, now, expiresAt, false);
    },

    renewJobLease(jobName, holder, now, expiresAt) {
      return take(jobName, holder, now, expiresAt, true);
    },

    async releaseJobLease(jobName, holder) {
      const result = await ctx.write(
        (trx) =>
          trx
            .deleteFrom('job_leases')
            .where('job_name', '=', jobName)
            .where('holder', '=', holder)
            .executeTakeFirst(),
        (r) => Number(r.numDeletedRows) > 0,
      );
      return Number(result.numDeletedRows) > 0;
    },
  };
}
