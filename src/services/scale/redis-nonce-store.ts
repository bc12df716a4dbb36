// Replay protection shared by every node: each nonce is one Redis key, set only if absent, expiring
// when its request's timestamp leaves the window. A request replayed to another node finds the key.
//
// Redis keeps no data across a restart here (none is needed for the bus, and persistence would not
// cover the last second's writes anyway), so a restart forgets the nonces of the window. A fence
// closes that replay window: a sentinel key, set once and never expiring, tells each connection
// whether Redis still holds what the nodes wrote. When it is missing (Redis restarted, was flushed,
// or failed over to a replica that lacks it), the node that finds out sets the fence to the time it
// did (a first start is told apart by a marker in the database); every node reads the fence on each (re)connection before it answers a call, and refuses as a
// replay any request signed before it. A captured request cannot move its signed timestamp, and
// fresh requests are signed after the fence, so the only cost is that a call signed in the moment
// before Redis came back must be signed again. The fence reasons about signing clocks: a request
// from a client whose clock ran ahead of the nodes' by more than Redis was away carries a timestamp
// past the fence, and its replay is not caught; keep clients' clocks synchronised (NTP).
import type { Redis } from 'ioredis';
import {
  nonceFingerprint,
  NonceStoreUnavailableError,
  PURGE_GRACE_MS,
  type NonceStore,
} from '../gate/nonce-store.js';

export interface RedisNonceStoreOptions {
  /** Put before every key. */
  prefix: string;
  /** The node's clock (milliseconds since the epoch). */
  now: () => number;
  /**
   * Resolves true the first time it is ever called for this installation and prefix (remembered in
   * the database), false afterwards: a missing sentinel is then a loss, not a first start.
   */
  firstUse: () => Promise<boolean>;
  /** A lost Redis data set detected by this node, with the fence it set (for the log). */
  onFence?: (fenceMs: number) => void;
  onError?: (err: unknown) => void;
}

export class RedisNonceStore implements NonceStore {
  private readonly sentinelKey: string;
  private readonly fenceKey: string;
  /** Requests signed before this are refused; undefined until read on the current connection. */
  private fence: number | undefined;
  private reading: Promise<void> | undefined;

  /**
   * `redis`: a connection opened by openRedis (no offline queue, a command timeout), so that a
   * Redis that is away or slow refuses the call within a second rather than holding it.
   */
  constructor(
    private readonly redis: Redis,
    private readonly options: RedisNonceStoreOptions,
  ) {
    this.sentinelKey = `${options.prefix}nonces:sentinel`;
    this.fenceKey = `${options.prefix}nonces:fence`;
    // Every new connection may find another Redis: read the fence again before answering.
    redis.on('ready', () => {
      this.fence = undefined;
      void this.readFence().catch((err: unknown) => this.options.onError?.(err));
    });
    redis.on('close', () => {
      this.fence = undefined;
    });
  }

  /**
   * `SET <prefix>nonce:<fingerprint> 1 NX PX <ms>`: one atomic command, so of two nodes given the same
   * nonce at once exactly one is told it is fresh. Only the fingerprint is stored, never the nonce.
   * The key lives PURGE_GRACE_MS past the nonce's expiry, as the durable store keeps its rows: that
   * covers a clock stepping back and nodes whose clocks disagree by up to as much (a node whose clock
   * is behind accepts the timestamp for longer). A request signed before the fence is a possible
   * replay whose nonce Redis forgot: refused as used. Rejects with NonceStoreUnavailableError when
   * Redis does not answer (not connected, timed out): the gate refuses the call (ServiceUnavailable).
   */
  async remember(
    accessKeyId: string,
    nonce: string,
    expiresAt: number,
    now: number,
    signedAt: number,
  ): Promise<boolean> {
    const key = `${this.options.prefix}nonce:${nonceFingerprint(accessKeyId, nonce)}`;
    const ttlMs = Math.max(1, expiresAt - now) + PURGE_GRACE_MS;
    try {
      const fence = this.fence ?? (await this.fenceNow());
      // Wire timestamps have whole seconds: a request signed in the fence's own second is refused too.
      if (signedAt < fence) return false;
      return (await this.redis.set(key, '1', 'PX', ttlMs, 'NX')) === 'OK';
    } catch (err) {
      throw new NonceStoreUnavailableError('Redis did not answer', { cause: err });
    }
  }

  private async fenceNow(): Promise<number> {
    await this.readFence();
    if (this.fence === undefined) throw new Error('the nonce fence could not be read');
    return this.fence;
  }

  private readFence(): Promise<void> {
    this.reading ??= this.loadFence().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  /**
   * No sentinel, on an installation that used Redis before, means Redis lost it: fence at this
   * node's time, kept if another node set a later one meanwhile. Then read the fence.
   */
  private async loadFence(): Promise<void> {
    const now = this.options.now();
    if ((await this.redis.exists(this.sentinelKey)) === 0 && (await this.options.firstUse())) {
      // A new installation (or prefix): nothing was lost.
      await this.redis.set(this.sentinelKey, String(now));
    } else if ((await this.redis.exists(this.sentinelKey)) === 0) {
      // The fence before the sentinel: a node that finds the sentinel finds the fence too. Two nodes
      // finding it missing at once both raise it (fences only rise; either time is after the loss).
      const current = Number((await this.redis.get(this.fenceKey)) ?? 0);
      if (!(current >= now)) await this.redis.set(this.fenceKey, String(now));
      await this.redis.set(this.sentinelKey, String(now));
      this.options.onFence?.(now);
    }
    const fence = Number((await this.redis.get(this.fenceKey)) ?? 0);
    this.fence = Number.isFinite(fence) ? fence : 0;
  }
}
