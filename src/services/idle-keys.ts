// Idle-key disabling: once a day, on one node at a time, every Active key unused (or, never used,
// created) at least its account's MaxIdleDaysForAccessKeys ago is disabled, each with a system audit
// event committed with the change.
import { DAY_MS, toWireDate, type Clock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import { DEFAULT_SECURITY_PREFERENCE, type Store } from '../store/store.js';
import type { ChangeBus } from './change-bus.js';
import { commitSystemChange } from './system-event.js';
import type { UsageRecorder } from './usage-recorder.js';

/** The job's lease name (see JobLeaseStore). */
export const IDLE_KEYS_JOB = 'idle-access-keys';
/**
 * How long a run holds the lease: a day, less a margin, so that a node checking every few minutes
 * runs the job again about a day later rather than a check interval later.
 */
const LEASE_MS = DAY_MS - 15 * 60_000;
/** Keys examined per query. */
const BATCH = 500;

export class IdleKeyDisabler {
  constructor(
    private readonly store: Store,
    private readonly usage: UsageRecorder,
    private readonly changes: ChangeBus,
    private readonly clock: Clock,
    private readonly random: Random,
    /** This node's name for the lease. */
    private readonly node: string,
  ) {}

  /**
   * Runs the job if no node ran it in the last day (taking the lease); returns how many keys it
   * disabled, or undefined when another run holds the lease.
   */
  async run(): Promise<number | undefined> {
    const now = this.clock.now();
    if (!(await this.store.acquireJobLease(IDLE_KEYS_JOB, this.node, now, now + LEASE_MS))) return undefined;
    // Uses this node recorded but has not written yet count: a key used a moment ago is not idle.
    await this.usage.flush();
    let disabled = 0;
    for (;;) {
      const batch = await this.store.listIdleAccessKeys(
        now,
        DEFAULT_SECURITY_PREFERENCE.maxIdleDaysForAccessKeys,
        BATCH,
      );
      let changed = 0;
      for (const key of batch) {
        const unusedSince = now - key.maxIdleDays * DAY_MS;
        const done = await commitSystemChange(
          this.store,
          this.random,
          {
            at: now,
            accountId: key.accountId,
            accessKeyId: key.accessKeyId,
            eventName: 'UpdateAccessKey',
            requestParameters: {
              UserAccessKeyId: key.accessKeyId,
              ...(key.userId !== null && { UserId: key.userId }),
              Status: 'Inactive',
              Reason: 'MaxIdleDaysForAccessKeys',
              MaxIdleDaysForAccessKeys: String(key.maxIdleDays),
              LastUsedDate: key.lastUsedAt === null ? '' : toWireDate(key.lastUsedAt),
            },
          },
          () => this.store.disableIdleAccessKey(key.accessKeyId, unusedSince, now),
        );
        if (!done) continue;
        changed++;
        // Refused at once, on every node.
        this.changes.publish({ kind: 'accessKey', accountId: key.accountId, accessKeyId: key.accessKeyId });
      }
      disabled += changed;
      // Disabled keys leave the list; a batch that changed nothing would only come back the same.
      if (batch.length < BATCH || changed === 0) return disabled;
    }
  }
}
