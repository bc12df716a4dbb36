// Replay protection shared by every node: each nonce is one Redis key, set only if absent, expiring
// when its request's timestamp leaves the window. A request replayed to another node finds the key.
import type { Redis } from 'ioredis';
import {
  nonceFingerprint,
  NonceStoreUnavailableError,
  PURGE_GRACE_MS,
  type NonceStore,
} from '../gate/nonce-store.js';

export class RedisNonceStore implements NonceStore {
  /**
   * `redis`: a connection opened by openRedis (no offline queue, a command timeout), so that a
   * Redis that is away or slow refuses the call within a second rather than holding it.
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /**
   * `SET <prefix>nonce:<fingerprint> 1 NX PX <ms>`: one atomic command, so of two nodes given the same
   * nonce at once exactly one is told it is fresh. Only the fingerprint is stored, never the nonce.
   * The key lives PURGE_GRACE_MS past the nonce's expiry, as the durable store keeps its rows: that
   * covers a clock stepping back and nodes whose clocks disagree by up to as much (a node whose clock
   * is behind accepts the timestamp for longer). Rejects with NonceStoreUnavailableError when Redis
   * does not answer (not connected, timed out): the gate refuses the call (ServiceUnavailable).
   */
  async remember(accessKeyId: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    const key = `${this.prefix}nonce:${nonceFingerprint(accessKeyId, nonce)}`;
    const ttlMs = Math.max(1, expiresAt - now) + PURGE_GRACE_MS;
    try {
      return (await this.redis.set(key, '1', 'PX', ttlMs, 'NX')) === 'OK';
    } catch (err) {
      throw new NonceStoreUnavailableError('Redis did not answer', { cause: err });
    }
  }
}
