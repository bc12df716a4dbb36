// The LoginProfileStore contract (src/store/store.ts) on SQLite and PostgreSQL: profiles by user,
// one per user, replaced whole; kept while the user is in the recycle bin, purged with it; each
// account's password policy.
import { expect, it } from 'vitest';
import type { LoginProfileRecord, PasswordPolicyRecord } from '../../src/store/store.js';
import { describeEachStore } from '../support/test-stores.js';
import { T0, entry, useContractStore } from './contract-fixtures.js';

function profileOf(accountId: string, userId: string): LoginProfileRecord {
  return {
    accountId,
    userId,
    passwordHash: 'scrypt$16384$8$1$c2FsdA==$Zmlyc3Q=',
    previousPasswordHashes: [],
    passwordResetRequired: true,
    mfaBindRequired: false,
    createdAt: T0,
    updatedAt: T0,
    passwordChangedAt: T0,
  };
}

const POLICY: PasswordPolicyRecord = {
  minimumPasswordLength: 14,
  requireLowercaseCharacters: true,
  requireUppercaseCharacters: false,
  requireNumbers: true,
  requireSymbols: false,
  hardExpiry: true,
  maxLoginAttempts: 3,
  passwordReusePrevention: 4,
  maxPasswordAge: 90,
};

await describeEachStore('LoginProfileStore contract', (makeStore) => {
  const fixtures = useContractStore(makeStore);

  it('keeps one profile per user, replaces it whole and deletes it, within its account only', async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    const other = await fixtures.newAccount();
    const user = await fixtures.newUser(account.accountId, 'alice');
    const profile = profileOf(account.accountId, user.userId);

    expect(await store.getLoginProfile(account.accountId, user.userId)).toBeUndefined();
    expect(await store.createLoginProfile(profile)).toBe(true);
    expect(await store.createLoginProfile({ ...profile, passwordHash: 'other' })).toBe(false);
    expect(await store.getLoginProfile(account.accountId, user.userId)).toEqual(profile);
    expect(await store.getLoginProfile(other.accountId, user.userId)).toBeUndefined();

    const changed: LoginProfileRecord = {
      ...profile,
      passwordHash: 'scrypt$16384$8$1$c2FsdA==$c2Vjb25k',
      previousPasswordHashes: [profile.passwordHash],
      passwordResetRequired: false,
      mfaBindRequired: true,
      updatedAt: T0 + 5,
    };
    expect(await store.updateLoginProfile(changed)).toBe(true);
    expect(await store.getLoginProfile(account.accountId, user.userId)).toEqual(changed);
    expect(await store.updateLoginProfile({ ...changed, accountId: other.accountId })).toBe(false);

    expect(await store.deleteLoginProfile(other.accountId, user.userId)).toBe(false);
    expect(await store.deleteLoginProfile(account.accountId, user.userId)).toBe(true);
    expect(await store.deleteLoginProfile(account.accountId, user.userId)).toBe(false);
    expect(await store.updateLoginProfile(changed)).toBe(false);
    expect(await store.getLoginProfile(account.accountId, user.userId)).toBeUndefined();
  });

  it('keeps the profile while its user is in the recycle bin and purges it with the user', async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    const user = await fixtures.newUser(account.accountId, 'bob');
    const profile = profileOf(account.accountId, user.userId);
    await store.createLoginProfile(profile);

    expect(await store.recycleUser(account.accountId, user.userId, entry(T0 + 1))).toEqual([]);
    expect((await store.restoreUser(account.accountId, user.userId, T0 + 2))?.user.userId).toBe(user.userId);
    expect(await store.getLoginProfile(account.accountId, user.userId)).toEqual(profile);

    expect(await store.recycleUser(account.accountId, user.userId, entry(T0 + 3))).toEqual([]);
    expect(await store.purgeRecycledUser(account.accountId, user.userId, T0 + 4)).toEqual([]);
    expect(await store.getLoginProfile(account.accountId, user.userId)).toBeUndefined();
  });

  it("keeps each account's password policy, replaced whole", async () => {
    const { store } = fixtures;
    const account = await fixtures.newAccount();
    const other = await fixtures.newAccount();
    expect(await store.getPasswordPolicy(account.accountId)).toBeUndefined();
    await store.setPasswordPolicy(account.accountId, POLICY);
    expect(await store.getPasswordPolicy(account.accountId)).toEqual(POLICY);
    expect(await store.getPasswordPolicy(other.accountId)).toBeUndefined();
    const next = {
      ...POLICY,
      minimumPasswordLength: 8,
      requireNumbers: false,
      hardExpiry: false,
      maxPasswordAge: 0,
    };
    await store.setPasswordPolicy(account.accountId, next);
    expect(await store.getPasswordPolicy(account.accountId)).toEqual(next);
  });
});
