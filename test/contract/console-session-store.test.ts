// The ConsoleSessionStore contract (src/store/store.ts) on SQLite and PostgreSQL: sessions by their
// token's hash, last activity that only moves forward, purge by idleness; failed sign-ins counted in
// a window, a lock at the limit, concurrent failures all counted; where users last passed MFA, per
// source address, kept at its latest and purged by age.
import { expect, it } from 'vitest';
import type { ConsoleSessionRecord } from '../../src/store/store.js';
import { describeEachStore } from '../support/test-stores.js';
import { T0, useContractStore } from './contract-fixtures.js';

const HOUR = 3_600_000;
const RULE = { windowMs: HOUR, maxFailures: 3, lockMs: HOUR };

function sessionOf(accountId: string, tokenHash: string, userId?: string): ConsoleSessionRecord {
  return {
    tokenHash,
    sessionId: `cs-${tokenHash}`,
    accountId,
    userId,
    mfaPresent: userId !== undefined,
    createdAt: T0,
    lastSeenAt: T0,
    passwordVerifiedAt: T0,
  };
}

await describeEachStore('ConsoleSessionStore contract', (makeStore) => {
  const fixtures = useContractStore(makeStore);

  it('keeps sessions by token hash, moves last activity forward only, and deletes them', async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    const user = await fixtures.newUser(account.accountId, 'alice');
    const root = sessionOf(account.accountId, 'a'.repeat(64));
    const alice = sessionOf(account.accountId, 'b'.repeat(64), user.userId);
    await store.createConsoleSession(root);
    await store.createConsoleSession(alice);
    expect(await store.getConsoleSession(root.tokenHash)).toEqual(root);
    expect(await store.getConsoleSession(alice.tokenHash)).toEqual(alice);
    expect(await store.getConsoleSession('c'.repeat(64))).toBeUndefined();

    expect(await store.touchConsoleSession(root.tokenHash, T0 + 10)).toBe(true);
    expect(await store.touchConsoleSession(root.tokenHash, T0 + 5)).toBe(false);
    expect((await store.getConsoleSession(root.tokenHash))?.lastSeenAt).toBe(T0 + 10);
    await store.setConsoleSessionPasswordVerifiedAt(alice.tokenHash, T0 + 7);
    expect((await store.getConsoleSession(alice.tokenHash))?.passwordVerifiedAt).toBe(T0 + 7);

    expect(await store.purgeConsoleSessions(T0 + 1)).toBe(1);
    expect(await store.getConsoleSession(alice.tokenHash)).toBeUndefined();
    expect(await store.deleteConsoleSession(root.tokenHash)).toBe(true);
    expect(await store.deleteConsoleSession(root.tokenHash)).toBe(false);
    expect(await store.touchConsoleSession(root.tokenHash, T0 + 20)).toBe(false);
  });

  it('counts failures in a window, locks at the limit, and starts again after the window', async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    const key = `bob@${account.accountId}.onaliyun.com`;
    expect(await store.getSigninFailures(key)).toBeUndefined();
    expect(await store.recordSigninFailure(account.accountId, key, T0, RULE)).toEqual({
      failures: 1,
      firstFailedAt: T0,
      lockedUntil: 0,
    });
    await store.recordSigninFailure(account.accountId, key, T0 + 1, RULE);
    expect(await store.recordSigninFailure(account.accountId, key, T0 + 2, RULE)).toEqual({
      failures: 3,
      firstFailedAt: T0,
      lockedUntil: T0 + 2 + HOUR,
    });
    expect(await store.getSigninFailures(key)).toEqual({
      failures: 3,
      firstFailedAt: T0,
      lockedUntil: T0 + 2 + HOUR,
    });
    // A window later the count starts again (the lock it set stays until it ends).
    expect(await store.recordSigninFailure(account.accountId, key, T0 + HOUR, RULE)).toMatchObject({
      failures: 1,
      firstFailedAt: T0 + HOUR,
    });
    await store.clearSigninFailures(key);
    expect(await store.getSigninFailures(key)).toBeUndefined();
    // MaxLoginAttemps 0: never locked.
    for (let i = 0; i < 5; i++) {
      await store.recordSigninFailure(account.accountId, key, T0 + i, { ...RULE, maxFailures: 0 });
    }
    expect(await store.getSigninFailures(key)).toMatchObject({ failures: 5, lockedUntil: 0 });
  });

  it('counts every one of concurrent failures', async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    const key = `carol@${account.accountId}.onaliyun.com`;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.recordSigninFailure(account.accountId, key, T0 + i, { ...RULE, maxFailures: 0 }),
      ),
    );
    expect((await store.getSigninFailures(key))?.failures).toBe(8);
  });

  it('keeps when a user last passed MFA from each source address, never moving it back, and purges old ones', async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    const other = await fixtures.newAccount();
    const user = await fixtures.newUser(account.accountId, 'carol');
    const { accountId } = account;
    expect(await store.getMfaSourceVerifiedAt(accountId, user.userId, '192.0.2.1')).toBeUndefined();
    await store.recordMfaSource(accountId, user.userId, '192.0.2.1', T0 + 10);
    await store.recordMfaSource(accountId, user.userId, '192.0.2.1', T0 + 5);
    await store.recordMfaSource(accountId, user.userId, '2001:db8::1', T0 + 20);
    expect(await store.getMfaSourceVerifiedAt(accountId, user.userId, '192.0.2.1')).toBe(T0 + 10);
    expect(await store.getMfaSourceVerifiedAt(accountId, user.userId, '2001:db8::1')).toBe(T0 + 20);
    // Another address, another user, another account: nothing.
    expect(await store.getMfaSourceVerifiedAt(accountId, user.userId, '192.0.2.2')).toBeUndefined();
    expect(await store.getMfaSourceVerifiedAt(accountId, 'u-other', '192.0.2.1')).toBeUndefined();
    expect(await store.getMfaSourceVerifiedAt(other.accountId, user.userId, '192.0.2.1')).toBeUndefined();
    await store.recordMfaSource(accountId, user.userId, '192.0.2.1', T0 + 30);
    expect(await store.getMfaSourceVerifiedAt(accountId, user.userId, '192.0.2.1')).toBe(T0 + 30);

    expect(await store.purgeMfaSources(T0 + 25)).toBe(1);
    expect(await store.getMfaSourceVerifiedAt(accountId, user.userId, '2001:db8::1')).toBeUndefined();
    expect(await store.getMfaSourceVerifiedAt(accountId, user.userId, '192.0.2.1')).toBe(T0 + 30);
  });
});
