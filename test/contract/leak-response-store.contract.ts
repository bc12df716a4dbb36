// The LeakResponseStore contract: restricted keys, leak reporters, webhooks and the notification
// outbox (src/store/store.ts), as tests every adapter must pass.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeyRestrictionRecord, NotificationRecord, Store } from '../../src/store/store.js';
import { T0, bin, type ContractStore, useContractStore } from './contract-fixtures.js';

function notificationFor(accountId: string, createdAt = T0): NotificationRecord {
  return {
    notificationId: randomUUID(),
    accountId,
    kind: 'AccessKeyRestricted',
    payload: JSON.stringify({ n: createdAt }),
    createdAt,
    attempts: 0,
    nextAttemptAt: createdAt,
    deliveredAt: null,
    lastError: '',
  };
}

export function describeLeakResponseStoreContract(
  name: string,
  makeStore: () => Promise<ContractStore>,
): void {
  describe(`LeakResponseStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newKey } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    it('restricts a live key once, with its notification, and never twice', async () => {
      const account = await newAccount();
      const user = await newUser(account.accountId, 'leaky');
      const key = await newKey(account.accountId, user.userId);
      const other = await newKey(account.accountId, user.userId);
      const restriction: KeyRestrictionRecord = {
        accessKeyId: key.accessKeyId,
        accountId: account.accountId,
        restrictedAt: T0 + 5,
        reason: 'pushed to a public repository',
        reporter: 'leak-report:github',
      };
      const first = notificationFor(account.accountId, T0 + 5);
      expect(await store.restrictAccessKey(restriction, first)).toEqual({ restriction, created: true });
      // Again, later and for another reason: the first restriction stands, no new notification.
      const again = await store.restrictAccessKey(
        { ...restriction, restrictedAt: T0 + 9, reason: 'again', reporter: 'user:root' },
        notificationFor(account.accountId, T0 + 9),
      );
      expect(again).toEqual({ restriction, created: false });
      expect(await store.getKeyRestrictions([key.accessKeyId, other.accessKeyId, 'LTAInone'])).toEqual([
        restriction,
      ]);
      expect(await store.getKeyRestrictions([])).toEqual([]);
      expect(await store.listNotifications(account.accountId, 10)).toEqual([first]);
    });

    it('restricts only a live key of the named account', async () => {
      const account = await newAccount();
      const stranger = await newAccount();
      const key = await newKey(account.accountId, null);
      const restriction: KeyRestrictionRecord = {
        accessKeyId: key.accessKeyId,
        accountId: stranger.accountId,
        restrictedAt: T0,
        reason: 'r',
        reporter: 'user:root',
      };
      expect(await store.restrictAccessKey(restriction, notificationFor(stranger.accountId))).toBeUndefined();
      expect(
        await store.recycleAccessKey(account.accountId, null, key.accessKeyId, bin(T0 + 1)),
      ).toBeDefined();
      expect(
        await store.restrictAccessKey(
          { ...restriction, accountId: account.accountId },
          notificationFor(account.accountId),
        ),
      ).toBeUndefined();
      expect(await store.getKeyRestrictions([key.accessKeyId])).toEqual([]);
      expect(await store.listNotifications(account.accountId, 10)).toEqual([]);
    });

    it('finds a live key by its secret fingerprint, under the version only', async () => {
      const account = await newAccount();
      const key = await newKey(account.accountId, null);
      const fingerprint = `fp-${randomUUID()}`;
      await store.putSecretFingerprints([{ accessKeyId: key.accessKeyId, keyVersion: 7, fingerprint }]);
      expect(await store.findAccessKeyIdByFingerprint(7, fingerprint)).toBe(key.accessKeyId);
      expect(await store.findAccessKeyIdByFingerprint(8, fingerprint)).toBeUndefined();
      expect(await store.findAccessKeyIdByFingerprint(7, `${fingerprint}x`)).toBeUndefined();
      expect(
        await store.recycleAccessKey(account.accountId, null, key.accessKeyId, bin(T0 + 1)),
      ).toBeDefined();
      expect(await store.findAccessKeyIdByFingerprint(7, fingerprint)).toBeUndefined();
    });

    it('keeps leak reporters by unique name', async () => {
      const name = `r-${randomUUID()}`;
      const reporter = { reporterName: name, sealedSecret: 'v1.sealed', createdAt: T0 };
      expect(await store.addLeakReporter(reporter)).toBe(true);
      expect(await store.addLeakReporter({ ...reporter, sealedSecret: 'v1.other' })).toBe(false);
      expect(await store.getLeakReporter(name)).toEqual(reporter);
      expect((await store.listLeakReporters()).filter((r) => r.reporterName === name)).toEqual([reporter]);
      expect(await store.deleteLeakReporter(name)).toBe(true);
      expect(await store.deleteLeakReporter(name)).toBe(false);
      expect(await store.getLeakReporter(name)).toBeUndefined();
    });

    it('sets, replaces and deletes an account webhook', async () => {
      const account = await newAccount();
      expect(await store.getAccountWebhook(account.accountId)).toBeUndefined();
      const hook = {
        accountId: account.accountId,
        url: 'https://a.example/h',
        sealedSecret: 's1',
        updatedAt: T0,
      };
      await store.setAccountWebhook(hook);
      await store.setAccountWebhook({
        ...hook,
        url: 'https://b.example/h',
        sealedSecret: 's2',
        updatedAt: T0 + 1,
      });
      expect(await store.getAccountWebhook(account.accountId)).toEqual({
        ...hook,
        url: 'https://b.example/h',
        sealedSecret: 's2',
        updatedAt: T0 + 1,
      });
      expect(await store.deleteAccountWebhook(account.accountId)).toBe(true);
      expect(await store.deleteAccountWebhook(account.accountId)).toBe(false);
    });

    it('hands out due notifications earliest first, and records attempts and delivery', async () => {
      const account = await newAccount();
      const keys = [await newKey(account.accountId, null), await newKey(account.accountId, null)];
      // Far in the future, so that no other test's notifications are due before these.
      const base = T0 + 10 ** 9;
      const made: NotificationRecord[] = [];
      for (const [i, key] of keys.entries()) {
        const n = notificationFor(account.accountId, base + i);
        made.push(n);
        await store.restrictAccessKey(
          {
            accessKeyId: key.accessKeyId,
            accountId: account.accountId,
            restrictedAt: base + i,
            reason: 'r',
            reporter: 'user:root',
          },
          n,
        );
      }
      const [a, b] = made as [NotificationRecord, NotificationRecord];
      const mine = async (now: number) =>
        (await store.dueNotifications(now, 1000)).filter((n) => n.accountId === account.accountId);
      expect((await mine(base)).map((n) => n.notificationId)).toEqual([a.notificationId]);
      expect((await mine(base + 1)).map((n) => n.notificationId)).toEqual([
        a.notificationId,
        b.notificationId,
      ]);

      await store.markNotificationFailed(a.notificationId, base + 100, 'HTTP 503');
      expect((await mine(base + 1)).map((n) => n.notificationId)).toEqual([b.notificationId]);
      await store.markNotificationDelivered(b.notificationId, base + 2);
      expect(await mine(base + 99)).toEqual([]);
      expect(await mine(base + 100)).toEqual([
        { ...a, attempts: 1, nextAttemptAt: base + 100, lastError: 'HTTP 503' },
      ]);
      const listed = await store.listNotifications(account.accountId, 10);
      expect(listed.map((n) => n.notificationId)).toEqual([b.notificationId, a.notificationId]);
      expect(listed[0]).toMatchObject({ deliveredAt: base + 2, attempts: 1, lastError: '' });
      expect(await store.listNotifications(account.accountId, 1)).toHaveLength(1);
    });
  });
}
