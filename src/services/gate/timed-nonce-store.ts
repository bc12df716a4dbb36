// A nonce store that times another: how long each answer took, and what it was (see Metrics). Wraps
// any NonceStore (the durable one, a shared one) without changing its answers or its errors.
import { performance } from 'node:perf_hooks';
import type { NonceOutcome } from '../metrics.js';
import type { NonceStore } from './nonce-store.js';

export type NonceTimer = (outcome: NonceOutcome, seconds: number) => void;

export class TimedNonceStore implements NonceStore {
  constructor(
    private readonly inner: NonceStore,
    private readonly observe: NonceTimer,
  ) {}

  remember(
    accessKeyId: string,
    nonce: string,
    expiresAt: number,
    now: number,
    signedAt: number,
  ): boolean | Promise<boolean> {
    const started = performance.now();
    let answer: boolean | Promise<boolean>;
    try {
      answer = this.inner.remember(accessKeyId, nonce, expiresAt, now, signedAt);
    } catch (err) {
      this.done('failed', started);
      throw err;
    }
    if (!(answer instanceof Promise)) {
      this.done(answer ? 'fresh' : 'replayed', started);
      return answer;
    }
    return answer.then(
      (fresh) => {
        this.done(fresh ? 'fresh' : 'replayed', started);
        return fresh;
      },
      (err: unknown) => {
        this.done('failed', started);
        throw err;
      },
    );
  }

  private done(outcome: NonceOutcome, started: number): void {
    this.observe(outcome, (performance.now() - started) / 1000);
  }
}
