// Last-used bookkeeping: coalesced in memory per key and flushed in one transaction, at most a
// second later and on shutdown; never one database write per request.
import type { Clock } from '../core/clock.js';
import type { LastUsedUpdate, Store } from '../store/store.js';

/** The service names GetAccessKeyLastUsed reports (`Ram`, `Ims`, `Sts`). */
export type ServiceName = 'Ram' | 'Ims' | 'Sts';

export interface UsageRecorderOptions {
  flushIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export class UsageRecorder {
  private pending = new Map<string, LastUsedUpdate>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    options: UsageRecorderOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.onError = options.onError ?? (() => undefined);
  }

  record(accessKeyId: string, service: ServiceName, sourceIp: string): void {
    this.pending.set(accessKeyId, {
      accessKeyId,
      lastUsedAt: this.clock.now(),
      lastUsedService: service,
      lastUsedIp: sourceIp,
    });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(this.onError);
    }, this.flushIntervalMs).unref();
  }

  /** The update not yet written for this key, so reads can show it before the flush. */
  pendingFor(accessKeyId: string): LastUsedUpdate | undefined {
    return this.pending.get(accessKeyId);
  }

  /** Writes everything pending. Safe to call concurrently: flushes run one after another. */
  flush(): Promise<void> {
    const run = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      try {
        await this.store.recordLastUsed(batch);
      } catch (err) {
        // Nothing lost on failure: put the batch back unless a newer use arrived meanwhile.
        for (const update of batch) {
          if (!this.pending.has(update.accessKeyId)) this.pending.set(update.accessKeyId, update);
        }
        throw err;
      }
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
