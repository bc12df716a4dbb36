// Usage bookkeeping: last use per key, per-key usage counts (service, action, source IP) and the
// audit events that need not commit with a change. All are coalesced in memory and written in one
// transaction at most a second later and on shutdown; never one database write per request.
import { performance } from 'node:perf_hooks';
import { approximateEventSize } from '../core/audit/event-fields.js';
import type { ServiceCode } from '../core/service-definition/service-code.js';
import type { AuditEventRecord, KeyUsageUpdate, LastUsedUpdate, Store } from '../store/store.js';
import type { AuditQueue } from './metrics.js';

/** The products Ramkey answers for itself, as GetAccessKeyLastUsed and the audit trail name them. */
export type BuiltInServiceName = 'Ram' | 'Ims' | 'Sts' | 'Actiontrail';

/**
 * The service names GetAccessKeyLastUsed and the audit trail report: a built-in product's, or a custom
 * service's code (`orders`; lower case, so it never equals a built-in name).
 */
export type ServiceName = BuiltInServiceName | ServiceCode;

/** One use of a key: a call whose signature verified and that was fresh. */
export interface KeyUse {
  accessKeyId: string;
  accountId: string;
  service: ServiceName;
  eventName: string;
  sourceIp: string;
  eventId: string;
  at: number;
}

/**
 * The backlog of events past which the recorder says it is `backlogged` (the server then refuses new
 * calls with Throttling until it catches up): 100,000 events, or 64 MiB of their text. An event of an
 * authenticated call is never dropped: calls already admitted still add theirs.
 */
export const MAX_PENDING_EVENTS = 100_000;
export const MAX_PENDING_EVENT_BYTES = 64 * 1024 * 1024;
/**
 * Distinct (account, source, key, error) aggregates of unauthenticated failures kept between two
 * flushes; beyond it an account's further failures fold into one aggregate of their own, so that what
 * a flood writes is bounded per flush whatever arrives.
 */
export const MAX_FAILURE_AGGREGATES = 1000;
/**
 * Failures of one (account, source, key, error) recorded as events of their own between two flushes;
 * the rest become one event with a count. A few failed calls read as they always did; a flood of them
 * costs at most this many rows plus one per flush.
 */
export const INDIVIDUAL_FAILURES = 5;
/** Events written per transaction: a few milliseconds of synchronous SQLite work at most. */
export const EVENTS_PER_WRITE = 250;

function sizeOf(event: AuditEventRecord): number {
  return approximateEventSize(
    [event.eventName, event.userAgent, event.errorMessage, event.eventSource, event.sourceIp],
    event.requestParameters,
  );
}

export interface UsageRecorderOptions {
  flushIntervalMs?: number;
  maxPendingEvents?: number;
  maxPendingEventBytes?: number;
  onError?: (err: unknown) => void;
}

export class UsageRecorder implements AuditQueue {
  private lastUsed = new Map<string, LastUsedUpdate>();
  private keyUsage = new Map<string, KeyUsageUpdate>();
  private events: AuditEventRecord[] = [];
  private eventBytes = 0;
  /** Unauthenticated failures since the last flush, per (account, source, key, error): how many. */
  private failureCounts = new Map<string, number>();
  /** The failures past the first few of each, aggregated: one event each, with a count. */
  private failures = new Map<string, AuditEventRecord & { callCount: number }>();
  private flushSoon = false;
  /** The last uses of the flush in progress, until their transaction commits. */
  private writing: Map<string, LastUsedUpdate> | undefined;
  /** Events of the flush in progress not committed yet. */
  private writingEvents = 0;
  /** When (performance.now()) the oldest record queued since the last flush began was queued. */
  private queuedSince: number | undefined;
  /** The same for the records of the flush in progress, until they are all committed. */
  private writingSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly maxPendingEvents: number;
  private readonly maxPendingEventBytes: number;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly store: Store,
    options: UsageRecorderOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxPendingEvents = options.maxPendingEvents ?? MAX_PENDING_EVENTS;
    this.maxPendingEventBytes = options.maxPendingEventBytes ?? MAX_PENDING_EVENT_BYTES;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Counts one use of a key: its last use, and its usage for that service, action and address. */
  recordUse(use: KeyUse): void {
    this.lastUsed.set(use.accessKeyId, {
      accessKeyId: use.accessKeyId,
      lastUsedAt: use.at,
      lastUsedService: use.service,
      lastUsedIp: use.sourceIp,
    });
    const slot = `${use.accessKeyId}\n${use.service}\n${use.eventName}\n${use.sourceIp}`;
    const usage = this.keyUsage.get(slot);
    if (usage) {
      usage.callCount += 1;
      usage.lastUsedAt = use.at;
      usage.lastEventId = use.eventId;
    } else {
      this.keyUsage.set(slot, {
        accessKeyId: use.accessKeyId,
        accountId: use.accountId,
        serviceName: use.service,
        eventName: use.eventName,
        sourceIp: use.sourceIp,
        firstUsedAt: use.at,
        lastUsedAt: use.at,
        callCount: 1,
        lastEventId: use.eventId,
      });
    }
    this.schedule();
  }

  /** Queues an audit event for the next flush. Never drops it: see `backlogged`. */
  recordEvent(event: AuditEventRecord): void {
    this.hold(event);
    this.schedule();
  }

  /**
   * Records a call that failed to authenticate: the first INDIVIDUAL_FAILURES of its account, source,
   * key and error since the last flush are events of their own, the rest one event with a count.
   */
  recordFailure(event: AuditEventRecord): void {
    const key = `${event.accountId ?? ''}\n${event.sourceIp}\n${event.accessKeyId}\n${event.errorCode}`;
    const seen = this.failureCounts.get(key);
    if (seen === undefined && this.failureCounts.size >= MAX_FAILURE_AGGREGATES) {
      this.foldOverflow(event);
    } else {
      const count = (seen ?? 0) + 1;
      this.failureCounts.set(key, count);
      if (count <= INDIVIDUAL_FAILURES) {
        this.hold(event);
      } else {
        const aggregate = this.failures.get(key);
        if (aggregate) aggregate.callCount += 1;
        else this.failures.set(key, { ...event, callCount: 1 });
      }
    }
    this.schedule();
  }

  /** Too many distinct sources, keys or errors in one flush: the rest of an account's fold into one. */
  private foldOverflow(event: AuditEventRecord): void {
    const overflow = `${event.accountId ?? ''}\n*`;
    const folded = this.failures.get(overflow);
    if (folded) {
      folded.callCount += 1;
      return;
    }
    this.failures.set(overflow, {
      ...event,
      sourceIp: '(various)',
      accessKeyId: '',
      principalType: '',
      principalId: '',
      userName: '',
      eventName: '(various)',
      errorCode: '(various)',
      errorMessage: 'Calls from more sources, keys or errors than one flush keeps apart.',
      requestParameters: {},
      callCount: 1,
    });
  }

  /** Whether the events waiting to be written are past the bounds: refuse new calls until they are not. */
  backlogged(): boolean {
    return this.events.length >= this.maxPendingEvents || this.eventBytes >= this.maxPendingEventBytes;
  }

  /** Audit events not committed yet: queued, aggregated failures, and the flush's uncommitted ones. */
  queuedEvents(): number {
    return this.events.length + this.failures.size + this.writingEvents;
  }

  /** When (performance.now()) the oldest record (event, use) not committed yet was queued. */
  oldestUnwrittenSince(): number | undefined {
    return this.writingSince ?? this.queuedSince;
  }

  /**
   * The last use not yet written for this key, so reads can show it before the flush: queued, or
   * being written right now (until its transaction commits, the store does not show it either).
   */
  pendingFor(accessKeyId: string): LastUsedUpdate | undefined {
    return this.lastUsed.get(accessKeyId) ?? this.writing?.get(accessKeyId);
  }

  /**
   * Writes everything pending, in transactions of at most EVENTS_PER_WRITE events with a turn of the
   * event loop between them, so that no write holds the event loop (SQLite writes synchronously) for
   * long. Safe to call concurrently: flushes run one after another. Nothing is lost on failure: what
   * was not written is queued again, in front of what arrived meanwhile.
   */
  flush(): Promise<void> {
    const run = this.flushing.then(async () => {
      if (this.failureCounts.size > 0) {
        for (const failure of this.failures.values()) this.hold(failure);
        this.failures = new Map();
        this.failureCounts = new Map();
      }
      if (this.lastUsed.size === 0 && this.keyUsage.size === 0 && this.events.length === 0) {
        this.queuedSince = undefined;
        return;
      }
      let lastUsed = this.lastUsed;
      let keyUsage = this.keyUsage;
      const events = this.events;
      this.lastUsed = new Map();
      this.keyUsage = new Map();
      this.events = [];
      this.eventBytes = 0;
      let written = 0;
      this.writing = lastUsed;
      this.writingEvents = events.length;
      this.writingSince = this.queuedSince;
      this.queuedSince = undefined;
      try {
        do {
          if (written > 0) await new Promise((resolve) => setImmediate(resolve));
          const chunk = events.slice(written, written + EVENTS_PER_WRITE);
          await this.store.recordActivity({
            events: chunk,
            lastUsed: [...lastUsed.values()],
            keyUsage: [...keyUsage.values()],
          });
          written += chunk.length;
          this.writingEvents -= chunk.length;
          this.writing = undefined;
          lastUsed = new Map();
          keyUsage = new Map();
        } while (written < events.length);
        this.writingSince = undefined;
      } catch (err) {
        this.writing = undefined;
        this.writingEvents = 0;
        // What was not written is older than anything queued meanwhile.
        this.queuedSince = this.writingSince ?? this.queuedSince;
        this.writingSince = undefined;
        this.requeue(lastUsed, keyUsage, events.slice(written));
        throw err;
      }
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private requeue(
    lastUsed: Map<string, LastUsedUpdate>,
    keyUsage: Map<string, KeyUsageUpdate>,
    events: AuditEventRecord[],
  ): void {
    for (const [id, update] of lastUsed) {
      if (!this.lastUsed.has(id)) this.lastUsed.set(id, update);
    }
    for (const [slot, usage] of keyUsage) {
      const newer = this.keyUsage.get(slot);
      if (newer) {
        newer.callCount += usage.callCount;
        newer.firstUsedAt = usage.firstUsedAt;
      } else {
        this.keyUsage.set(slot, usage);
      }
    }
    const newer = this.events;
    this.events = [];
    this.eventBytes = 0;
    for (const event of [...events, ...newer]) this.hold(event);
    this.schedule();
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private hold(event: AuditEventRecord): void {
    this.events.push(event);
    this.eventBytes += sizeOf(event);
  }

  private schedule(): void {
    this.queuedSince ??= performance.now();
    // A full write's worth is written at once rather than piling up for the whole interval.
    if (this.events.length >= EVENTS_PER_WRITE && !this.flushSoon) {
      this.flushSoon = true;
      setImmediate(() => {
        this.flushSoon = false;
        this.flush().catch(this.onError);
      });
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(this.onError);
    }, this.flushIntervalMs).unref();
  }
}
