// The maintenance jobs as a serving node runs them, over a real store with a clock moved by hand: the
// background jobs' runner fires them, the idle-key run belongs to one node at a time, and a purge
// forgets the secret while the recycle bin still masks a deleted key's secret (it may come back).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DAY_MS, ManualClock } from '../core/clock.js';
import { cryptoRandom } from '../core/random.js';
import { makeSqliteTestStore, type SqliteTestStore } from '../../test/support/test-stores.js';
import { generateMasterKeyText, parseMasterKeyRing, Sealer } from '../store/sealer.js';
import { createRamkey, type Ramkey } from './ramkey.js';
import { SECRET_MASK } from './secret-index.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const sealer = new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom, 1)));

let handle: SqliteTestStore;
let clock: ManualClock;
const nodes: Ramkey[] = [];

function node(): Ramkey {
  const ramkey = createRamkey({ store: handle.store, sealer, clock });
  nodes.push(ramkey);
  return ramkey;
}

beforeEach(async () => {
  handle = await makeSqliteTestStore();
  clock = new ManualClock(T0);
});

afterEach(async () => {
  for (const ramkey of nodes.splice(0)) await ramkey.close();
  await handle.cleanup();
});

describe('maintenance', () => {
  it("runs under the background jobs' runner: a key past its DeleteDate is purged without anyone asking", async () => {
    const ramkey = node();
    const accountId = (await ramkey.identity.createAccount()).account.accountId;
    const { key } = await ramkey.accessKeys.create({ accountId, userId: null });
    await ramkey.accessKeys.delete({ accountId, userId: null }, key.accessKeyId);
    clock.advance(30 * DAY_MS);
    await ramkey.jobs.tick();
    expect(ramkey.jobs.isLeader()).toBe(true);
    await vi.waitFor(async () => {
      expect(await ramkey.accessKeys.inAccount(accountId, key.accessKeyId)).toMatchObject({
        state: 'purged',
        sealedSecret: '',
      });
    });
  });

  it('disables idle keys on one node only, once a day', async () => {
    const a = node();
    const b = node();
    const accountId = (await a.identity.createAccount()).account.accountId;
    const { key } = await a.accessKeys.create({ accountId, userId: null });
    clock.advance(730 * DAY_MS);
    const [first, second] = await Promise.all([a.maintenance.run(), b.maintenance.run()]);
    const runs = [first.disabledIdleKeys, second.disabledIdleKeys];
    expect(runs.filter((r) => r === undefined)).toHaveLength(1);
    expect(runs).toContain(1);
    expect(
      (await a.accessKeys.list({ accountId, userId: null })).find((k) => k.accessKeyId === key.accessKeyId)
        ?.status,
    ).toBe('Inactive');
    expect((await b.maintenance.run()).disabledIdleKeys).toBeUndefined();
    clock.advance(DAY_MS);
    expect((await b.maintenance.run()).disabledIdleKeys).toBe(0);
  });

  it("keeps masking a deleted key's secret while it may come back, and forgets it once purged", async () => {
    const ramkey = node();
    await ramkey.secretIndex.load();
    const accountId = (await ramkey.identity.createAccount()).account.accountId;
    const owner = { accountId, userId: null };
    const { key, secret } = await ramkey.accessKeys.create(owner);
    const masked = () => ramkey.secretIndex.masker().text(`sent ${secret.reveal()} by mistake`);
    await ramkey.accessKeys.delete(owner, key.accessKeyId);
    expect(masked()).toBe(`sent ${SECRET_MASK} by mistake`);
    // A node starting now reads the index from the store: the recycled key's entry is still there.
    const restarted = node();
    await restarted.secretIndex.load();
    expect(restarted.secretIndex.masker().text(secret.reveal())).toBe(SECRET_MASK);
    await ramkey.recycleBin.purgeKey(owner, key.accessKeyId);
    expect(masked()).toBe(`sent ${secret.reveal()} by mistake`);
    expect(await handle.store.getSecretFingerprint(key.accessKeyId, sealer.indexVersion)).toBeUndefined();
  });
});
