// The Store contract's fixtures: a fresh store per suite and the helpers that make rows in it, shared
// by the per-aggregate contract files (*-store.contract.ts).
import { afterAll, beforeAll, expect } from 'vitest';
import type { ErrorCode } from '../../src/core/errors/catalog.js';
import { RamkeyError } from '../../src/core/errors/ramkey-error.js';
import {
  generateAccessKeyId,
  generateAccountId,
  generateUserId,
  randomBase62,
} from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import {
  type AccessKeyRecord,
  type AccountRecord,
  type GroupRecord,
  type KeyRecycling,
  type RecycleBinEntry,
  type PolicyAttachmentLimits,
  type PolicyRecord,
  type PolicyType,
  type Store,
  type UserRecord,
} from '../../src/store/store.js';
import { defaultQuotas } from '../../src/services/quotas.js';

export interface ContractStore {
  store: Store;
  cleanup(): Promise<void>;
}

// Instants past 2^31 seconds-as-ms and past 2^32: a 32-bit column anywhere would show up here.
export const T0 = 4_102_444_800_000; // 2100-01-01

export const DAY = 86_400_000;

/** Deleting a user into the recycle bin at `now`: purged 30 days later. */
export function entry(now: number): RecycleBinEntry {
  return { now, purgeAt: now + 30 * DAY };
}

/** Deleting a key into the recycle bin at `now`: purged 30 days later, 3 per principal in the bin. */
export function bin(now: number, maxRecycledKeys = 3): KeyRecycling {
  return { now, purgeAt: now + 30 * DAY, maxRecycledKeys };
}

/** Asserts a catalog error (a RamkeyError with that code), never a raw driver error. */
export async function expectRamkeyError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected RamkeyError ${code}`).toBeInstanceOf(RamkeyError);
  expect((error as RamkeyError).code).toBe(code);
}

/** Asserts a settled promise was rejected with that catalog code. */
export function expectRejectedWith(result: PromiseSettledResult<unknown>, code: ErrorCode): void {
  expect(result.status, `expected a rejection with ${code}`).toBe('rejected');
  const reason: unknown = (result as PromiseRejectedResult).reason;
  expect(reason).toBeInstanceOf(RamkeyError);
  expect((reason as RamkeyError).code).toBe(code);
}

/** Tallies settled results: "ok" for each fulfilment, the RamkeyError code for each rejection. */
export function outcomes(results: PromiseSettledResult<unknown>[]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const r of results) {
    const key =
      r.status === 'fulfilled'
        ? 'ok'
        : r.reason instanceof RamkeyError
          ? r.reason.code
          : `unexpected: ${String(r.reason)}`;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

/** A policy document; the store keeps it as opaque text, so any distinct string would do. */
export function documentFor(action: string): string {
  return JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
}

/** A group ID shaped like RAM's (`g-` and base62); the store treats it as opaque. */
export function newGroupId(): string {
  return `g-${randomBase62(cryptoRandom, 16)}`;
}

/**
 * Registers a fresh store from `makeStore` for the enclosing suite (every test makes its own
 * accounts, users and keys with fresh random IDs, so tests never see each other's rows), and returns
 * the helpers that make rows in it; `store` is set once the suite's beforeAll ran.
 */
export function useContractStore(makeStore: () => Promise<ContractStore>) {
  let handle: ContractStore | undefined;
  let store: Store;

  beforeAll(async () => {
    handle = await makeStore();
    store = handle.store;
  });

  afterAll(async () => {
    await handle?.cleanup();
  });

  async function newAccount(): Promise<AccountRecord> {
    const account: AccountRecord = {
      accountId: generateAccountId(cryptoRandom),
      loginName: `root-${cryptoRandom.uuid()}`,
      passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==',
      createdAt: T0,
    };
    await store.createAccount(account);
    return account;
  }

  async function newUser(accountId: string, userName: string, createdAt = T0): Promise<UserRecord> {
    const user: UserRecord = {
      accountId,
      userId: generateUserId(cryptoRandom),
      userName,
      displayName: `${userName} display`,
      email: `${userName}@example.com`,
      mobilePhone: '86-18600008888',
      comments: `comments of ${userName}`,
      createdAt,
      updatedAt: createdAt,
    };
    await store.createUser(user);
    return user;
  }

  function keyRecord(accountId: string, userId: string | null, createdAt = T0): AccessKeyRecord {
    const accessKeyId = generateAccessKeyId(cryptoRandom);
    return {
      accessKeyId,
      accountId,
      userId,
      status: 'Active',
      sealedSecret: `v1.opaque-to-the-store.${accessKeyId}`,
      createdAt,
      updatedAt: createdAt,
      lastUsedAt: null,
      lastUsedService: null,
      lastUsedIp: null,
      state: 'live',
      deletedAt: null,
    };
  }

  async function newKey(
    accountId: string,
    userId: string | null,
    createdAt = T0,
    maxLiveKeys = 2,
  ): Promise<AccessKeyRecord> {
    const key = keyRecord(accountId, userId, createdAt);
    await store.createAccessKey(key, maxLiveKeys);
    return key;
  }

  /** Deletes a live key into the recycle bin and purges it from there: gone for good. */
  async function purgeKey(accountId: string, userId: string | null, accessKeyId: string, at: number) {
    expect(await store.recycleAccessKey(accountId, userId, accessKeyId, bin(at))).toBeDefined();
    expect(await store.purgeAccessKey(accountId, userId, accessKeyId, at)).toBe(true);
  }

  async function listAllUsers(accountId: string, limit: number): Promise<{ names: string[]; pages: number }> {
    const names: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await store.listUsers(accountId, after === undefined ? { limit } : { after, limit });
      pages++;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      names.push(...page.items.map((u) => u.userName));
      after = page.nextMarker;
      if (after !== undefined) expect(page.items).toHaveLength(limit);
    } while (after !== undefined && pages < 100);
    return { names, pages };
  }

  async function newGroup(
    accountId: string,
    groupName: string,
    createdAt = T0,
    maxGroups = 300,
  ): Promise<GroupRecord> {
    const group: GroupRecord = {
      accountId,
      groupId: newGroupId(),
      groupName,
      comments: `comments of ${groupName}`,
      createdAt,
      updatedAt: createdAt,
    };
    await store.createGroup(group, maxGroups);
    return group;
  }

  async function newPolicy(
    accountId: string,
    policyName: string,
    document = documentFor(`ecs:${policyName}`),
    createdAt = T0,
    maxPolicies = 1500,
  ): Promise<PolicyRecord> {
    return store.createPolicy(
      { accountId, policyName, description: `about ${policyName}`, document, createdAt },
      maxPolicies,
    );
  }

  function membershipOf(
    user: UserRecord,
    group: GroupRecord,
    joinedAt = T0,
  ): { accountId: string; userId: string; groupId: string; joinedAt: number } {
    return { accountId: user.accountId, userId: user.userId, groupId: group.groupId, joinedAt };
  }

  function attachToUser(
    user: UserRecord,
    policyType: PolicyType,
    policyName: string,
    attachedAt = T0,
    limits: PolicyAttachmentLimits = defaultQuotas.attachedPolicies,
  ): Promise<boolean> {
    return store.attachPolicyToUser(
      { accountId: user.accountId, userId: user.userId, policyType, policyName, attachedAt },
      limits,
    );
  }

  function attachToGroup(
    group: GroupRecord,
    policyType: PolicyType,
    policyName: string,
    attachedAt = T0,
    limits: PolicyAttachmentLimits = defaultQuotas.attachedPolicies,
  ): Promise<boolean> {
    return store.attachPolicyToGroup(
      { accountId: group.accountId, groupId: group.groupId, policyType, policyName, attachedAt },
      limits,
    );
  }

  return {
    get store(): Store {
      return store;
    },
    newAccount,
    newUser,
    keyRecord,
    newKey,
    purgeKey,
    listAllUsers,
    newGroup,
    newPolicy,
    membershipOf,
    attachToUser,
    attachToGroup,
  };
}
