import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { cryptoRandom } from '../core/random.js';
import { makeSqliteTestStore, type TestStore } from '../../test/support/test-stores.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { AuditTrail, type CallRecord } from './audit-trail.js';
import { UsageRecorder } from './usage-recorder.js';
import { SecretIndex } from './secret-index.js';
import { generateMasterKeyText, parseMasterKeyRing, Sealer } from '../store/sealer.js';

const DAY = 24 * 60 * 60 * 1000;
const ACCOUNT = '1234567890123456';
let handle: TestStore;
let usage: UsageRecorder;
let audit: AuditTrail;
let secrets: SecretIndex;
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
  secrets = new SecretIndex(
    handle.store,
    new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom))),
  );
  await secrets.load();
  audit = new AuditTrail(handle.store, usage, clock, cryptoRandom, 90, secrets);
});

afterEach(async () => {
  await usage.close();
  await handle.cleanup();
});

const root = { kind: 'root', accountId: ACCOUNT } as const;
const lookup = () =>
  handle.store
    .lookupAuditEvents({
      accountId: ACCOUNT,
      startTime: 0,
      endTime: clock.now() + DAY * 365,
      direction: 'FORWARD',
      limit: 100,
    })
    .then((page) => page.events);

const admitted = {
  admitted: true,
  caller: { principal: root, credential: { kind: 'AccessKey', id: 'LTAIx' } },
  principal: root,
  used: true,
} as const;

/** A call of `eventName` by root that reached its handler; `accessKeyId` names the key it used. */
function call(eventName: string, rw: 'Read' | 'Write' = 'Write', accessKeyId = 'LTAIx'): CallRecord {
  return {
    requestId: 'R',
    receivedAt: clock.now(),
    host: 'h',
    connection: { sourceIp: '127.0.0.1', secureTransport: false, userAgent: 'ua' },
    request: { accessKeyId, action: eventName, version: '2015-05-01', params: new Map() },
    action: {
      service: 'Ram',
      version: '2015-05-01',
      name: eventName,
      authAction: `ram:${eventName}`,
      authAliases: [],
      rw,
      selfService: false,
      unrestricted: false,
      risk: 'identity',
    },
    admission: admitted,
  };
}

describe('AuditTrail', () => {
  it('commits a write event with its change, and records a failure after the change on it', async () => {
    const c = call('CreateUser');
    const outcome = await audit.commitWith(c, () =>
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
    expect(outcome.committedEventId).toEqual(expect.any(String));
    expect(await lookup()).toHaveLength(1);
    await audit.record({
      ...c,
      committedEventId: outcome.committedEventId,
      error: { code: 'InternalError', message: 'after the change' },
    });
    await usage.flush();
    // Still one event, now with the failure.
    expect(await lookup()).toMatchObject([{ eventName: 'CreateUser', errorCode: 'InternalError' }]);
  });

  it('queues an event that committed with no change, and counts use only when the gate said so', async () => {
    const refusedSignature = {
      admitted: false,
      refusal: new RamkeyError('SignatureDoesNotMatch'),
      refusedAt: 'signature',
      principal: root,
      used: false,
    } as const;
    await audit.record({
      ...call('DeleteUser', 'Write', 'LTAIz'),
      admission: { ...refusedSignature, refusedAt: 'authorization', used: false },
      error: { code: 'NoPermission', message: 'no' },
    });
    clock.advance(1);
    await audit.record({ ...call('ListUsers', 'Read', 'LTAIx'), admission: refusedSignature });
    clock.advance(1);
    await audit.record(call('ListUsers', 'Read', 'LTAIy'));
    expect(await lookup()).toHaveLength(0);
    await usage.flush();
    expect((await lookup()).map((e) => [e.eventName, e.errorCode])).toEqual([
      ['DeleteUser', 'NoPermission'],
      ['ListUsers', ''],
      ['ListUsers', ''],
    ]);
    expect(await handle.store.keyUsageByService(ACCOUNT, 'LTAIx', { limit: 10 })).toEqual([]);
    expect(await handle.store.keyUsageByService(ACCOUNT, 'LTAIy', { limit: 10 })).toMatchObject([
      { callCount: 1 },
    ]);
  });

  it('purges events past the retention period, and only those', async () => {
    const start = clock.now();
    for (const age of [100, 91, 89, 1]) {
      clock.set(start - age * DAY);
      await audit.record(call(`Age${String(age)}`));
    }
    clock.set(start);
    await usage.flush();
    expect(await audit.purgeExpired()).toBe(2);
    expect((await lookup()).map((e) => e.eventName)).toEqual(['Age89', 'Age1']);
    // A year later with a 365-day retention, nothing more goes.
    expect(await new AuditTrail(handle.store, usage, clock, cryptoRandom, 365, secrets).purgeExpired()).toBe(
      0,
    );
  });
});
