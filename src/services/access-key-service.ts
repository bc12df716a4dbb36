// AccessKey lifecycle: create (secret returned once), list, enable/disable, delete, last use.
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { generateAccessKeyId, generateAccessKeySecret } from '../core/keys/key-id.js';
import { Secret } from '../core/keys/secret.js';
import type { Random } from '../core/random.js';
import type { Sealer } from '../store/sealer.js';
import type { AccessKeyRecord, AccessKeyStatus, Store } from '../store/store.js';
import type { KeyCache } from './key-cache.js';
import type { Limits } from './limits.js';
import type { UsageRecorder } from './usage-recorder.js';

/** Whose keys: the account's root identity (userId null) or one of its users. */
export interface KeyOwner {
  accountId: string;
  userId: string | null;
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
    private readonly keys: KeyCache,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly limits: Limits,
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
      deletedAt: null,
    };
    await this.store.createAccessKey(key, this.limits.accessKeysPerPrincipal);
    this.keys.invalidate(accessKeyId);
    return { key, secret };
  }

  list(owner: KeyOwner): Promise<AccessKeyRecord[]> {
    return this.store.listAccessKeys(owner.accountId, owner.userId);
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
    this.keys.invalidate(accessKeyId);
  }

  async delete(owner: KeyOwner, accessKeyId: string): Promise<void> {
    const deleted = await this.store.deleteAccessKey(
      owner.accountId,
      owner.userId,
      accessKeyId,
      this.clock.now(),
    );
    if (!deleted) throw new RamkeyError('EntityNotExist.User.AccessKey');
    this.keys.invalidate(accessKeyId);
  }

  /** Last use, including a use recorded in memory and not yet flushed to the store. */
  async lastUse(owner: KeyOwner, accessKeyId: string): Promise<LastUse> {
    const key = await this.find(owner, accessKeyId);
    const pending = this.usage.pendingFor(accessKeyId);
    if (pending && (key.lastUsedAt === null || pending.lastUsedAt >= key.lastUsedAt)) {
      return {
        lastUsedAt: pending.lastUsedAt,
        service: pending.lastUsedService,
        sourceIp: pending.lastUsedIp,
      };
    }
    return { lastUsedAt: key.lastUsedAt, service: key.lastUsedService, sourceIp: key.lastUsedIp };
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
