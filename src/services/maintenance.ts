// The maintenance jobs a serving node runs: the recycle bin's purge of what passed its DeleteDate, and
// idle-key disabling (daily, one node at a time). Once at start-up, before serving, then periodically.
import type { IdleKeyDisabler } from './idle-keys.js';
import type { PurgeOutcome, RecycleBin } from './recycle-bin.js';

/** How often a serving node runs the jobs (idle-key disabling itself runs once a day). */
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

  /**
   * Runs the jobs every `intervalMs`, reporting each outcome (or failure), until the returned function
   * is called. Runs never overlap. The first run comes after one interval: run `run()` at start-up.
   */
  schedule(intervalMs: number, report: (outcome: MaintenanceOutcome | Error) => void): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.run()
        .then(report, (err: unknown) => {
          report(err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => {
          running = false;
        });
    }, intervalMs).unref();
    return () => {
      clearInterval(timer);
    };
  }
}
