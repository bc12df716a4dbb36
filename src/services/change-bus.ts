// The change bus: services publish what changed once it is committed; caches subscribe and drop what
// the change makes stale. In-process here; a multi-node transport (Redis pub/sub, PostgreSQL
// LISTEN/NOTIFY) implements the same interface to carry changes between nodes.

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

export interface ChangeBus {
  /** Delivers the change to every subscriber (on this node at once; on others within a second). */
  publish(change: Change): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: ChangeListener): () => void;
}

/** The single-node bus: delivers synchronously, so a change is in force before publish returns. */
export class LocalChangeBus implements ChangeBus {
  private readonly listeners = new Set<ChangeListener>();

  publish(change: Change): void {
    for (const listener of this.listeners) listener(change);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
