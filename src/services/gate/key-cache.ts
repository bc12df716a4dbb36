// The gate's view of AccessKeys: record, owning principal and prepared signing key, cached in memory so
// the hot path neither queries the database nor decrypts. Change events drop stale entries at once;
// a time-to-live bounds how long any entry can outlive a change that was missed, and a node whose
// change bus is down bypasses the cache altogether (see setBypassed).
//
// With the database unreachable, an entry keeps being served until it expires: a key can only be
// narrowed (disabled, deleted, restricted, re-policied) by a change that commits to the database,
// which none can meanwhile, so serving it widens nothing. A miss (or any lookup while bypassed) reads
// the store and fails closed: the store's ServiceUnavailable refuses the call.
import type { Clock } from '../../core/clock.js';
import { prepareSigningKey, type SigningKey } from '../../core/signature/index.js';
import type { Sealer } from '../../store/sealer.js';
import type { AccessKeyStatus, Store } from '../../store/store.js';
import type { Change } from '../change-bus.js';
import type { Principal } from '../principal.js';

export interface CachedKey {
  accessKeyId: string;
  status: AccessKeyStatus;
  /** Restricted as suspected leaked: identity and high-risk actions are refused (see leak-restriction). */
  restricted: boolean;
  principal: Principal;
  signingKey: SigningKey;
}

interface Entry {
  key: CachedKey | undefined;
  expiresAt: number;
}

export interface KeyCacheOptions {
  maxEntries?: number;
  /** How long a found key is trusted without a change event (a backstop; default 60 s). */
  ttlMs?: number;
  /** How long an unknown ID is remembered as unknown (default 10 s). */
  negativeTtlMs?: number;
}

export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<CachedKey | undefined>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private generation = 0;
  private bypassed = false;

  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    options: KeyCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.ttlMs = options.ttlMs ?? 60_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 10_000;
  }

  /** The key, or undefined when it does not exist (or is deleted); a value when cached. */
  get(accessKeyId: string): CachedKey | undefined | Promise<CachedKey | undefined> {
    const entry = this.entries.get(accessKeyId);
    if (entry && entry.expiresAt > this.clock.now()) return entry.key;
    return this.load(accessKeyId);
  }

  /** Drops what a change makes stale; subscribe it to the change bus. */
  apply(change: Change): void {
    if (change.kind === 'accessKey') {
      this.generation++;
      this.entries.delete(change.accessKeyId);
    } else if (change.kind === 'principal') {
      this.generation++;
      for (const [id, entry] of this.entries) {
        const p = entry.key?.principal;
        if (p?.kind === 'user' && p.accountId === change.accountId && p.userId === change.userId) {
          this.entries.delete(id);
        }
      }
    }
  }

  /**
   * Drops every entry, and the loads under way (a node that can no longer trust its change feed
   * starts afresh: a lookup after this reads the store anew).
   */
  clear(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }

  /**
   * Clears; while `bypassed`, every lookup reads the store and nothing is kept (the change bus is
   * down: an entry could not learn of a change). See keepFresh.
   */
  setBypassed(bypassed: boolean): void {
    this.bypassed = bypassed;
    this.clear();
  }

  private load(accessKeyId: string): Promise<CachedKey | undefined> {
    const inFlight = this.loading.get(accessKeyId);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const promise: Promise<CachedKey | undefined> = this.fetch(accessKeyId)
      .then((key) => {
        // A change that raced with this load wins: don't cache what may already be stale.
        if (generation === this.generation && !this.bypassed) this.put(accessKeyId, key);
        return key;
      })
      .finally(() => {
        if (this.loading.get(accessKeyId) === promise) this.loading.delete(accessKeyId);
      });
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
    const restrictions = await this.store.getKeyRestrictions([record.accessKeyId]);
    return {
      accessKeyId: record.accessKeyId,
      status: record.status,
      restricted: restrictions.length > 0,
      principal,
      signingKey: prepareSigningKey(secret.reveal()),
    };
  }

  private put(accessKeyId: string, key: CachedKey | undefined): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const ttl = key ? this.ttlMs : this.negativeTtlMs;
    this.entries.set(accessKeyId, { key, expiresAt: this.clock.now() + ttl });
  }
}
