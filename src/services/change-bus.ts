// The change bus: services publish what changed once it is committed; caches subscribe and drop what
// the change makes stale. In-process here; the multi-node transport (RedisChangeBus, in scale/)
// implements the same interface to carry changes between nodes.

/** What changed, as narrowly as the subscribers need to know it. */
export type Change =
  /** A key was created, enabled, disabled, deleted into the recycle bin, restored or purged. */
  | { readonly kind: 'accessKey'; readonly accountId: string; readonly accessKeyId: string }
  /**
   * A RAM user was renamed, deleted into the recycle bin or restored: every key of it names a changed
   * principal.
   */
  | { readonly kind: 'principal'; readonly accountId: string; readonly userId: string }
  /**
   * Something any principal's permissions in the account may depend on: an attachment, a
   * membership, a policy's default version, a security preference.
   */
  | { readonly kind: 'permissions'; readonly accountId: string }
  /** A network access policy of the account, its own or one of its keys', was set. */
  | { readonly kind: 'networkPolicy'; readonly accountId: string }
  /**
   * A custom service of the account was created, updated or deleted; `accountId` null: a global
   * service (which every account resolves).
   */
  | { readonly kind: 'services'; readonly accountId: string | null };

export type ChangeListener = (change: Change) => void;

/** Told `false` the moment the bus may be missing changes, `true` once it carries them all again. */
export type FreshnessListener = (fresh: boolean) => void;

export interface ChangeBus {
  /** Delivers the change to every subscriber (on this node at once; on others within a second). */
  publish(change: Change): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: ChangeListener): () => void;
  /**
   * Whether every change committed anywhere reaches this node's subscribers. While false (the
   * connection to the other nodes is lost), a cache would not learn of changes: it must not serve
   * what it holds, and must drop it once fresh again (what changed meanwhile was never delivered).
   */
  readonly fresh: boolean;
  /** Calls `listener` whenever `fresh` changes; returns the function that unsubscribes. */
  onFreshness(listener: FreshnessListener): () => void;
}

/** The single-node bus: delivers synchronously, so a change is in force before publish returns. */
export class LocalChangeBus implements ChangeBus {
  private readonly listeners = new Set<ChangeListener>();
  /** Nothing can be missed within one process. */
  readonly fresh = true;

  publish(change: Change): void {
    for (const listener of this.listeners) listener(change);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  onFreshness(): () => void {
    return () => undefined;
  }
}

/** A cache that the bus's changes keep fresh (the key cache, the authorizer's policies, ...). */
export interface ChangeFedCache {
  /** Drops every entry; while `bypassed`, every lookup reads the store and nothing is kept. */
  setBypassed(bypassed: boolean): void;
}

/**
 * Never serve from a cache the bus cannot keep fresh: while the bus is stale every cache is emptied
 * and bypassed; once fresh again each is emptied once more (what changed during the gap was never
 * delivered) and caches anew. Returns the function that stops following the bus.
 */
export function keepFresh(bus: ChangeBus, caches: readonly ChangeFedCache[]): () => void {
  const follow = (fresh: boolean) => {
    for (const cache of caches) cache.setBypassed(!fresh);
  };
  if (!bus.fresh) follow(false);
  return bus.onFreshness(follow);
}
