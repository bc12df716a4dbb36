// AccessKey lifecycle: create (secret returned once), list, enable/disable, delete (into the recycle
// bin; see recycle-bin.ts for what happens there), last use.
import { DAY_MS, type Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { generateAccessKeyId, generateAccessKeySecret } from '../core/keys/key-id.js';
import { Secret } from '../core/keys/secret.js';
import type { Random } from '../core/random.js';
import type { Sealer } from '../store/sealer.js';
import type { AccessKeyRecord, AccessKeyStatus, Store, UserRecord } from '../store/store.js';
import type { ChangeBus } from './change-bus.js';
import { RECYCLE_BIN_RETENTION_DAYS, type Quotas } from './quotas.js';
import type { ResourceDirectory } from './resource-directory.js';
import type { SecretIndex } from './secret-index.js';
import type { UsageRecorder } from './usage-recorder.js';

/** Whose keys: the account's root identity (userId null) or one of its users. */
export interface KeyOwner {
  accountId: string;
  userId: string | null;
}

export interface KeyOwnership {
  key: AccessKeyRecord;
  /** The owning RAM user (perhaps in the recycle bin); undefined for a root key, or a user purged since. */
  user: UserRecord | undefined;
}

export interface LastUse {
  lastUsedAt: number | null;
  service: string | null;
  sourceIp: string | null;
}

export class AccessKeyService {
  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly changes: ChangeBus,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly quotas: Quotas,
    private readonly secrets: SecretIndex,
    private readonly directory: ResourceDirectory,
  ) {}

  /** Creates an Active key. The returned secret is the only time it is ever available in clear. */
  async create(owner: KeyOwner): Promise<{ key: AccessKeyRecord; secret: Secret }> {
    const accessKeyId = generateAccessKeyId(this.random);
    const secret = new Secret(generateAccessKeySecret(this.random));
    const now = this.clock.now();
    const key: AccessKeyRecord = {
      accessKeyId,
      accountId: owner.accountId,
      userId: owner.userId,
      status: 'Active',
      sealedSecret: this.sealer.seal(accessKeyId, secret),
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
      lastUsedService: null,
      lastUsedIp: null,
      state: 'live',
      deletedAt: null,
    };
    await this.store.createAccessKey(key, this.quotas.accessKeysPerPrincipal);
    // Indexed after the key committed (a key that failed to be created has nothing to index), and
    // before the change is published, so that other nodes find the fingerprint when they look. A
    // crash in between leaves the key unindexed until the next start-up's backfill.
    await this.secrets.add(accessKeyId, secret);
    // A lookup of the new ID may have been cached as "not found" a moment ago.
    this.changes.publish({ kind: 'accessKey', accountId: owner.accountId, accessKeyId });
    return { key, secret };
  }

  /** The owner's live keys, each with its latest use (flushed or not). */
  async list(owner: KeyOwner): Promise<AccessKeyRecord[]> {
    const keys = await this.store.listAccessKeys(owner.accountId, owner.userId);
    return keys.map((key) => ({ ...key, ...this.withPending(key) }));
  }

  async setStatus(owner: KeyOwner, accessKeyId: string, status: AccessKeyStatus): Promise<void> {
    const changed = await this.store.updateAccessKeyStatus(
      owner.accountId,
      owner.userId,
      accessKeyId,
      status,
      this.clock.now(),
    );
    if (!changed) throw new RamkeyError('EntityNotExist.User.AccessKey');
    this.changes.publish({ kind: 'accessKey', accountId: owner.accountId, accessKeyId });
  }

  /**
   * Deletes the key into the recycle bin, whatever its status (as Alibaba's API does): from now on it
   * authenticates nothing and counts toward no limit, but it can be restored, Inactive, until its
   * DeleteDate. Deleting one more key than a principal may have in the bin purges its oldest one.
   */
  async delete(owner: KeyOwner, accessKeyId: string): Promise<void> {
    const now = this.clock.now();
    const outcome = await this.store.recycleAccessKey(owner.accountId, owner.userId, accessKeyId, {
      now,
      purgeAt: now + RECYCLE_BIN_RETENTION_DAYS * DAY_MS,
      maxRecycledKeys: this.quotas.recycledAccessKeysPerPrincipal,
    });
    if (!outcome) throw new RamkeyError('EntityNotExist.User.AccessKey');
    // At once, on every node: the gate's cache must not keep admitting the key.
    this.changes.publish({ kind: 'accessKey', accountId: owner.accountId, accessKeyId });
    // Keys pushed out of the bin are purged: their secrets are erased, their fingerprints go too (a
    // crash in between leaves an entry that counts for nothing; the next start-up prunes it).
    for (const purged of outcome.purged) await this.secrets.remove(purged);
  }

  /** Last use, including a use recorded in memory and not yet flushed to the store. */
  async lastUse(owner: KeyOwner, accessKeyId: string): Promise<LastUse> {
    const key = this.withPending(await this.find(owner, accessKeyId));
    return { lastUsedAt: key.lastUsedAt, service: key.lastUsedService, sourceIp: key.lastUsedIp };
  }

  /**
   * One of the account's keys, live, in the recycle bin or purged (the audit trail answers for them all);
   * another account's key answers exactly like a missing one (InvalidAccessKeyId.NotFound).
   */
  async inAccount(accountId: string, accessKeyId: string): Promise<AccessKeyRecord> {
    const key = await this.store.findAccessKey(accountId, accessKeyId);
    if (!key) throw new RamkeyError('InvalidAccessKeyId.NotFound');
    return key;
  }

  /**
   * "Whose key is this?": one of the account's keys (as `inAccount`) and the user owning it; from a
   * resource directory's management account, a key of any of its member accounts too.
   */
  async owner(accountId: string, accessKeyId: string): Promise<KeyOwnership> {
    const keyAccount = (await this.directory.accountOfVisibleKey(accountId, accessKeyId)) ?? accountId;
    const key = await this.inAccount(keyAccount, accessKeyId);
    if (key.userId === null) return { key, user: undefined };
    const user =
      (await this.store.getUserById(key.accountId, key.userId)) ??
      (await this.store.getRecycledUser(key.accountId, key.userId, this.clock.now()));
    return { key, user };
  }

  /** The key's last-use fields, overlaid with a newer use not yet flushed. */
  private withPending(
    key: AccessKeyRecord,
  ): Pick<AccessKeyRecord, 'lastUsedAt' | 'lastUsedService' | 'lastUsedIp'> {
    const pending = this.usage.pendingFor(key.accessKeyId);
    return pending && (key.lastUsedAt === null || pending.lastUsedAt >= key.lastUsedAt)
      ? {
          lastUsedAt: pending.lastUsedAt,
          lastUsedService: pending.lastUsedService,
          lastUsedIp: pending.lastUsedIp,
        }
      : { lastUsedAt: key.lastUsedAt, lastUsedService: key.lastUsedService, lastUsedIp: key.lastUsedIp };
  }

  private async find(owner: KeyOwner, accessKeyId: string): Promise<AccessKeyRecord> {
    const key = await this.store.getAccessKey(accessKeyId);
    // Another principal's (or account's) key answers exactly like a missing one.
    if (key?.accountId !== owner.accountId || key.userId !== owner.userId) {
      throw new RamkeyError('EntityNotExist.User.AccessKey');
    }
    return key;
  }
}
