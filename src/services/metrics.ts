// Prometheus metrics of one Ramkey, in a registry of its own (never prom-client's global one: one
// process may run several, as the tests do). The hot path stays cheap: counters are plain numbers
// that prom-client reads when scraped, histograms are observed through children labelled once, and
// nothing is allocated per request beyond what a new label value needs once.
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Which door a request came in by. */
export type RouteKind = 'rpc' | 'forward-auth' | 'console';

/** The in-memory caches whose lookups are counted. */
export type CacheName = 'keys' | 'networkPolicies' | 'policies' | 'services';

/** What a cache tells of each lookup: answered from memory (hit), or had to wait for the store (miss). */
export interface LookupCounter {
  hit(): void;
  miss(): void;
}

/** How a nonce store answered: a fresh nonce, a replay, or no answer (it threw or rejected). */
export type NonceOutcome = 'fresh' | 'replayed' | 'failed';

/** What the audit gauges read when scraped (the usage recorder). */
export interface AuditQueue {
  /** Audit events not yet committed to the database. */
  queuedEvents(): number;
  /** When (performance.now()) the oldest record not yet committed was queued; undefined when none. */
  oldestUnwrittenSince(): number | undefined;
}

export interface MetricsOptions {
  /** Also export prom-client's process and Node.js metrics (CPU, memory, event loop, GC). */
  processMetrics?: boolean;
}

/** The action label of a request whose action is not known (not parsed, not routed, unresolved). */
export const UNKNOWN_ACTION = 'unknown';
/** The action label past MAX_ACTION_LABELS distinct actions (custom services' actions are many). */
export const OTHER_ACTION = 'other';
/** Distinct action labels at most, so that the series stay bounded whatever services are defined. */
export const MAX_ACTION_LABELS = 1000;
/** The result code of a request that succeeded. */
export const SUCCESS = 'Success';

/** Seconds, from a tenth of a millisecond (a warm gate) to seconds (a stalled database). */
const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
/** Seconds from a change's publication on one node to its delivery on another. */
const BUS_LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class Lookups implements LookupCounter {
  hits = 0;
  misses = 0;
  hit(): void {
    this.hits++;
  }
  miss(): void {
    this.misses++;
  }
}

export class Metrics {
  private readonly registry = new Registry();
  /** Requests by route, then action label, then result code: how many. */
  private readonly requests: Record<RouteKind, Map<string, Map<string, number>>> = {
    rpc: new Map(),
    'forward-auth': new Map(),
    console: new Map(),
  };
  private actionLabels = 0;
  private readonly lookups: Record<CacheName, Lookups> = {
    keys: new Lookups(),
    networkPolicies: new Lookups(),
    policies: new Lookups(),
    services: new Lookups(),
  };
  private readonly gateLatency: Record<RouteKind, Histogram.Internal<'route'>>;
  private readonly nonceLatency: Record<NonceOutcome, Histogram.Internal<'outcome'>>;
  private readonly busLag: Histogram;
  private auditQueue: AuditQueue | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const requests = this.requests;
    new Counter({
      name: 'ramkey_requests_total',
      help: 'Requests answered, by route (rpc, forward-auth), action (authorization name) and result code.',
      labelNames: ['route', 'action', 'code'],
      registers,
      collect() {
        this.reset();
        for (const [route, actions] of Object.entries(requests)) {
          for (const [action, codes] of actions) {
            for (const [code, n] of codes) this.inc({ route, action, code }, n);
          }
        }
      },
    });
    const lookups = this.lookups;
    new Counter({
      name: 'ramkey_cache_lookups_total',
      help: 'Lookups in the in-memory caches, by cache and result (hit: answered from memory; miss: read the store).',
      labelNames: ['cache', 'result'],
      registers,
      collect() {
        this.reset();
        for (const [cache, counts] of Object.entries(lookups)) {
          this.inc({ cache, result: 'hit' }, counts.hits);
          this.inc({ cache, result: 'miss' }, counts.misses);
        }
      },
    });
    const gate = new Histogram({
      name: 'ramkey_gate_latency_seconds',
      help: "From the request's arrival at its handler (its body read) to the gate's decision.",
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.gateLatency = {
      rpc: gate.labels({ route: 'rpc' }),
      'forward-auth': gate.labels({ route: 'forward-auth' }),
      console: gate.labels({ route: 'console' }),
    };
    const nonces = new Histogram({
      name: 'ramkey_nonce_store_latency_seconds',
      help: 'Time the nonce store took to remember a nonce, by outcome (fresh, replayed, failed).',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.nonceLatency = {
      fresh: nonces.labels({ outcome: 'fresh' }),
      replayed: nonces.labels({ outcome: 'replayed' }),
      failed: nonces.labels({ outcome: 'failed' }),
    };
    const queue = () => this.auditQueue;
    new Gauge({
      name: 'ramkey_audit_queue_events',
      help: 'Audit events waiting to be committed to the database (queued, aggregated or being written).',
      registers,
      collect() {
        this.set(queue()?.queuedEvents() ?? 0);
      },
    });
    new Gauge({
      name: 'ramkey_audit_flush_lag_seconds',
      help: 'Age of the oldest audit event or last use not yet committed to the database; 0 when none.',
      registers,
      collect() {
        const since = queue()?.oldestUnwrittenSince();
        this.set(since === undefined ? 0 : Math.max(0, performance.now() - since) / 1000);
      },
    });
    this.busLag = new Histogram({
      name: 'ramkey_change_bus_lag_seconds',
      help: "From a change's publication on one node to its delivery on this one.",
      buckets: BUS_LAG_BUCKETS,
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition's Content-Type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric, in Prometheus's text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Counts one answered request; `action` undefined when it was not known. */
  countRequest(route: RouteKind, action: string | undefined, code: string): void {
    const actions = this.requests[route];
    const codes = actions.get(action ?? UNKNOWN_ACTION) ?? this.codesOf(actions, action ?? UNKNOWN_ACTION);
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }

  private codesOf(actions: Map<string, Map<string, number>>, action: string): Map<string, number> {
    const label = this.actionLabels < MAX_ACTION_LABELS ? action : OTHER_ACTION;
    let codes = actions.get(label);
    if (!codes) {
      codes = new Map();
      actions.set(label, codes);
      if (label !== OTHER_ACTION) this.actionLabels++;
    }
    return codes;
  }

  /** The gate decided on a request that arrived at `startedAt` (performance.now()). */
  gateDecided(route: RouteKind, startedAt: number): void {
    this.gateLatency[route].observe((performance.now() - startedAt) / 1000);
  }

  /** The nonce store answered after `seconds`; see TimedNonceStore. */
  readonly observeNonce = (outcome: NonceOutcome, seconds: number): void => {
    this.nonceLatency[outcome].observe(seconds);
  };

  /**
   * A change from another node arrived `lagMs` after it was published (the change bus's onDelivery
   * hook). A negative lag (clocks apart) counts as none.
   */
  readonly observeBusLag = (lagMs: number): void => {
    this.busLag.observe(Math.max(0, lagMs) / 1000);
  };

  /** The counter a cache reports its lookups to. */
  cacheLookups(cache: CacheName): LookupCounter {
    return this.lookups[cache];
  }

  /** Where the audit gauges read from when scraped. */
  watchAuditQueue(queue: AuditQueue): void {
    this.auditQueue = queue;
  }
}
