// Per-source limits on calls that fail to authenticate: each source address has an allowance of
// failures that refills at a steady rate; a source that has used it up is refused (Throttling) before
// anything is parsed or verified, until it refills. Anyone may send such calls, so they are what a
// flood is made of; a client with the right secret never runs into the limit.
import type { Clock } from '../core/clock.js';

export interface FailureLimits {
  /** Failures a source is allowed per second, on average; 0 switches the limit off. */
  perSecond: number;
  /** Failures a source may have in a burst before the rate applies. */
  burst: number;
  /** Sources tracked at once; the least recently failing are forgotten first. */
  maxSources: number;
}

export const DEFAULT_FAILURE_LIMITS: Readonly<FailureLimits> = {
  perSecond: 20,
  burst: 100,
  maxSources: 100_000,
};

/**
 * Failed console sign-ins per source: each costs a password hash (about 50 ms of CPU), so a source
 * gets far fewer than for signatures: 30 in a burst, then one a second.
 */
export const SIGNIN_FAILURE_LIMITS: Readonly<FailureLimits> = {
  perSecond: 1,
  burst: 30,
  maxSources: 100_000,
};

interface Bucket {
  tokens: number;
  at: number;
}

export class FailureLimiter {
  // Map order is recency order: a failing source is moved to the end, the oldest is evicted first.
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: FailureLimits,
  ) {}

  /** Whether a call from `source` may be served (false while its failures have used up its allowance). */
  allows(source: string): boolean {
    if (this.limits.perSecond <= 0) return true;
    const bucket = this.buckets.get(source);
    return bucket === undefined || this.refill(bucket) >= 1;
  }

  /** Counts one call from `source` that failed to authenticate. */
  fail(source: string): void {
    if (this.limits.perSecond <= 0) return;
    let bucket = this.buckets.get(source);
    if (bucket === undefined) {
      if (this.buckets.size >= this.limits.maxSources) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
      bucket = { tokens: this.limits.burst, at: this.clock.now() };
    } else {
      this.buckets.delete(source);
      this.refill(bucket);
    }
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.set(source, bucket);
  }

  private refill(bucket: Bucket): number {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.limits.burst, bucket.tokens + (elapsed / 1000) * this.limits.perSecond);
    bucket.at = now;
    return bucket.tokens;
  }
}
