// The resource directory: accounts grouped under a management account, which (and only which) may
// find the owner of a member account's key and read a member account's audit trail. Anyone else
// asking about another account gets exactly what a missing entity gets.
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import type { DirectoryAccountRecord, Store } from '../store/store.js';

export interface Directory {
  managementAccountId: string;
  createdAt: number;
  members: { accountId: string; joinedAt: number }[];
}

export class ResourceDirectory {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Makes the account the management account of a new directory (operator). */
  async create(managementAccountId: string): Promise<void> {
    await this.existing(managementAccountId);
    const created = await this.store.putDirectoryAccount({
      accountId: managementAccountId,
      managementAccountId,
      joinedAt: this.clock.now(),
    });
    if (!created) throw new RamkeyError('EntityAlreadyExists.ResourceDirectory');
  }

  /** Adds a member account to the management account's directory (operator). */
  async addMember(managementAccountId: string, memberAccountId: string): Promise<void> {
    await this.management(managementAccountId);
    await this.existing(memberAccountId);
    const added = await this.store.putDirectoryAccount({
      accountId: memberAccountId,
      managementAccountId,
      joinedAt: this.clock.now(),
    });
    if (!added) throw new RamkeyError('InvalidParameter.DirectoryMember');
  }

  /** Takes a member account out of the directory (operator). */
  async removeMember(managementAccountId: string, memberAccountId: string): Promise<void> {
    await this.management(managementAccountId);
    const row = await this.store.getDirectoryAccount(memberAccountId);
    if (row?.managementAccountId !== managementAccountId || memberAccountId === managementAccountId) {
      throw new RamkeyError('InvalidParameter.DirectoryMember');
    }
    await this.store.removeDirectoryAccount(memberAccountId);
  }

  /** Every directory, with its members (operator). */
  async list(): Promise<Directory[]> {
    const rows = await this.store.listAllDirectoryAccounts();
    const directories = new Map<string, Directory>();
    for (const row of rows) {
      if (row.accountId !== row.managementAccountId) continue;
      directories.set(row.accountId, {
        managementAccountId: row.accountId,
        createdAt: row.joinedAt,
        members: [],
      });
    }
    for (const row of rows) {
      if (row.accountId === row.managementAccountId) continue;
      directories
        .get(row.managementAccountId)
        ?.members.push({ accountId: row.accountId, joinedAt: row.joinedAt });
    }
    return [...directories.values()];
  }

  /**
   * Whether `accountId` may see `otherAccountId`'s keys and events: itself always; another account
   * only from the management account of a directory the other is a member of.
   */
  async canSee(accountId: string, otherAccountId: string): Promise<boolean> {
    if (accountId === otherAccountId) return true;
    const other = await this.store.getDirectoryAccount(otherAccountId);
    return other?.managementAccountId === accountId;
  }

  /**
   * The member account a management account names (LookupEvents' `MemberAccountId`); anything else
   * (no such account, another directory's, the caller not a management account) answers alike.
   */
  async memberAccount(callerAccountId: string, memberAccountId: string): Promise<string> {
    if (!(await this.canSee(callerAccountId, memberAccountId))) {
      throw new RamkeyError('InvalidParameter.MemberAccountId');
    }
    return memberAccountId;
  }

  /** The account a key belongs to, when `accountId` may see it; undefined otherwise. */
  async accountOfVisibleKey(accountId: string, accessKeyId: string): Promise<string | undefined> {
    const owner = await this.store.accountOfAccessKey(accessKeyId);
    return owner !== undefined && (await this.canSee(accountId, owner)) ? owner : undefined;
  }

  private async existing(accountId: string): Promise<void> {
    if (!(await this.store.getAccount(accountId))) throw new RamkeyError('EntityNotExist.Account');
  }

  private async management(accountId: string): Promise<DirectoryAccountRecord> {
    const row = await this.store.getDirectoryAccount(accountId);
    if (row?.managementAccountId !== accountId) throw new RamkeyError('EntityNotExist.ResourceDirectory');
    return row;
  }
}
