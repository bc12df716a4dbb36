import { describe, expect, it } from 'vitest';
import { LocalChangeBus, type Change } from './change-bus.js';

describe('LocalChangeBus', () => {
  it('delivers each change to every subscriber before publish returns, until it unsubscribes', () => {
    const bus = new LocalChangeBus();
    const a: Change[] = [];
    const b: Change[] = [];
    const stopA = bus.subscribe((c) => a.push(c));
    bus.subscribe((c) => b.push(c));
    const change: Change = { kind: 'permissions', accountId: '1234567890123456' };
    bus.publish(change);
    expect(a).toEqual([change]);
    expect(b).toEqual([change]);
    stopA();
    bus.publish({ kind: 'principal', accountId: '1234567890123456', userId: '1' });
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(2);
  });
});
