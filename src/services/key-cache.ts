// The gate's view of AccessKeys: record, owning principal and prepared signing key, cached in memory
// and invalidated on every change, so the hot path neither queries the database nor decrypts.
import type { Clock } from '../core/clock.js';
import { prepareSigningKey, type SigningKey } from '../core/signature/index.js';
import type { Sealer } from '../store/sealer.js';
import type { AccessKeyStatus, Store } from '../store/store.js';
import type { Principal } from './principal.js';

export interface CachedKey {
  accessKeyId: string;
  status: AccessKeyStatus;
  principal: Principal;
  signingKey: SigningKey;
}

interface Entry {
  key: CachedKey | undefined;
  /** Negative entries (unknown IDs) expire; positive ones live until invalidated. */
  expiresAt: number;
}

export interface KeyCacheOptions {
  maxEntries?: number;
  negativeTtlMs?: number;
}

export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<CachedKey | undefined>>();
  private readonly maxEntries: number;
  private readonly negativeTtlMs: number;
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    options: KeyCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 10_000;
  }

  /** The key, or undefined when it does not exist (or is deleted). */
  get(accessKeyId: string): CachedKey | undefined | Promise<CachedKey | undefined> {
    const entry = this.entries.get(accessKeyId);
    if (entry && (entry.key !== undefined || entry.expiresAt > this.clock.now())) return entry.key;
    return this.load(accessKeyId);
  }

  invalidate(accessKeyId: string): void {
    this.generation++;
    this.entries.delete(accessKeyId);
  }

  /** Drops every key of a user (after a rename or deletion changes its principal). */
  invalidateUser(accountId: string, userId: string): void {
    this.generation++;
    for (const [id, entry] of this.entries) {
      const p = entry.key?.principal;
      if (p?.kind === 'user' && p.accountId === accountId && p.userId === userId) this.entries.delete(id);
    }
  }

  private load(accessKeyId: string): Promise<CachedKey | undefined> {
    const inFlight = this.loading.get(accessKeyId);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const promise = this.fetch(accessKeyId)
      .then((key) => {
        // A change that raced with this load wins: don't cache what may already be stale.
        if (generation === this.generation) this.put(accessKeyId, key);
        return key;
      })
      .finally(() => this.loading.delete(accessKeyId));
    this.loading.set(accessKeyId, promise);
    return promise;
  }

  private async fetch(accessKeyId: string): Promise<CachedKey | undefined> {
    const record = await this.store.getAccessKey(accessKeyId);
    if (!record) return undefined;
    let principal: Principal;
    if (record.userId === null) {
      principal = { kind: 'root', accountId: record.accountId };
    } else {
      const user = await this.store.getUserById(record.accountId, record.userId);
      if (!user) return undefined;
      principal = { kind: 'user', accountId: record.accountId, userId: user.userId, userName: user.userName };
    }
    const secret = this.sealer.open(record.accessKeyId, record.sealedSecret);
    return {
      accessKeyId: record.accessKeyId,
      status: record.status,
      principal,
      signingKey: prepareSigningKey(secret.reveal()),
    };
  }

  private put(accessKeyId: string, key: CachedKey | undefined): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(accessKeyId, { key, expiresAt: this.clock.now() + this.negativeTtlMs });
  }
}
