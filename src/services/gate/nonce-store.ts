// Replay protection: nonces group-committed to the database before their call is admitted, and purged once expired.
// Scale-out replaces it with a shared store (Redis SET NX with expiry) behind the same interface.
import { hash } from 'node:crypto';
import { setImmediate as turn } from 'node:timers/promises';
import type { Clock } from '../../core/clock.js';
import type { UsedNonceStore } from '../../store/store.js';

export interface NonceStore {
  /**
   * Remembers `nonce` for `accessKeyId` until `expiresAt` and answers true, or answers false when it
   * was already used and has not expired: a replay. Throws (or rejects with)
   * NonceStoreUnavailableError when it cannot tell.
   */
  remember(
    accessKeyId: string,
    nonce: string,
    expiresAt: number,
    now: number,
    /** When the request was signed (its signed timestamp): a store that lost nonces fences by it. */
    signedAt: number,
  ): boolean | Promise<boolean>;
}

/** The nonce store could not answer (database error, timeout, overload): the call must be refused. */
export class NonceStoreUnavailableError extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(`nonce store unavailable: ${reason}`, options);
    this.name = 'NonceStoreUnavailableError';
  }
}

export interface DurableNonceStoreOptions {
  clock: Clock;
  /** Rows per statement (default 500): bounds a statement's size and how long it holds SQLite's lock. */
  maxBatch?: number;
  /** Batches being written at once (default 2): one commits while the next one fills. */
  maxInFlight?: number;
  /**
   * Nonces waiting for a batch at most (default 50,000, about 10 MB); beyond, calls are refused at
   * once, so a stalled database cannot make memory grow without bound.
   */
  maxPending?: number;
  /** A batch the database has not answered within this is refused (default 5,000 ms). */
  timeoutMs?: number;
  /** Rows per purge statement (default 10,000); the event loop turns between statements. */
  purgeBatch?: number;
  /** Database errors (failed batches), for the log. */
  onError?: (err: unknown) => void;
}

/**
 * What a nonce store keeps of a nonce: 128 bits of SHA-256 over the key ID (which cannot contain a
 * newline) and the nonce. The nonce text is never stored, and a collision could only make a call look
 * like a replay (refused), never admit one. Hex is the cheapest output of the one-shot hash.
 */
export function nonceFingerprint(accessKeyId: string, nonce: string): string {
  return hash('sha256', `${accessKeyId}\n${nonce}`, 'hex').slice(0, 32);
}

/**
 * A nonce is kept this long past its expiry before the purge deletes it: should the clock step back
 * by up to this much, a purged nonce's request could pass the freshness check again.
 */
export const PURGE_GRACE_MS = 60_000;

interface Pending {
  fingerprint: string;
  expiresAt: number;
  resolve(fresh: boolean): void;
  reject(err: Error): void;
}

/**
 * Group commit: every nonce that arrives before the event loop's next turn (up to `maxBatch`) is
 * written in ONE statement, and `remember` resolves only once that statement committed, so the call
 * runs only after its nonce is durable. A crash before the commit leaves a call neither executed nor
 * answered; once committed, the nonce refuses replays across restarts and crashes for the whole
 * window. Memory holds only the pending batches.
 */
export class DurableNonceStore implements NonceStore {
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly maxPending: number;
  private readonly timeoutMs: number;
  private readonly purgeBatch: number;
  private pending: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly writes = new Set<Promise<void>>();
  private purging: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly store: UsedNonceStore,
    private readonly options: DurableNonceStoreOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxPending = options.maxPending ?? 50_000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.purgeBatch = options.purgeBatch ?? 10_000;
  }

  remember(accessKeyId: string, nonce: string, expiresAt: number): Promise<boolean> {
    // Fail closed: a nonce that cannot be recorded cannot rule out a replay.
    if (this.closed) return Promise.reject(new NonceStoreUnavailableError('closed'));
    if (this.pending.length >= this.maxPending) {
      return Promise.reject(new NonceStoreUnavailableError('too many nonces waiting for the database'));
    }
    const fingerprint = nonceFingerprint(accessKeyId, nonce);
    return new Promise<boolean>((resolve, reject) => {
      this.pending.push({ fingerprint, expiresAt, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Deletes what expired, up to PURGE_GRACE_MS ago (the background jobs' runner calls it
   * periodically). Runs never overlap: a call during a run shares it.
   */
  purge(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.purging ??= this.purgeExpired().finally(() => {
      this.purging = undefined;
    });
    return this.purging;
  }

  /** Waits for the batches being written and a purge under way; later calls are refused. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.length > 0 || this.writes.size > 0 || this.purging) {
      this.flush();
      await Promise.race([...this.writes, this.purging?.catch(() => undefined), turn()]);
    }
  }

  private schedule(): void {
    if (this.pending.length >= this.maxBatch) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      // After the I/O callbacks of this turn: every request read meanwhile joins the batch.
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
      const batch =
        this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch);
      this.pending = batch === this.pending ? [] : this.pending.slice(this.maxBatch);
      this.inFlight++;
      const write = this.write(batch).finally(() => {
        this.writes.delete(write);
      });
      this.writes.add(write);
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inFlight--;
      if (this.pending.length > 0) this.schedule();
    };
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new NonceStoreUnavailableError('the database did not answer in time'));
        }, this.timeoutMs);
      });
      const fresh = await Promise.race([this.store.recordNonces(batch), timeout]);
      batch.forEach((p, i) => {
        p.resolve(fresh[i] === true);
      });
    } catch (err) {
      // Fail closed: every call of the batch is refused (the statement may still commit later; its
      // nonces then refuse replays, and the refused callers retry with new ones).
      this.options.onError?.(err);
      const refusal =
        err instanceof NonceStoreUnavailableError
          ? err
          : new NonceStoreUnavailableError('the database failed', { cause: err });
      for (const p of batch) p.reject(refusal);
    } finally {
      clearTimeout(timer);
      // A timed-out statement gives its slot back: the next batch may find the database answering.
      release();
    }
  }

  /** Deletes what expired, a bounded batch per statement, letting the event loop turn in between. */
  private async purgeExpired(): Promise<void> {
    const before = this.options.clock.now() - PURGE_GRACE_MS;
    while (!this.closed && (await this.store.purgeNonces(before, this.purgeBatch)) === this.purgeBatch) {
      await turn();
    }
  }
}
