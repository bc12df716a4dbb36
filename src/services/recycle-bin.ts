// The recycle bin: what DeleteAccessKey and DeleteUser leave behind for RECYCLE_BIN_RETENTION_DAYS,
// listed, restored (keys come back Inactive) or purged for good, by hand or when the DeleteDate
// passes (the purge job, at start-up and then periodically, auditing each purge as the system).
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import type { Random } from '../core/random.js';
import type { Page, RecycledAccessKey, RecycledUserRecord, Store, UserRecord } from '../store/store.js';
import type { KeyOwner } from './access-key-service.js';
import type { ChangeBus } from './change-bus.js';
import type { Quotas } from './quotas.js';
import type { SecretIndex } from './secret-index.js';
import { commitSystemChange } from './system-event.js';

/** Entries purged per query by the purge job; it goes on until nothing due is left. */
const PURGE_BATCH = 500;

/** A key in the bin with its owner, as GetAccessKeyInfoInRecycleBin shows it. */
export interface RecycledKeyInfo {
  key: RecycledAccessKey;
  /** The owning user, live or itself in the bin; undefined for a root key. */
  user: UserRecord | undefined;
  /** True when the owning user is in the recycle bin too. */
  userRecycled: boolean;
}

/** What one run of the purge job purged. */
export interface PurgeOutcome {
  keys: number;
  users: number;
}

export class RecycleBin {
  constructor(
    private readonly store: Store,
    private readonly changes: ChangeBus,
    private readonly secrets: SecretIndex,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly quotas: Quotas,
  ) {}

  /**
   * Whose keys `userId` names: a user of the account, live or in the bin; another account's user, or
   * an unknown ID, answers EntityNotExist.User.
   */
  async ownerById(accountId: string, userId: string): Promise<KeyOwner> {
    const user =
      (await this.store.getUserById(accountId, userId)) ??
      (await this.store.getRecycledUser(accountId, userId, this.clock.now()));
    if (!user) throw new RamkeyError('EntityNotExist.User');
    return { accountId, userId };
  }

  /** The owner's keys in the bin, oldest deletion first (keys past their DeleteDate are gone). */
  listKeys(owner: KeyOwner): Promise<RecycledAccessKey[]> {
    return this.store.listRecycledAccessKeys(owner.accountId, owner.userId, this.clock.now());
  }

  /** One of the account's keys in the bin, with its owner; anything else is EntityNotExist.User.AccessKey. */
  async keyInfo(accountId: string, accessKeyId: string): Promise<RecycledKeyInfo> {
    const now = this.clock.now();
    // Another account's key answers exactly like a missing one.
    const key = await this.store.getRecycledAccessKey(accountId, accessKeyId, now);
    if (!key) throw new RamkeyError('EntityNotExist.User.AccessKey');
    if (key.userId === null) return { key, user: undefined, userRecycled: false };
    const live = await this.store.getUserById(accountId, key.userId);
    if (live) return { key, user: live, userRecycled: false };
    const recycled = await this.store.getRecycledUser(accountId, key.userId, now);
    return { key, user: recycled, userRecycled: true };
  }

  /**
   * Brings the owner's key back, Inactive, so that nothing starts working again by surprise. Refused
   * with LimitExceeded.User.AccessKey when the owner already has its live keys, and EntityNotExist.User
   * while the owner is itself in the bin (restore the user instead).
   */
  async restoreKey(owner: KeyOwner, accessKeyId: string): Promise<void> {
    const restored = await this.store.restoreAccessKey(
      owner.accountId,
      owner.userId,
      accessKeyId,
      this.clock.now(),
      this.quotas.accessKeysPerPrincipal,
    );
    if (!restored) throw new RamkeyError('EntityNotExist.User.AccessKey');
    // A lookup of the ID may be cached as "not found": it is found again (Inactive) at once.
    this.changes.publish({ kind: 'accessKey', accountId: owner.accountId, accessKeyId });
  }

  /** Purges the owner's key from the bin for good: its secret is erased, its ID never issued again. */
  async purgeKey(owner: KeyOwner, accessKeyId: string): Promise<void> {
    const purged = await this.store.purgeAccessKey(
      owner.accountId,
      owner.userId,
      accessKeyId,
      this.clock.now(),
    );
    if (!purged) throw new RamkeyError('EntityNotExist.User.AccessKey');
    await this.purged(owner.accountId, [accessKeyId]);
  }

  /** Users in the bin by name; `userName` narrows it to that one (IMS's Filter). */
  async listUsers(
    accountId: string,
    options: { marker?: string | undefined; maxItems: number; userName?: string | undefined },
  ): Promise<Page<RecycledUserRecord>> {
    const now = this.clock.now();
    if (options.userName !== undefined) {
      const user = await this.store.getRecycledUserByName(accountId, options.userName, now);
      return { items: user ? [user] : [] };
    }
    return this.store.listRecycledUsers(accountId, {
      limit: options.maxItems,
      now,
      ...(options.marker !== undefined && { after: options.marker }),
    });
  }

  /** The account's user in the bin with that ID; anything else is EntityNotExist.User. */
  async getUser(accountId: string, userId: string): Promise<RecycledUserRecord> {
    const user = await this.store.getRecycledUser(accountId, userId, this.clock.now());
    if (!user) throw new RamkeyError('EntityNotExist.User');
    return user;
  }

  /** The user in the bin who owns that key (itself in the bin or not). */
  async getUserByKey(accountId: string, accessKeyId: string): Promise<RecycledUserRecord> {
    const key =
      (await this.store.getRecycledAccessKey(accountId, accessKeyId, this.clock.now())) ??
      (await this.store.findAccessKey(accountId, accessKeyId));
    if (!key || key.userId === null) throw new RamkeyError('EntityNotExist.User');
    return this.getUser(accountId, key.userId);
  }

  /**
   * Brings the user back under its name, with the keys that went to the bin with it, each Inactive.
   * Refused with LimitExceeded.User when the account is at its user quota.
   */
  async restoreUser(accountId: string, userId: string): Promise<UserRecord> {
    if ((await this.store.countUsers(accountId)) >= this.quotas.usersPerAccount) {
      throw new RamkeyError('LimitExceeded.User');
    }
    const restored = await this.store.restoreUser(accountId, userId, this.clock.now());
    if (!restored) throw new RamkeyError('EntityNotExist.User');
    this.changes.publish({ kind: 'principal', accountId, userId });
    for (const accessKeyId of restored.accessKeyIds) {
      this.changes.publish({ kind: 'accessKey', accountId, accessKeyId });
    }
    return restored.user;
  }

  /** Purges the user in the bin and every key of it still there, for good. */
  async purgeUser(accountId: string, userId: string): Promise<void> {
    const keys = await this.store.purgeRecycledUser(accountId, userId, this.clock.now());
    if (!keys) throw new RamkeyError('EntityNotExist.User');
    await this.purged(accountId, keys);
  }

  /**
   * The purge job: purges every key and user whose DeleteDate has passed, each with a system audit
   * event committed with it. Safe on several nodes at once: a purge another node made first changes
   * nothing here and records no second event.
   */
  async purgeDue(): Promise<PurgeOutcome> {
    const outcome: PurgeOutcome = { keys: 0, users: 0 };
    for (;;) {
      const now = this.clock.now();
      const users = await this.store.listDueUsers(now, PURGE_BATCH);
      for (const user of users) {
        const keys = await commitSystemChange(
          this.store,
          this.random,
          {
            at: now,
            accountId: user.accountId,
            accessKeyId: '',
            eventName: 'DeleteUserInRecycleBin',
            requestParameters: { UserId: user.userId, UserName: user.userName, Reason: 'DeleteDateReached' },
          },
          () => this.store.purgeRecycledUser(user.accountId, user.userId, now),
        );
        if (keys === undefined) continue;
        outcome.users++;
        outcome.keys += keys.length;
        await this.purged(user.accountId, keys);
      }
      const keys = await this.store.listDueAccessKeys(now, PURGE_BATCH);
      for (const key of keys) {
        const purged = await commitSystemChange(
          this.store,
          this.random,
          {
            at: now,
            accountId: key.accountId,
            accessKeyId: key.accessKeyId,
            eventName: 'DeleteAccessKeyInRecycleBin',
            requestParameters: {
              UserAccessKeyId: key.accessKeyId,
              ...(key.userId !== null && { UserId: key.userId }),
              Reason: 'DeleteDateReached',
            },
          },
          () => this.store.purgeAccessKey(key.accountId, key.userId, key.accessKeyId, now),
        );
        if (!purged) continue;
        outcome.keys++;
        await this.purged(key.accountId, [key.accessKeyId]);
      }
      if (users.length < PURGE_BATCH && keys.length < PURGE_BATCH) return outcome;
      // A turn of the event loop between batches, so that requests are served throughout.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** After keys were purged: their fingerprints go, and every node forgets them. */
  private async purged(accountId: string, accessKeyIds: readonly string[]): Promise<void> {
    for (const accessKeyId of accessKeyIds) {
      await this.secrets.remove(accessKeyId);
      this.changes.publish({ kind: 'accessKey', accountId, accessKeyId });
    }
  }
}
