// Replay protection for the single-node default: a bounded in-memory set of recently used nonces.
// Scale-out replaces it with a shared store (Redis SET NX with expiry) behind the same interface.
import { hash } from 'node:crypto';

export interface NonceStore {
  /**
   * Remembers `nonce` for `accessKeyId` until `expiresAt` and answers true, or answers false when it
   * was already used and has not expired: a replay.
   */
  remember(accessKeyId: string, nonce: string, expiresAt: number, now: number): boolean | Promise<boolean>;
}

/**
 * Nonces remembered at most. Every accepted request is remembered for the whole window (15 minutes),
 * so this bounds the sustained signed-request rate at about capacity / 900 s (4,400 per second by
 * default) and the memory at about 95 bytes per entry (under 400 MB when full).
 */
export const DEFAULT_NONCE_CAPACITY = 4_000_000;

export class MemoryNonceStore implements NonceStore {
  // Map keeps insertion order, which is close to expiry order because expiry = timestamp + window.
  private readonly entries = new Map<string, number>();

  constructor(private readonly maxEntries = DEFAULT_NONCE_CAPACITY) {}

  remember(accessKeyId: string, nonce: string, expiresAt: number, now: number): boolean {
    // A 27-character digest instead of the key ID and nonce themselves (SDK nonces are 64
    // characters): 40% less memory per entry for about a microsecond. A collision could only make
    // one of the caller's own requests look like a replay.
    const key = hash('sha1', `${accessKeyId}\n${nonce}`, 'base64');
    const seen = this.entries.get(key);
    if (seen !== undefined && seen > now) return false;
    if (this.entries.size >= this.maxEntries) this.sweep(now);
    if (this.entries.size >= this.maxEntries) {
      // Fail closed: forgetting a live nonce would allow a replay, so refuse new ones instead.
      throw new NonceStoreFullError();
    }
    this.entries.delete(key);
    this.entries.set(key, expiresAt);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries from the oldest end; stops at the first live one (amortised O(1)). */
  sweep(now: number): void {
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt > now) break;
      this.entries.delete(key);
    }
    if (this.entries.size >= this.maxEntries) {
      // Insertion order is only roughly expiry order: do one full pass before giving up.
      for (const [key, expiresAt] of this.entries) if (expiresAt <= now) this.entries.delete(key);
    }
  }
}

export class NonceStoreFullError extends Error {
  constructor() {
    super('nonce store is full');
    this.name = 'NonceStoreFullError';
  }
}
