import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { FailureLimiter } from './failure-limiter.js';

describe('FailureLimiter', () => {
  it('allows a burst of failures, then refuses the source until its allowance refills', () => {
    const clock = new ManualClock(0);
    const limiter = new FailureLimiter(clock, { perSecond: 2, burst: 3, maxSources: 10 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.allows('10.0.0.1')).toBe(true);
      limiter.fail('10.0.0.1');
    }
    expect(limiter.allows('10.0.0.1')).toBe(false);
    // Other sources are not affected.
    expect(limiter.allows('10.0.0.2')).toBe(true);
    clock.advance(499);
    expect(limiter.allows('10.0.0.1')).toBe(false);
    clock.advance(1);
    expect(limiter.allows('10.0.0.1')).toBe(true);
    limiter.fail('10.0.0.1');
    expect(limiter.allows('10.0.0.1')).toBe(false);
  });

  it('forgets the least recently failing source when it tracks too many', () => {
    const clock = new ManualClock(0);
    const limiter = new FailureLimiter(clock, { perSecond: 1, burst: 1, maxSources: 2 });
    limiter.fail('a');
    limiter.fail('b');
    expect(limiter.allows('a')).toBe(false);
    limiter.fail('c');
    // 'a' was the oldest: forgotten, so allowed again; 'b' and 'c' are still limited.
    expect(limiter.allows('a')).toBe(true);
    expect(limiter.allows('b')).toBe(false);
    expect(limiter.allows('c')).toBe(false);
  });

  it('limits nothing when switched off', () => {
    const limiter = new FailureLimiter(new ManualClock(0), { perSecond: 0, burst: 0, maxSources: 1 });
    for (let i = 0; i < 100; i++) limiter.fail('a');
    expect(limiter.allows('a')).toBe(true);
  });
});
