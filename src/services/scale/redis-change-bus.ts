// The change bus between nodes, over Redis pub/sub. Each change is delivered on its own node at once
// (synchronously, as LocalChangeBus does) and published on one channel; every node's subscriber
// connection delivers the other nodes' changes.
//
// Why Redis pub/sub rather than PostgreSQL LISTEN/NOTIFY: Redis is required anyway (the nonces of
// every signed call are there), so the bus adds no dependency and no failure mode of its own: with
// Redis away, signed calls are refused whatever the bus does. LISTEN holds one PostgreSQL connection
// per node outside the pool for good (connection poolers such as PgBouncer in transaction mode do
// not carry it), and NOTIFY takes a database-wide lock at commit that serializes every committing
// transaction that notified. Pub/sub costs Redis one message per change and nothing per request.
// What LISTEN/NOTIFY would give (a notification sent if and only if its transaction commits) is made
// up for here: a change whose publish failed makes every node drop all its caches once Redis answers
// again (a reset), and the caches' time-to-live bounds what any missed message could leave.
import type { Redis } from 'ioredis';
import type { Change, ChangeBus, ChangeListener, FreshnessListener } from '../change-bus.js';

export interface RedisChangeBusOptions {
  /** The connection that publishes (it may serve other commands too: the nonce store's). */
  publisher: Redis;
  /** A connection of its own: once subscribed it takes no other command. */
  subscriber: Redis;
  /** The channel every node of the installation publishes on (with the installation's key prefix). */
  channel: string;
  /** This process, unique among the nodes: its own messages come back and are ignored. */
  nodeId: string;
  /** Each change received from another node, with the time from its publish (for the metrics). */
  onDelivery?: (lagMs: number) => void;
  /** Failed publishes and unreadable messages, for the log. */
  onError?: (err: unknown) => void;
  /**
   * How often the subscriber connection is pinged (default 1 s): a Redis that stopped answering
   * without closing the connection makes the bus stale within this plus the command timeout.
   */
  heartbeatMs?: number;
}

/** What goes over the channel: a change, or a reset (its publisher lost changes: drop everything). */
type Message = { node: string; at: number } & ({ change: Change } | { reset: true });

export class RedisChangeBus implements ChangeBus {
  private readonly listeners = new Set<ChangeListener>();
  private readonly freshnessListeners = new Set<FreshnessListener>();
  private readonly publishing = new Set<Promise<unknown>>();
  private readonly heartbeat: NodeJS.Timeout;
  private isFresh = false;
  /** A publish failed: the other nodes may miss a change until a reset reaches them. */
  private owesReset = false;
  /** The last publish failed: further failures are not reported again until one succeeds. */
  private publishFailing = false;
  private resetTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: RedisChangeBusOptions) {
    const { subscriber } = options;
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === options.channel) this.receive(text);
    });
    // Stale at once: changes published from now on would not arrive.
    subscriber.on('close', () => {
      this.setFresh(false);
    });
    subscriber.on('ready', () => {
      this.subscribeChannel();
    });
    if (subscriber.status === 'ready') this.subscribeChannel();
    this.heartbeat = setInterval(() => {
      this.checkSubscriber();
    }, options.heartbeatMs ?? 1000);
    this.heartbeat.unref();
  }

  get fresh(): boolean {
    return this.isFresh;
  }

  publish(change: Change): void {
    for (const listener of this.listeners) listener(change);
    this.send({ node: this.options.nodeId, at: Date.now(), change });
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  onFreshness(listener: FreshnessListener): () => void {
    this.freshnessListeners.add(listener);
    return () => {
      this.freshnessListeners.delete(listener);
    };
  }

  /**
   * Stops listening and waits for the publishes under way (each bounded by the command timeout); a
   * reset still owed is tried once. The connections are closed by whoever opened them.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.resetTimer);
    if (this.owesReset) this.sendReset();
    await Promise.allSettled([...this.publishing]);
    this.setFresh(false);
  }

  private send(message: Message): void {
    const sent = this.options.publisher
      .publish(this.options.channel, JSON.stringify(message))
      .then(
        () => {
          this.publishFailing = false;
        },
        (err: unknown) => {
          // Once per outage in the log, not once a second.
          if (!this.publishFailing) this.options.onError?.(err);
          this.publishFailing = true;
          this.oweReset();
        },
      )
      .finally(() => this.publishing.delete(sent));
    this.publishing.add(sent);
  }

  private oweReset(): void {
    this.owesReset = true;
    if (this.closed || this.resetTimer !== undefined) return;
    // Tried every second until Redis takes it (any node may have missed the lost change until then).
    this.resetTimer = setTimeout(() => {
      this.resetTimer = undefined;
      this.sendReset();
    }, 1000);
    this.resetTimer.unref();
  }

  private sendReset(): void {
    this.owesReset = false;
    this.send({ node: this.options.nodeId, at: Date.now(), reset: true });
  }

  private subscribeChannel(): void {
    this.options.subscriber.subscribe(this.options.channel).then(
      () => {
        // Changes are delivered again from here on; what was published during the gap is not.
        this.setFresh(true);
      },
      (err: unknown) => {
        this.options.onError?.(err);
        // Stay stale; a new connection subscribes again when ready.
        this.options.subscriber.disconnect(true);
      },
    );
  }

  private checkSubscriber(): void {
    if (!this.isFresh) return;
    this.options.subscriber.ping().catch((err: unknown) => {
      // Connected but not answering: nothing published now would arrive. Reconnect.
      this.options.onError?.(err);
      this.setFresh(false);
      this.options.subscriber.disconnect(true);
    });
  }

  private receive(text: string): void {
    let message: Message;
    try {
      message = parseMessage(text);
    } catch (err) {
      this.options.onError?.(err);
      return;
    }
    if (message.node === this.options.nodeId) return;
    this.options.onDelivery?.(Date.now() - message.at);
    if ('reset' in message) {
      // Another node lost changes it made: every cache starts afresh, as after a gap of our own.
      if (!this.isFresh) return;
      this.setFresh(false);
      this.setFresh(true);
      return;
    }
    for (const listener of this.listeners) listener(message.change);
  }

  private setFresh(fresh: boolean): void {
    if (this.isFresh === fresh || (fresh && this.closed)) return;
    this.isFresh = fresh;
    for (const listener of this.freshnessListeners) listener(fresh);
  }
}

const KINDS = new Set(['accessKey', 'principal', 'permissions', 'networkPolicy', 'services']);

/** The message, checked field by field: anything else on the channel is refused, not applied. */
function parseMessage(text: string): Message {
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null) throw new Error('change bus message is not an object');
  const m = value as Record<string, unknown>;
  if (typeof m.node !== 'string' || typeof m.at !== 'number') {
    throw new Error('change bus message lacks its node or time');
  }
  if (m.reset === true) return { node: m.node, at: m.at, reset: true };
  const change = m.change as Record<string, unknown> | null | undefined;
  const kind = change?.kind;
  if (typeof change !== 'object' || change === null || typeof kind !== 'string' || !KINDS.has(kind)) {
    throw new Error('change bus message holds no known change');
  }
  for (const field of ['accountId', 'accessKeyId', 'userId'] as const) {
    const v = change[field];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw new Error(`change bus message has a malformed ${field}`);
    }
  }
  return { node: m.node, at: m.at, change: change as unknown as Change };
}
