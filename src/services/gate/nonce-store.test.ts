import { describe, expect, it } from 'vitest';
import { MemoryNonceStore, NonceStoreFullError } from './nonce-store.js';

describe('MemoryNonceStore', () => {
  // Security property: within its window a nonce is accepted once; a replay is refused.
  it('refuses a nonce seen before until it expires', () => {
    const nonces = new MemoryNonceStore();
    expect(nonces.remember('LTAIa', 'n1', 1_000, 0)).toBe(true);
    expect(nonces.remember('LTAIa', 'n1', 1_000, 500)).toBe(false);
    expect(nonces.remember('LTAIb', 'n1', 1_000, 500)).toBe(true);
    expect(nonces.remember('LTAIa', 'n1', 2_000, 1_000)).toBe(true);
  });

  it('keeps its memory bounded by sweeping expired nonces', () => {
    const nonces = new MemoryNonceStore(3);
    for (const n of ['a', 'b', 'c']) expect(nonces.remember('k', n, 100, 0)).toBe(true);
    expect(nonces.remember('k', 'd', 300, 200)).toBe(true);
    expect(nonces.size).toBe(1);
  });

  // Fail closed: when every remembered nonce is still live, forgetting one would allow a replay.
  it('refuses new nonces rather than forget live ones when full', () => {
    const nonces = new MemoryNonceStore(2);
    nonces.remember('k', 'a', 1_000, 0);
    nonces.remember('k', 'b', 1_000, 0);
    expect(() => nonces.remember('k', 'c', 1_000, 10)).toThrow(NonceStoreFullError);
    expect(nonces.remember('k', 'a', 1_000, 10)).toBe(false);
  });

  it('sweeps entries that expire out of insertion order', () => {
    const nonces = new MemoryNonceStore(2);
    nonces.remember('k', 'late', 1_000, 0);
    nonces.remember('k', 'early', 100, 0);
    expect(nonces.remember('k', 'new', 1_200, 500)).toBe(true);
    expect(nonces.size).toBe(2);
  });
});
