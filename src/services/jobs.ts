// The background jobs' runner: of all the nodes serving one installation, the one holding a lease in
// the database runs the periodic jobs (purges, idle-key disabling, audit retention, notification
// delivery); it renews the lease while it lives, and another node takes over once it stops renewing.
import type { Clock } from '../core/clock.js';
import type { JobLeaseStore } from '../store/store.js';

/** The lease's name (see JobLeaseStore.renewJobLease). */
export const JOBS_LEASE = 'background-jobs';
/** How long a renewal holds the lease by default; it is renewed every third of that. */
export const DEFAULT_JOB_LEASE_MS = 30_000;
/** How often the runner looks at the lease and the jobs, at most. */
const MAX_TICK_MS = 1000;

export interface Job {
  /** For the log. */
  readonly name: string;
  /** Time between the starts of two runs; the first run comes when the node becomes the runner. */
  readonly intervalMs: number;
  /**
   * One run; its failure goes to the log. `signal` aborts when this node stops being the runner: a
   * run that does one thing after another stops between two.
   */
  run(signal: AbortSignal): Promise<void>;
}

/** Where the runner reports (a pino logger fits). */
export interface JobLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface JobSchedulerOptions {
  /** This node's name in the lease and the log: unique per process. */
  nodeId: string;
  /** How long a renewal holds the lease (default 30 s). */
  leaseMs?: number;
  /** How often the holder renews it, and a standing-by node tries to take it (default a third of leaseMs). */
  renewMs?: number;
  /** How often the timer looks at the lease and the jobs (default renewMs, at most 1 s). */
  tickMs?: number;
  log?: JobLog;
}

const silent: JobLog = { info: () => undefined, error: () => undefined };

/**
 * Runs `jobs` on this node while it holds the lease. Safety rests on the lease: a node runs jobs only
 * until the instant its last successful renewal (timed before the statement was sent) said the lease
 * ends, and it stops at once when a renewal fails or finds another holder. Node clocks must agree to
 * well within the lease (as they must anyway for the signature's 15-minute window). A run already
 * under way when the node stops being the runner finishes its current item (every job is safe to
 * repeat: conditional purges, the idle-key run's own daily lease, notifications delivered at least
 * once with an idempotency key).
 */
export class JobScheduler {
  readonly nodeId: string;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly tickMs: number;
  private readonly log: JobLog;
  /** Whether this node believes it runs the jobs; it does only until leaseUntil as well. */
  private leading = false;
  private leaseUntil = 0;
  private nextRenewAt = Number.NEGATIVE_INFINITY;
  private readonly nextRuns: number[];
  private readonly running = new Map<number, Promise<void>>();
  private abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** Whether this node ever asked for the lease (and so may hold it). */
  private contended = false;
  /** Whether the log heard of this node's part yet. */
  private announced = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly store: JobLeaseStore,
    private readonly clock: Clock,
    private readonly jobs: readonly Job[],
    options: JobSchedulerOptions,
  ) {
    this.nodeId = options.nodeId;
    this.leaseMs = options.leaseMs ?? DEFAULT_JOB_LEASE_MS;
    this.renewMs = options.renewMs ?? Math.floor(this.leaseMs / 3);
    this.tickMs = options.tickMs ?? Math.min(this.renewMs, MAX_TICK_MS);
    if (!(this.renewMs > 0 && this.renewMs < this.leaseMs && this.tickMs > 0)) {
      throw new RangeError(
        'the job lease must be renewed (renewMs > 0) before it expires (renewMs < leaseMs)',
      );
    }
    this.log = options.log ?? silent;
    this.nextRuns = jobs.map(() => 0);
  }

  /** Whether this node runs the background jobs now. */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.leaseUntil;
  }

  /** Asks for the lease now (resolving once answered), then keeps renewing it or asking, until stop. */
  async start(): Promise<void> {
    if (this.timer !== undefined || this.stopping) return;
    this.timer = setInterval(() => {
      void this.tick();
    }, this.tickMs).unref();
    await this.tick();
  }

  /**
   * One step, which the timer takes every tickMs (and tests with a clock moved by hand): renews or
   * asks for the lease when that is due, then starts the jobs that are due if this node runs them.
   * Steps never overlap; a call during one shares it.
   */
  tick(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.ticking ??= this.step().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /**
   * Stops running jobs and asking for the lease, waits for the runs under way (told to stop), then
   * gives the lease up so that another node takes over at once. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    clearInterval(this.timer);
    const wasLeading = this.leading;
    this.leading = false;
    this.abort.abort();
    // A step under way sees `stopping` once it resumes: it starts nothing, and takes no lease.
    await this.ticking;
    await Promise.all(this.running.values());
    if (!this.contended) return;
    try {
      const released = await this.store.releaseJobLease(JOBS_LEASE, this.nodeId);
      if (wasLeading || released) {
        this.log.info(
          { nodeId: this.nodeId, released },
          'this node stopped running the background jobs (shutting down)',
        );
      }
    } catch (err) {
      // Not given up: another node takes over once it expires.
      this.log.error({ err, nodeId: this.nodeId }, 'could not release the background jobs lease');
    }
  }

  private async step(): Promise<void> {
    const now = this.clock.now();
    if (now >= this.nextRenewAt) {
      this.nextRenewAt = now + this.renewMs;
      await this.renew(now);
    }
    if (this.stopping || !this.leading) return;
    // A renewal that failed to come in time (a slow database) must not leave the jobs running.
    if (!this.isLeader()) {
      this.stepDown('its lease ran out before a renewal came through');
      return;
    }
    const at = this.clock.now();
    this.jobs.forEach((job, i) => {
      if (at < (this.nextRuns[i] ?? 0) || this.running.has(i)) return;
      this.nextRuns[i] = at + job.intervalMs;
      this.launch(job, i);
    });
  }

  private async renew(now: number): Promise<void> {
    this.contended = true;
    let held: boolean;
    try {
      held = await this.store.renewJobLease(JOBS_LEASE, this.nodeId, now, now + this.leaseMs);
    } catch (err) {
      this.log.error({ err, nodeId: this.nodeId }, 'could not renew the background jobs lease');
      if (this.leading) this.stepDown('renewing its lease failed');
      return;
    }
    // Stopping: shutDown (which waits for this step) gives the lease up.
    if (this.stopping) return;
    if (!held) {
      if (this.leading) this.stepDown('another node holds its lease');
      else if (!this.announced) {
        this.log.info({ nodeId: this.nodeId }, 'another node runs the background jobs: this one stands by');
      }
      this.announced = true;
      return;
    }
    this.announced = true;
    // Renewed too late to be of use (a slow database): the lease it got has already run out.
    if (this.clock.now() >= now + this.leaseMs) {
      if (this.leading) this.stepDown('its lease ran out before a renewal came through');
      return;
    }
    this.leaseUntil = now + this.leaseMs;
    if (this.leading) return;
    this.leading = true;
    this.abort = new AbortController();
    this.nextRuns.fill(now);
    this.log.info(
      { nodeId: this.nodeId, leaseMs: this.leaseMs, jobs: this.jobs.map((j) => j.name) },
      'this node runs the background jobs',
    );
  }

  private stepDown(reason: string): void {
    this.leading = false;
    this.leaseUntil = 0;
    this.abort.abort();
    this.log.info({ nodeId: this.nodeId, reason }, 'this node stopped running the background jobs');
  }

  private launch(job: Job, i: number): void {
    const signal = this.abort.signal;
    // Started now, within this step: a run that throws at once is a failed run like any other.
    const run = (async () => {
      await job.run(signal);
    })()
      .catch((err: unknown) => {
        this.log.error({ err, nodeId: this.nodeId, job: job.name }, 'background job failed');
      })
      .finally(() => {
        this.running.delete(i);
      });
    this.running.set(i, run);
  }
}
