// The MfaDeviceStore contract (src/store/store.ts) on SQLite and PostgreSQL: devices by name (any
// case), one device per user and one user per device, deletes of unbound devices only, the quota,
// the last used step only moving forward (one winner among concurrent acceptances), and DeleteUser's
// conflict with a bound device.
import { expect, it } from 'vitest';
import type { VirtualMfaDeviceRecord } from '../../src/store/store.js';
import { describeEachStore } from '../support/test-stores.js';
import { T0, entry, expectRamkeyError, useContractStore } from './contract-fixtures.js';

function deviceOf(accountId: string, deviceName: string): VirtualMfaDeviceRecord {
  return {
    accountId,
    deviceName,
    sealedSeed: 'v1.sealed-seed-stand-in',
    userId: null,
    boundAt: null,
    lastUsedStep: null,
    createdAt: T0,
  };
}

await describeEachStore('MfaDeviceStore contract', (makeStore) => {
  const fixtures = useContractStore(makeStore);

  it('keeps devices by name in any case, binds one per user and one user per device', async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    const other = await fixtures.newAccount();
    const alice = await fixtures.newUser(account.accountId, 'alice');
    const bob = await fixtures.newUser(account.accountId, 'bob');
    const phone = deviceOf(account.accountId, 'Phone');

    expect(await store.createVirtualMfaDevice(phone, 10)).toBe(true);
    expect(await store.createVirtualMfaDevice({ ...phone, deviceName: 'PHONE' }, 10)).toBe(false);
    expect(await store.createVirtualMfaDevice(deviceOf(other.accountId, 'phone'), 10)).toBe(true);
    expect(await store.getVirtualMfaDevice(account.accountId, 'phone')).toEqual(phone);
    expect(await store.createVirtualMfaDevice(deviceOf(account.accountId, 'tablet'), 10)).toBe(true);

    expect(await store.bindMfaDevice(account.accountId, 'nothing', alice.userId, T0 + 1, 7)).toBe(
      'no-device',
    );
    expect(await store.bindMfaDevice(account.accountId, 'phone', 'no-such-user', T0 + 1, 7)).toBe('no-user');
    expect(await store.bindMfaDevice(account.accountId, 'phone', alice.userId, T0 + 1, 7)).toBeUndefined();
    expect(await store.bindMfaDevice(account.accountId, 'phone', bob.userId, T0 + 1, 7)).toBe('device-bound');
    expect(await store.bindMfaDevice(account.accountId, 'tablet', alice.userId, T0 + 1, 7)).toBe(
      'user-bound',
    );
    expect(await store.getUserMfaDevice(account.accountId, alice.userId)).toEqual({
      ...phone,
      userId: alice.userId,
      boundAt: T0 + 1,
      lastUsedStep: 7,
    });
    expect(await store.getUserMfaDevice(other.accountId, alice.userId)).toBeUndefined();
    expect(await store.countMfaDevices(account.accountId)).toEqual({ devices: 2, inUse: 1 });

    const page = await store.listVirtualMfaDevices(account.accountId, { limit: 1 });
    expect(page.items).toEqual([
      {
        deviceName: 'Phone',
        createdAt: T0,
        boundAt: T0 + 1,
        user: { userId: alice.userId, userName: 'alice', displayName: 'alice display' },
      },
    ]);
    const rest = await store.listVirtualMfaDevices(account.accountId, { limit: 1, after: page.nextMarker });
    expect(rest.items.map((d) => [d.deviceName, d.user])).toEqual([['tablet', null]]);
    expect(rest.nextMarker).toBeUndefined();

    expect(await store.deleteVirtualMfaDevice(account.accountId, 'phone')).toBe('bound');
    expect(await store.unbindMfaDevice(account.accountId, alice.userId)).toBe('Phone');
    expect(await store.unbindMfaDevice(account.accountId, alice.userId)).toBeUndefined();
    expect(await store.deleteVirtualMfaDevice(account.accountId, 'PHONE')).toBe('deleted');
    expect(await store.deleteVirtualMfaDevice(account.accountId, 'phone')).toBe('missing');
    expect(await store.getVirtualMfaDevice(other.accountId, 'phone')).toBeDefined();
  });

  it('refuses devices over the quota, changing nothing', async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    expect(await store.createVirtualMfaDevice(deviceOf(account.accountId, 'one'), 2)).toBe(true);
    expect(await store.createVirtualMfaDevice(deviceOf(account.accountId, 'two'), 2)).toBe(true);
    await expectRamkeyError(
      store.createVirtualMfaDevice(deviceOf(account.accountId, 'three'), 2),
      'LimitExceeded.VirtualMFADevice',
    );
    expect(await store.getVirtualMfaDevice(account.accountId, 'three')).toBeUndefined();
  });

  it('moves the last used step only forward, with one winner among concurrent acceptances', async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    const carol = await fixtures.newUser(account.accountId, 'carol');
    await store.createVirtualMfaDevice(deviceOf(account.accountId, 'carol-phone'), 10);
    expect(await store.acceptMfaStep(account.accountId, carol.userId, 'carol-phone', 5)).toBe(false);
    await store.bindMfaDevice(account.accountId, 'carol-phone', carol.userId, T0, 10);
    expect(await store.acceptMfaStep(account.accountId, carol.userId, 'carol-phone', 10)).toBe(false);
    expect(await store.acceptMfaStep(account.accountId, carol.userId, 'carol-phone', 9)).toBe(false);
    expect(await store.acceptMfaStep(account.accountId, carol.userId, 'other-device', 11)).toBe(false);
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        store.acceptMfaStep(account.accountId, carol.userId, 'carol-phone', 11),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.getUserMfaDevice(account.accountId, carol.userId))?.lastUsedStep).toBe(11);
  });

  it('refuses to recycle a user with a bound device', async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    const dave = await fixtures.newUser(account.accountId, 'dave');
    await store.createVirtualMfaDevice(deviceOf(account.accountId, 'dave-phone'), 10);
    await store.bindMfaDevice(account.accountId, 'dave-phone', dave.userId, T0, 1);
    await expectRamkeyError(
      store.recycleUser(account.accountId, dave.userId, entry(T0 + 1)),
      'DeleteConflict.User.MFADevice',
    );
    expect(await store.getUserById(account.accountId, dave.userId)).toBeDefined();
    await store.unbindMfaDevice(account.accountId, dave.userId);
    expect(await store.recycleUser(account.accountId, dave.userId, entry(T0 + 2))).toEqual([]);
  });
});
