// KyselyStore: the one Store implementation, the same queries on SQLite and PostgreSQL.
import { Migrator, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { ErrorCode } from '../core/errors/catalog.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import type { AccessKeysTable, AccountsTable, Database, UserPoliciesTable, UsersTable } from './database.js';
import type { EngineAdapter } from './engine-adapter.js';
import { decodeListMarker, encodeListMarker } from './list-marker.js';
import { ramkeyMigrationProvider } from './migrations/ramkey-migrations.js';
import type {
  AccessKeyRecord,
  AccessKeyStatus,
  AccountRecord,
  LastUsedUpdate,
  Page,
  PolicyAttachment,
  PolicyType,
  Store,
  StoreCapabilities,
  UserPatch,
  UserRecord,
} from './store.js';

// Transactions that check a count and then write (createAccessKey, deleteUser)
// write FIRST and check after, rolling back by throwing when the check fails. On SQLite the first
// write takes the database's single writer lock, so no other writer (in this process or another) can
// interleave between the write and the check, and the transaction never has to upgrade a read lock
// (which fails with SQLITE_BUSY instead of waiting). On PostgreSQL concurrent transactions do not see
// each other's uncommitted rows, so the adapter's lockPrincipal serializes them first.

const MIGRATION_TABLE = 'ramkey_migration';
const MIGRATION_LOCK_TABLE = 'ramkey_migration_lock';

/** The stored form of a user name that makes names unique case-insensitively, as RAM's are. */
function toUserNameKey(userName: string): string {
  return userName.toLowerCase();
}

function toAccount(row: Selectable<AccountsTable>): AccountRecord {
  return {
    accountId: row.account_id,
    loginName: row.login_name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
}

function toUser(row: Selectable<UsersTable>): UserRecord {
  return {
    accountId: row.account_id,
    userId: row.user_id,
    userName: row.user_name,
    displayName: row.display_name,
    email: row.email,
    mobilePhone: row.mobile_phone,
    comments: row.comments,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toAccessKey(row: Selectable<AccessKeysTable>): AccessKeyRecord {
  return {
    accessKeyId: row.access_key_id,
    accountId: row.account_id,
    userId: row.user_id,
    status: row.status as AccessKeyStatus,
    sealedSecret: row.sealed_secret,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastUsedAt: row.last_used_at,
    lastUsedService: row.last_used_service,
    lastUsedIp: row.last_used_ip,
    deletedAt: row.deleted_at,
  };
}

function toAttachment(row: Selectable<UserPoliciesTable>): PolicyAttachment {
  return {
    accountId: row.account_id,
    userId: row.user_id,
    policyType: row.policy_type as PolicyType,
    policyName: row.policy_name,
    attachedAt: row.attached_at,
  };
}

export class KyselyStore implements Store {
  readonly #db: Kysely<Database>;
  readonly #adapter: EngineAdapter;

  constructor(db: Kysely<Database>, adapter: EngineAdapter) {
    this.#db = db;
    this.#adapter = adapter;
  }

  get capabilities(): StoreCapabilities {
    return this.#adapter.capabilities;
  }

  async migrate(): Promise<void> {
    const { migrationTableSchema } = await this.#adapter.prepareMigrations(this.#db);
    const migrator = new Migrator({
      db: this.#db,
      provider: ramkeyMigrationProvider(this.#adapter.migrationDialect),
      migrationTableName: MIGRATION_TABLE,
      migrationLockTableName: MIGRATION_LOCK_TABLE,
      migrationTableSchema,
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
      throw new Error(`database migration failed (${failed})`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }

  /** Runs `write`, turning a unique violation into the catalog code that means it to the caller. */
  async #unique<T>(code: ErrorCode, detail: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      // The driver error stays out (no cause): it must not cross the interface, even into logs.
      if (this.#adapter.isUniqueViolation(error)) throw new RamkeyError(code, { detail });
      throw error;
    }
  }

  // Accounts

  async createAccount(account: AccountRecord): Promise<void> {
    // There is no catalog code for a duplicate account ID (IDs are random); InternalError is retryable.
    await this.#unique('InternalError', 'account ID already in use', () =>
      this.#db
        .insertInto('accounts')
        .values({
          account_id: account.accountId,
          login_name: account.loginName,
          password_hash: account.passwordHash,
          created_at: account.createdAt,
        })
        .execute(),
    );
  }

  async getAccount(accountId: string): Promise<AccountRecord | undefined> {
    const row = await this.#db
      .selectFrom('accounts')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row && toAccount(row);
  }

  async countAccounts(): Promise<number> {
    const row = await this.#db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return row.n;
  }

  // Users

  async createUser(user: UserRecord): Promise<void> {
    await this.#unique('EntityAlreadyExists.User', 'user name or ID already in use', () =>
      this.#db
        .insertInto('users')
        .values({
          account_id: user.accountId,
          user_id: user.userId,
          user_name: user.userName,
          user_name_key: toUserNameKey(user.userName),
          display_name: user.displayName,
          email: user.email,
          mobile_phone: user.mobilePhone,
          comments: user.comments,
          created_at: user.createdAt,
          updated_at: user.updatedAt,
        })
        .execute(),
    );
  }

  async getUserByName(accountId: string, userName: string): Promise<UserRecord | undefined> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('user_name_key', '=', toUserNameKey(userName))
      .executeTakeFirst();
    return row && toUser(row);
  }

  async getUserById(accountId: string, userId: string): Promise<UserRecord | undefined> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async updateUser(accountId: string, userName: string, patch: UserPatch): Promise<UserRecord | undefined> {
    const set: Partial<UsersTable> = { updated_at: patch.updatedAt };
    if (patch.userName !== undefined) {
      set.user_name = patch.userName;
      set.user_name_key = toUserNameKey(patch.userName);
    }
    if (patch.displayName !== undefined) set.display_name = patch.displayName;
    if (patch.email !== undefined) set.email = patch.email;
    if (patch.mobilePhone !== undefined) set.mobile_phone = patch.mobilePhone;
    if (patch.comments !== undefined) set.comments = patch.comments;

    // One statement with RETURNING (both engines have it): no window between the write and the read.
    const row = await this.#unique('EntityAlreadyExists.User', 'new user name already in use', () =>
      this.#db
        .updateTable('users')
        .set(set)
        .where('account_id', '=', accountId)
        .where('user_name_key', '=', toUserNameKey(userName))
        .returningAll()
        .executeTakeFirst(),
    );
    return row && toUser(row);
  }

  async listUsers(accountId: string, options: { after?: string; limit: number }): Promise<Page<UserRecord>> {
    const { after, limit } = options;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('listUsers: limit must be >= 1');
    let query = this.#db.selectFrom('users').selectAll().where('account_id', '=', accountId);
    if (after !== undefined && after !== '') {
      query = query.where('user_name_key', '>', decodeListMarker(after));
    }
    // One row more than asked tells whether another page follows without a second query.
    const rows = await query
      .orderBy('user_name_key')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    const page: Page<UserRecord> = { items: items.map(toUser) };
    if (rows.length > limit && last !== undefined) page.nextMarker = encodeListMarker(last.user_name_key);
    return page;
  }

  async countUsers(accountId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async deleteUser(accountId: string, userId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await this.#adapter.lockPrincipal(trx, accountId, userId);
      // Write first, check after (see the top of this file); throwing rolls the deletes back.
      await trx
        .deleteFrom('user_policies')
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .execute();
      const deleted = await trx
        .deleteFrom('users')
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (deleted.numDeletedRows === 0n) return false;
      if ((await this.#countLiveKeys(trx, accountId, userId)) > 0) {
        throw new RamkeyError('DeleteConflict.User.AccessKey');
      }
      return true;
    });
  }

  // Policy attachments

  async attachPolicyToUser(attachment: PolicyAttachment): Promise<boolean> {
    const { accountId, userId } = attachment;
    try {
      return await this.#db.transaction().execute(async (trx) => {
        // Serialized with deleteUser, which removes the attachments before the user.
        await this.#adapter.lockPrincipal(trx, accountId, userId);
        const inserted = await trx
          .insertInto('user_policies')
          .values({
            account_id: accountId,
            user_id: userId,
            policy_type: attachment.policyType,
            policy_name: attachment.policyName,
            attached_at: attachment.attachedAt,
          })
          .onConflict((oc) => oc.columns(['account_id', 'user_id', 'policy_type', 'policy_name']).doNothing())
          .executeTakeFirst();
        return (inserted.numInsertedOrUpdatedRows ?? 0n) > 0n;
      });
    } catch (error) {
      // The foreign key points at (account, user): another account's user is refused as well.
      if (this.#adapter.isForeignKeyViolation(error)) {
        throw new RamkeyError('EntityNotExist.User', { detail: 'policy attachment to an unknown user' });
      }
      throw error;
    }
  }

  async listPoliciesForUser(accountId: string, userId: string): Promise<PolicyAttachment[]> {
    const rows = await this.#db
      .selectFrom('user_policies')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('user_id', '=', userId)
      .orderBy('attached_at')
      .orderBy('policy_type')
      .orderBy('policy_name')
      .execute();
    return rows.map(toAttachment);
  }

  // AccessKeys

  async createAccessKey(key: AccessKeyRecord, maxLiveKeys: number): Promise<void> {
    if (!Number.isSafeInteger(maxLiveKeys) || maxLiveKeys < 0) {
      throw new RangeError('createAccessKey: maxLiveKeys must be an integer >= 0');
    }
    await this.#db.transaction().execute(async (trx) => {
      await this.#adapter.lockPrincipal(trx, key.accountId, key.userId);
      // Write first, check after (see the top of this file); throwing rolls the insert back.
      // IDs carry 95 random bits, so a clash means a broken generator: no catalog code fits, and
      // InternalError is retryable with a fresh ID.
      await this.#unique('InternalError', 'AccessKey ID already issued', () =>
        trx
          .insertInto('access_keys')
          .values({
            access_key_id: key.accessKeyId,
            account_id: key.accountId,
            user_id: key.userId,
            status: key.status,
            sealed_secret: key.sealedSecret,
            created_at: key.createdAt,
            updated_at: key.updatedAt,
            last_used_at: key.lastUsedAt,
            last_used_service: key.lastUsedService,
            last_used_ip: key.lastUsedIp,
            deleted_at: key.deletedAt,
          })
          .execute(),
      );
      if (key.userId !== null && !(await this.#userExists(trx, key.accountId, key.userId))) {
        throw new RamkeyError('EntityNotExist.User');
      }
      // The count includes the row just inserted.
      if ((await this.#countLiveKeys(trx, key.accountId, key.userId)) > maxLiveKeys) {
        throw new RamkeyError('LimitExceeded.User.AccessKey');
      }
    });
  }

  async getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const row = await this.#db
      .selectFrom('access_keys')
      .selectAll()
      .where('access_key_id', '=', accessKeyId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toAccessKey(row);
  }

  async listAccessKeys(accountId: string, userId: string | null): Promise<AccessKeyRecord[]> {
    const rows = await this.#db
      .selectFrom('access_keys')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('user_id', userId === null ? 'is' : '=', userId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('access_key_id')
      .execute();
    return rows.map(toAccessKey);
  }

  async countAccessKeys(accountId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('access_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async updateAccessKeyStatus(
    accountId: string,
    userId: string | null,
    accessKeyId: string,
    status: AccessKeyStatus,
    now: number,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('access_keys')
      .set({ status, updated_at: now })
      .where('access_key_id', '=', accessKeyId)
      .where('account_id', '=', accountId)
      .where('user_id', userId === null ? 'is' : '=', userId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deleteAccessKey(
    accountId: string,
    userId: string | null,
    accessKeyId: string,
    now: number,
  ): Promise<boolean> {
    // A soft delete: the row keeps the ID taken for good (IDs are never reused).
    const result = await this.#db
      .updateTable('access_keys')
      .set({ deleted_at: now, updated_at: now })
      .where('access_key_id', '=', accessKeyId)
      .where('account_id', '=', accountId)
      .where('user_id', userId === null ? 'is' : '=', userId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async recordLastUsed(updates: readonly LastUsedUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const update of updates) {
        // The guard makes a late or out-of-order flush harmless: lastUsedAt only moves forward.
        await trx
          .updateTable('access_keys')
          .set({
            last_used_at: update.lastUsedAt,
            last_used_service: update.lastUsedService,
            last_used_ip: update.lastUsedIp,
          })
          .where('access_key_id', '=', update.accessKeyId)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', update.lastUsedAt)]))
          .execute();
      }
    });
  }

  async #countLiveKeys(
    trx: Transaction<Database>,
    accountId: string,
    userId: string | null,
  ): Promise<number> {
    const row = await trx
      .selectFrom('access_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .where('user_id', userId === null ? 'is' : '=', userId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async #userExists(trx: Transaction<Database>, accountId: string, userId: string): Promise<boolean> {
    const row = await trx
      .selectFrom('users')
      .select('user_id')
      .where('account_id', '=', accountId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }
}
