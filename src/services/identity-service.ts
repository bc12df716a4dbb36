// Accounts and RAM users: creation, lookup, update, listing and deletion, scoped to one account.
import { DAY_MS, type Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { generateAccountId, generateUserId } from '../core/keys/key-id.js';
import { generatePassword, hashPassword } from '../core/keys/password.js';
import type { Random } from '../core/random.js';
import type { AccountOverview, AccountRecord, Page, Store, UserRecord } from '../store/store.js';
import type { ChangeBus } from './change-bus.js';
import { RECYCLE_BIN_RETENTION_DAYS, type Quotas } from './quotas.js';

export interface NewUser {
  userName: string;
  displayName?: string;
  email?: string;
  mobilePhone?: string;
  comments?: string;
}

export interface UserChanges {
  newUserName?: string;
  newDisplayName?: string;
  newEmail?: string;
  newMobilePhone?: string;
  newComments?: string;
}

/** What an account holds, as GetAccountSummary counts it. */
export interface AccountCounts {
  users: number;
  groups: number;
  /** The account's own (Custom) policies; System policies are Ramkey's, not the account's. */
  policies: number;
}

export class IdentityService {
  constructor(
    private readonly store: Store,
    private readonly changes: ChangeBus,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly quotas: Quotas,
  ) {}

  /** A new account with a console login; the password is returned once and stored only hashed. */
  async createAccount(): Promise<{ account: AccountRecord; password: string }> {
    const accountId = generateAccountId(this.random);
    const password = generatePassword(this.random);
    const account: AccountRecord = {
      accountId,
      loginName: `root@${accountId}`,
      passwordHash: await hashPassword(password, this.random),
      createdAt: this.clock.now(),
    };
    await this.store.createAccount(account);
    return { account, password };
  }

  /** Every account of the installation with what it holds (the operator's `ramkey accounts list`). */
  listAccounts(): Promise<AccountOverview[]> {
    return this.store.listAccounts();
  }

  async createUser(accountId: string, input: NewUser): Promise<UserRecord> {
    if ((await this.store.countUsers(accountId)) >= this.quotas.usersPerAccount) {
      throw new RamkeyError('LimitExceeded.User');
    }
    const now = this.clock.now();
    const user: UserRecord = {
      accountId,
      userId: generateUserId(this.random),
      userName: input.userName,
      displayName: input.displayName ?? input.userName,
      email: input.email ?? '',
      mobilePhone: input.mobilePhone ?? '',
      comments: input.comments ?? '',
      createdAt: now,
      updatedAt: now,
    };
    await this.store.createUser(user);
    return user;
  }

  /** The named user of this account; another account's user answers exactly like a missing one. */
  async getUser(accountId: string, userName: string): Promise<UserRecord> {
    const user = await this.store.getUserByName(accountId, userName);
    if (!user) throw new RamkeyError('EntityNotExist.User');
    return user;
  }

  async updateUser(accountId: string, userName: string, changes: UserChanges): Promise<UserRecord> {
    const updated = await this.store.updateUser(accountId, userName, {
      updatedAt: this.clock.now(),
      ...(changes.newUserName !== undefined && { userName: changes.newUserName }),
      ...(changes.newDisplayName !== undefined && { displayName: changes.newDisplayName }),
      ...(changes.newEmail !== undefined && { email: changes.newEmail }),
      ...(changes.newMobilePhone !== undefined && { mobilePhone: changes.newMobilePhone }),
      ...(changes.newComments !== undefined && { comments: changes.newComments }),
    });
    if (!updated) throw new RamkeyError('EntityNotExist.User');
    // The user's keys carry its name in their principal (ARNs, `${ram:UserName}`).
    if (changes.newUserName !== undefined) {
      this.changes.publish({ kind: 'principal', accountId, userId: updated.userId });
    }
    return updated;
  }

  listUsers(accountId: string, options: { marker?: string; maxItems: number }): Promise<Page<UserRecord>> {
    return this.store.listUsers(accountId, {
      limit: options.maxItems,
      ...(options.marker !== undefined && { after: options.marker }),
    });
  }

  async counts(accountId: string): Promise<AccountCounts> {
    const [users, groups, policies] = await Promise.all([
      this.store.countUsers(accountId),
      this.store.countGroups(accountId),
      this.store.countPolicies(accountId),
    ]);
    return { users, groups, policies };
  }

  /** The user with that ID, unless it is in the recycle bin or unknown. */
  async getUserById(accountId: string, userId: string): Promise<UserRecord> {
    const user = await this.store.getUserById(accountId, userId);
    if (!user) throw new RamkeyError('EntityNotExist.User');
    return user;
  }

  /** The name of the account's user with that ID; undefined for an unknown one (or one in the bin). */
  async userNameById(accountId: string, userId: string): Promise<string | undefined> {
    return (await this.store.getUserById(accountId, userId))?.userName;
  }

  /**
   * Deletes the user into the recycle bin with its AccessKeys (restorable together until the
   * DeleteDate); refused with DeleteConflict.User.Group, .Policy or .MFADevice while it is in a
   * group, has policies attached or has an MFA device bound, as RAM refuses.
   */
  async deleteUser(accountId: string, userName: string): Promise<void> {
    await this.recycle(await this.getUser(accountId, userName));
  }

  /** As deleteUser, the user named by ID (IMS). */
  async deleteUserById(accountId: string, userId: string): Promise<void> {
    await this.recycle(await this.getUserById(accountId, userId));
  }

  private async recycle(user: UserRecord): Promise<void> {
    const now = this.clock.now();
    const keys = await this.store.recycleUser(user.accountId, user.userId, {
      now,
      purgeAt: now + RECYCLE_BIN_RETENTION_DAYS * DAY_MS,
    });
    if (!keys) throw new RamkeyError('EntityNotExist.User');
    // Every key of the user stops authenticating at once, on every node.
    this.changes.publish({ kind: 'principal', accountId: user.accountId, userId: user.userId });
    for (const accessKeyId of keys) {
      this.changes.publish({ kind: 'accessKey', accountId: user.accountId, accessKeyId });
    }
  }

  async attachSystemPolicy(accountId: string, userId: string, policyName: string): Promise<void> {
    await this.store.attachPolicyToUser(
      { accountId, userId, policyType: 'System', policyName, attachedAt: this.clock.now() },
      this.quotas.attachedPolicies,
    );
    this.changes.publish({ kind: 'permissions', accountId });
  }
}
