// lazy: a value made at first use. The store's prepared statements are made that way, because their
// tables exist only once the store has migrated.

export function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
