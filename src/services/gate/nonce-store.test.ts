// Unit tests of DurableNonceStore: group commit, failing closed, the purge, and the window's edge on a real store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import { prepareSigningKey } from '../../core/signature/index.js';
import type { NonceRecord, UsedNonceStore } from '../../store/store.js';
import { makeSqliteTestStore, type SqliteTestStore } from '../../../test/support/test-stores.js';
import { routedAction, signedRequest } from '../../../test/support/gate-fixture.js';
import type { KeyedRequest } from './gate-check.js';
import { DurableNonceStore, NonceStoreUnavailableError, PURGE_GRACE_MS } from './nonce-store.js';
import { freshnessCheck } from './steps/freshness.js';
import { nonceCheck } from './steps/nonce.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const WINDOW = 15 * 60_000;

/** An in-memory UsedNonceStore that records every statement it is asked to run. */
class FakeUsedNonces implements UsedNonceStore {
  readonly statements: NonceRecord[][] = [];
  readonly purges: [number, number][] = [];
  readonly rows = new Set<string>();
  fail: Error | undefined;
  hang = false;
  purgeable = 0;

  claimNonces(): Promise<void> {
    return Promise.resolve();
  }

  recordNonces(nonces: readonly NonceRecord[]): Promise<boolean[]> {
    this.statements.push([...nonces]);
    if (this.hang) return new Promise(() => undefined);
    if (this.fail) return Promise.reject(this.fail);
    return Promise.resolve(
      nonces.map((n) => {
        const id = `${String(n.expiresAt)}:${n.fingerprint}`;
        return this.rows.has(id) ? false : (this.rows.add(id), true);
      }),
    );
  }

  purgeNonces(before: number, limit: number): Promise<number> {
    this.purges.push([before, limit]);
    const purged = Math.min(limit, this.purgeable);
    this.purgeable -= purged;
    return Promise.resolve(purged);
  }
}

const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('DurableNonceStore', () => {
  it('writes the nonces of one event-loop turn in one statement and answers each call', async () => {
    const fake = new FakeUsedNonces();
    const nonces = new DurableNonceStore(fake, { clock: new ManualClock(NOW) });
    const answers = await Promise.all([
      nonces.remember('LTAIkey1', 'a', NOW + WINDOW),
      nonces.remember('LTAIkey1', 'b', NOW + WINDOW),
      nonces.remember('LTAIkey2', 'a', NOW + WINDOW), // another key's nonce 'a' is another nonce
      nonces.remember('LTAIkey1', 'a', NOW + WINDOW), // the same request twice in one batch
    ]);
    expect(answers).toEqual([true, true, true, false]);
    expect(fake.statements).toHaveLength(1);
    // 128-bit fingerprints, never the nonce text.
    expect(fake.statements[0]?.map((n) => n.fingerprint)).toEqual([
      expect.stringMatching(/^[0-9a-f]{32}$/),
      expect.stringMatching(/^[0-9a-f]{32}$/),
      expect.stringMatching(/^[0-9a-f]{32}$/),
      fake.statements[0]?.[0]?.fingerprint,
    ]);
    expect(await nonces.remember('LTAIkey1', 'b', NOW + WINDOW)).toBe(false);
    expect(fake.statements).toHaveLength(2);
    await nonces.close();
  });

  it('splits what arrives at once into statements of at most maxBatch rows', async () => {
    const fake = new FakeUsedNonces();
    const nonces = new DurableNonceStore(fake, { clock: new ManualClock(NOW), maxBatch: 3 });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => nonces.remember('LTAIkey1', `n${String(i)}`, NOW + WINDOW)),
    );
    expect(answers).toEqual(Array(8).fill(true));
    expect(fake.statements.map((s) => s.length)).toEqual([3, 3, 2]);
    await nonces.close();
  });

  // Security: a nonce the database could not record cannot rule out a replay.
  it('refuses every call of a batch the database failed, and recovers with the next batch', async () => {
    const fake = new FakeUsedNonces();
    const errors: unknown[] = [];
    const nonces = new DurableNonceStore(fake, {
      clock: new ManualClock(NOW),
      onError: (e) => errors.push(e),
    });
    fake.fail = new Error('disk I/O error');
    const failed = await Promise.all([
      rejection(nonces.remember('LTAIkey1', 'a', NOW + WINDOW)),
      rejection(nonces.remember('LTAIkey1', 'b', NOW + WINDOW)),
    ]);
    for (const err of failed) {
      expect(err).toBeInstanceOf(NonceStoreUnavailableError);
      expect((err as Error).cause).toBe(fake.fail);
    }
    expect(errors).toEqual([fake.fail]);
    fake.fail = undefined;
    expect(await nonces.remember('LTAIkey1', 'a', NOW + WINDOW)).toBe(true);
    await nonces.close();
  });

  it('refuses a batch the database does not answer in time', async () => {
    const fake = new FakeUsedNonces();
    fake.hang = true;
    const nonces = new DurableNonceStore(fake, { clock: new ManualClock(NOW), timeoutMs: 10 });
    expect(await rejection(nonces.remember('LTAIkey1', 'a', NOW + WINDOW))).toBeInstanceOf(
      NonceStoreUnavailableError,
    );
    await nonces.close();
  });

  it('refuses at once beyond maxPending nonces waiting, so memory stays bounded', async () => {
    const fake = new FakeUsedNonces();
    fake.hang = true;
    const nonces = new DurableNonceStore(fake, {
      clock: new ManualClock(NOW),
      maxBatch: 2,
      maxInFlight: 1,
      maxPending: 3,
      timeoutMs: 50,
    });
    const calls = Array.from({ length: 6 }, (_, i) =>
      rejection(nonces.remember('LTAIkey1', `n${String(i)}`, NOW + WINDOW)),
    );
    // Two in the statement in flight, three waiting, the sixth refused without reaching the database.
    const refused = await Promise.all(calls);
    expect(refused.every((e) => e instanceof NonceStoreUnavailableError)).toBe(true);
    expect(fake.statements.flat()).toHaveLength(5);
    await nonces.close();
  });

  it('answers the calls still waiting before close resolves, and refuses calls after it', async () => {
    const fake = new FakeUsedNonces();
    const nonces = new DurableNonceStore(fake, { clock: new ManualClock(NOW) });
    const waiting = nonces.remember('LTAIkey1', 'a', NOW + WINDOW);
    await nonces.close();
    expect(fake.statements).toHaveLength(1);
    expect(await waiting).toBe(true);
    expect(await rejection(nonces.remember('LTAIkey1', 'b', NOW + WINDOW))).toBeInstanceOf(
      NonceStoreUnavailableError,
    );
  });

  it('purges what expired before now minus the grace, a bounded batch per statement', async () => {
    const fake = new FakeUsedNonces();
    fake.purgeable = 25;
    const nonces = new DurableNonceStore(fake, { clock: new ManualClock(NOW), purgeBatch: 10 });
    await nonces.purge();
    await nonces.close();
    expect(fake.purges).toEqual([
      [NOW - PURGE_GRACE_MS, 10],
      [NOW - PURGE_GRACE_MS, 10],
      [NOW - PURGE_GRACE_MS, 10],
    ]);
    expect(fake.purgeable).toBe(0);
  });
});

describe('the window edge, on a real store', () => {
  let handle: SqliteTestStore;
  beforeAll(async () => {
    handle = await makeSqliteTestStore();
  });
  afterAll(() => handle.cleanup());

  const key = { id: 'LTAI' + 'e'.repeat(20), secret: 'the-secret' };
  const keyed = (now: number): KeyedRequest => ({
    request: signedRequest(key, { at: NOW, nonce: 'edge-nonce' }),
    action: routedAction({ authAction: 'sts:GetCallerIdentity' }),
    resources: () => ['*'],
    connection: { sourceIp: '127.0.0.1', secureTransport: false, userAgent: '' },
    key: {
      accessKeyId: key.id,
      status: 'Active',
      restricted: false,
      principal: { kind: 'root', accountId: '1234567890123456' },
      signingKey: prepareSigningKey(key.secret),
    },
    now,
  });

  // Security: at timestamp + window both checks used to pass (the nonce had expired, the timestamp
  // was still fresh). The nonce must be refused for as long as the timestamp is.
  it('refuses a replay at the last instant the freshness check accepts its timestamp, even after a purge', async () => {
    const clock = new ManualClock(NOW);
    const nonces = new DurableNonceStore(handle.store, { clock });
    const fresh = freshnessCheck(WINDOW);
    const nonce = nonceCheck(nonces, WINDOW);
    const code = (o: unknown) => (o instanceof RamkeyError ? o.code : o);

    expect(await nonce.check(keyed(NOW))).toBeUndefined();
    const edge = NOW + WINDOW;
    clock.set(edge + PURGE_GRACE_MS); // the purge at this instant must keep the row expiring at `edge`
    await nonces.purge();
    await nonces.close();
    const again = new DurableNonceStore(handle.store, { clock }); // as after a restart
    expect(fresh.check(keyed(edge))).toBeUndefined();
    expect(code(await nonceCheck(again, WINDOW).check(keyed(edge)))).toBe('SignatureNonceUsed');
    expect(code(fresh.check(keyed(edge + 1)))).toBe('InvalidTimeStamp.Expired');
    await again.close();
  });

  // The in-memory store refused every call once it held its capacity of nonces (4M, under four
  // minutes of full load). Only nonces waiting for their batch take memory now.
  it('remembers far more nonces than it may hold waiting, window after window, refusing only replays', async () => {
    const clock = new ManualClock(NOW + 10 * WINDOW);
    const nonces = new DurableNonceStore(handle.store, { clock, maxPending: 100 });
    for (let window = 0; window < 4; window++) {
      clock.advance(WINDOW);
      const expiresAt = clock.now() + WINDOW;
      for (let chunk = 0; chunk < 25; chunk++) {
        const ids = Array.from({ length: 80 }, (_, i) => `w${String(window)}-${String(chunk * 80 + i)}`);
        const fresh = await Promise.all(ids.map((id) => nonces.remember(key.id, id, expiresAt)));
        expect(fresh.every(Boolean)).toBe(true);
      }
      const replayed = await Promise.all(
        [0, 999, 1999].map((i) => nonces.remember(key.id, `w${String(window)}-${String(i)}`, expiresAt)),
      );
      expect(replayed).toEqual([false, false, false]);
    }
    await nonces.close();
  });
});
