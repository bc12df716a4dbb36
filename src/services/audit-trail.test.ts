import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { cryptoRandom } from '../core/random.js';
import { makeSqliteTestStore, type TestStore } from '../../test/support/test-stores.js';
import { AuditTrail } from './audit-trail.js';
import { UsageRecorder } from './usage-recorder.js';

const DAY = 24 * 60 * 60 * 1000;
const ACCOUNT = '1234567890123456';
let handle: TestStore;
let usage: UsageRecorder;
let audit: AuditTrail;
const clock = new ManualClock(Date.parse('2026-11-28T00:00:00Z'));

beforeEach(async () => {
  handle = await makeSqliteTestStore();
  await handle.store.createAccount({
    accountId: ACCOUNT,
    loginName: 'root',
    passwordHash: 'x',
    createdAt: 0,
  });
  usage = new UsageRecorder(handle.store, { flushIntervalMs: 60_000 });
  audit = new AuditTrail(handle.store, usage, clock, cryptoRandom, 90);
});

afterEach(async () => {
  await usage.close();
  await handle.cleanup();
});

const root = { kind: 'root', accountId: ACCOUNT } as const;
const lookup = () =>
  handle.store.lookupAuditEvents({
    accountId: ACCOUNT,
    startTime: 0,
    endTime: clock.now() + DAY * 365,
    direction: 'FORWARD',
    limit: 100,
  });

function call(eventName: string) {
  const c = audit.begin({ requestId: 'R', sourceIp: '127.0.0.1', userAgent: 'ua', eventSource: 'h' });
  c.eventName = eventName;
  c.principal = root;
  audit.route(c, 'Ram', 'Write');
  return c;
}

describe('AuditTrail', () => {
  it('commits a write event with its change, and records a failure after the change on it', async () => {
    const c = call('CreateUser');
    await audit.write(c, () =>
      handle.store.createUser({
        accountId: ACCOUNT,
        userId: '1111111111111111',
        userName: 'u',
        displayName: '',
        email: '',
        mobilePhone: '',
        comments: '',
        createdAt: 0,
        updatedAt: 0,
      }),
    );
    expect(c.slot?.written).toBe(true);
    expect(await lookup()).toHaveLength(1);
    audit.fail(c, 'InternalError', 'after the change');
    await audit.finish(c);
    await usage.flush();
    // Still one event, now with the failure.
    expect(await lookup()).toMatchObject([{ eventName: 'CreateUser', errorCode: 'InternalError' }]);
  });

  it('queues an event that committed with no change, and counts use only when the gate said so', async () => {
    const refused = call('DeleteUser');
    audit.fail(refused, 'NoPermission', 'no');
    await audit.finish(refused);
    clock.advance(1);
    const unverified = call('ListUsers');
    unverified.accessKeyId = 'LTAIx';
    await audit.finish(unverified);
    clock.advance(1);
    const used = call('ListUsers');
    used.accessKeyId = 'LTAIy';
    used.used = true;
    await audit.finish(used);
    expect(await lookup()).toHaveLength(0);
    await usage.flush();
    expect((await lookup()).map((e) => [e.eventName, e.errorCode])).toEqual([
      ['DeleteUser', 'NoPermission'],
      ['ListUsers', ''],
      ['ListUsers', ''],
    ]);
    expect(await handle.store.listKeyUsage(ACCOUNT, 'LTAIx')).toEqual([]);
    expect(await handle.store.listKeyUsage(ACCOUNT, 'LTAIy')).toMatchObject([{ callCount: 1 }]);
  });

  it('purges events past the retention period, and only those', async () => {
    const start = clock.now();
    for (const age of [100, 91, 89, 1]) {
      clock.set(start - age * DAY);
      await audit.finish(call(`Age${String(age)}`));
    }
    clock.set(start);
    await usage.flush();
    expect(await audit.purgeExpired()).toBe(2);
    expect((await lookup()).map((e) => e.eventName)).toEqual(['Age89', 'Age1']);
    // A year later with a 365-day retention, nothing more goes.
    expect(await new AuditTrail(handle.store, usage, clock, cryptoRandom, 365).purgeExpired()).toBe(0);
  });

  it('runs the retention job at once and on its interval until stopped', async () => {
    const outcomes: (number | Error)[] = [];
    const stop = audit.scheduleRetention(10, (o) => outcomes.push(o));
    await vi.waitFor(() => {
      expect(outcomes.length).toBeGreaterThanOrEqual(2);
    });
    stop();
    const seen = outcomes.length;
    expect(outcomes.every((o) => o === 0)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(outcomes).toHaveLength(seen);
  });
});
