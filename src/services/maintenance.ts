// The maintenance jobs the background jobs' runner runs (see background-jobs.ts): the recycle bin's
// purge of what passed its DeleteDate, and idle-key disabling (daily, under its own lease).
import type { IdleKeyDisabler } from './idle-keys.js';
import type { PurgeOutcome, RecycleBin } from './recycle-bin.js';

/** How often the runner runs the jobs by default (idle-key disabling itself runs once a day). */
export const MAINTENANCE_INTERVAL_MS = 10 * 60_000;

export interface MaintenanceOutcome {
  purged: PurgeOutcome;
  /** Keys disabled as idle; undefined when the daily run was not this node's to make. */
  disabledIdleKeys: number | undefined;
}

export class Maintenance {
  constructor(
    private readonly bin: RecycleBin,
    private readonly idle: IdleKeyDisabler,
  ) {}

  /** One run of every job. */
  async run(): Promise<MaintenanceOutcome> {
    const purged = await this.bin.purgeDue();
    const disabledIdleKeys = await this.idle.run();
    return { purged, disabledIdleKeys };
  }
}
