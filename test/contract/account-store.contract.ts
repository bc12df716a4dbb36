// The AccountStore contract: the rules of accounts, the schema, and security preferences (src/store/store.ts) as tests every adapter must pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAccountId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import { DEFAULT_SECURITY_PREFERENCE, type Store } from '../../src/store/store.js';
import { expectRamkeyError, T0, type ContractStore, useContractStore } from './contract-fixtures.js';

export function describeAccountStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`AccountStore contract: ${name}`, () => {
    const fixtures = useContractStore(makeStore);
    const { newAccount, newUser, newKey, purgeKey } = fixtures;
    let store: Store;

    beforeAll(() => {
      store = fixtures.store;
    });

    describe('schema', () => {
      it('migrate is idempotent', async () => {
        await store.migrate();
        await store.migrate();
        expect(await store.countAccounts()).toBeGreaterThanOrEqual(0);
      });

      it('names its engine', () => {
        expect(['sqlite', 'postgres']).toContain(store.capabilities.engine);
        expect(typeof store.capabilities.supportsAdvisoryLocks).toBe('boolean');
      });
    });

    describe('accounts', () => {
      it('reads back a created account field for field, with instants as numbers', async () => {
        const account = await newAccount();
        expect(await store.getAccount(account.accountId)).toEqual(account);
      });

      it('answers undefined for an unknown account', async () => {
        expect(await store.getAccount(generateAccountId(cryptoRandom))).toBeUndefined();
      });

      it('counts accounts', async () => {
        const before = await store.countAccounts();
        await newAccount();
        await newAccount();
        expect(await store.countAccounts()).toBe(before + 2);
      });

      it('lists every account with its users and live keys counted, a purged key not among them', async () => {
        const a = await newAccount();
        const b = await newAccount();
        const alice = await newUser(a.accountId, 'alice');
        await newUser(a.accountId, 'bob');
        await newKey(a.accountId, alice.userId);
        await newKey(a.accountId, null);
        const gone = await newKey(b.accountId, null);
        await purgeKey(b.accountId, null, gone.accessKeyId, T0);
        const listed = await store.listAccounts();
        expect(listed.find((x) => x.accountId === a.accountId)).toEqual({
          accountId: a.accountId,
          loginName: a.loginName,
          createdAt: a.createdAt,
          users: 2,
          liveAccessKeys: 2,
          hasRootAccessKey: true,
        });
        expect(listed.find((x) => x.accountId === b.accountId)).toMatchObject({
          users: 0,
          liveAccessKeys: 0,
          hasRootAccessKey: false,
        });
        expect(listed).toHaveLength(await store.countAccounts());
      });

      it('refuses a duplicate account ID with a catalog error, not a driver error', async () => {
        const account = await newAccount();
        await expectRamkeyError(store.createAccount({ ...account, loginName: 'other' }), 'InternalError');
        expect(await store.getAccount(account.accountId)).toEqual(account);
      });
    });

    describe('security preferences', () => {
      it('answers the defaults for an account that never set any', async () => {
        const account = await newAccount();
        const defaults = {
          allowUserToManageAccessKeys: false,
          maxIdleDaysForAccessKeys: 730,
          loginSessionDuration: 6,
          loginNetworkMasks: '',
          allowUserToChangePassword: true,
          enableSaveMFATicket: false,
          allowUserToManageMFADevices: true,
          mfaOperationForLogin: 'independent',
        };
        expect(await store.getSecurityPreference(account.accountId)).toEqual(defaults);
        expect(DEFAULT_SECURITY_PREFERENCE).toEqual(defaults);
      });

      it('keeps every console sign-in setting, and the defaults for the rest on a first write', async () => {
        const a = await newAccount();
        const console = {
          loginSessionDuration: 12,
          loginNetworkMasks: '10.0.0.0/8;2001:db8::/32',
          allowUserToChangePassword: false,
          enableSaveMFATicket: true,
          allowUserToManageMFADevices: false,
          mfaOperationForLogin: 'mandatory' as const,
        };
        const expected = { ...DEFAULT_SECURITY_PREFERENCE, ...console };
        expect(await store.setSecurityPreference(a.accountId, console)).toEqual(expected);
        expect(await store.getSecurityPreference(a.accountId)).toEqual(expected);
        expect(
          await store.setSecurityPreference(a.accountId, {
            loginNetworkMasks: '',
            mfaOperationForLogin: 'adaptive',
          }),
        ).toEqual({ ...expected, loginNetworkMasks: '', mfaOperationForLogin: 'adaptive' });
      });

      it('applies partial patches, keeping what each leaves out, per account', async () => {
        const a = await newAccount();
        const b = await newAccount();
        expect(await store.setSecurityPreference(a.accountId, { maxIdleDaysForAccessKeys: 90 })).toEqual({
          ...DEFAULT_SECURITY_PREFERENCE,
          allowUserToManageAccessKeys: false,
          maxIdleDaysForAccessKeys: 90,
        });
        expect(await store.setSecurityPreference(a.accountId, { allowUserToManageAccessKeys: true })).toEqual(
          {
            ...DEFAULT_SECURITY_PREFERENCE,
            allowUserToManageAccessKeys: true,
            maxIdleDaysForAccessKeys: 90,
          },
        );
        expect(await store.setSecurityPreference(a.accountId, {})).toEqual({
          ...DEFAULT_SECURITY_PREFERENCE,
          allowUserToManageAccessKeys: true,
          maxIdleDaysForAccessKeys: 90,
        });
        expect(await store.getSecurityPreference(a.accountId)).toEqual({
          ...DEFAULT_SECURITY_PREFERENCE,
          allowUserToManageAccessKeys: true,
          maxIdleDaysForAccessKeys: 90,
        });
        expect(
          await store.setSecurityPreference(a.accountId, {
            allowUserToManageAccessKeys: false,
            maxIdleDaysForAccessKeys: 365,
          }),
        ).toEqual({
          ...DEFAULT_SECURITY_PREFERENCE,
          allowUserToManageAccessKeys: false,
          maxIdleDaysForAccessKeys: 365,
        });
        expect(await store.getSecurityPreference(b.accountId)).toEqual(DEFAULT_SECURITY_PREFERENCE);
      });
    });
  });
}
