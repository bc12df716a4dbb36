// KyselyStore: the one Store implementation, the same queries on SQLite and PostgreSQL.
import { Migrator, sql, type Kysely, type Selectable, type SqlBool, type Transaction } from 'kysely';
import type { ErrorCode } from '../core/errors/catalog.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import type {
  AccessKeysTable,
  AccountsTable,
  Database,
  GroupPoliciesTable,
  GroupsTable,
  PoliciesTable,
  UserPoliciesTable,
  UsersTable,
} from './database.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  addKeyUsage,
  getAuditEvents,
  insertAuditEvents,
  listKeyUsage,
  lookupAuditEvents,
  purgeAuditEvents,
  setAuditOutcome,
} from './audit-queries.js';
import type { EngineAdapter } from './engine-adapter.js';
import { decodeListMarker, encodeListMarker } from '../core/list-marker.js';
import { ramkeyMigrationProvider } from './migrations/ramkey-migrations.js';
import {
  DEFAULT_SECURITY_PREFERENCE,
  RAM_POLICY_ATTACHMENT_LIMITS,
  type AccessKeyRecord,
  type AccessKeyStatus,
  type AccountRecord,
  type ActivityBatch,
  type AuditEventQuery,
  type AuditEventRecord,
  type AuditSlot,
  type CredentialReportRecord,
  type CredentialReportSource,
  type EffectivePolicy,
  type GroupMember,
  type GroupMembership,
  type GroupPatch,
  type GroupPolicyAttachment,
  type GroupRecord,
  type KeyUsageRecord,
  type NewPolicy,
  type NewPolicyVersion,
  type Page,
  type PolicyAttachment,
  type PolicyAttachmentLimits,
  type PolicyEntities,
  type PolicyRecord,
  type PolicyType,
  type PolicyVersionRecord,
  type SecurityPreference,
  type Store,
  type StoreCapabilities,
  type UserPatch,
  type UserRecord,
} from './store.js';

// Atomic checks. Every transaction that checks something and then writes (a count against a limit,
// "nothing still refers to it" before a delete) WRITES FIRST and checks after, rolling back by
// throwing when the check fails; where there is nothing to write yet it writes conditionally (an
// INSERT ... SELECT that inserts nothing when the user or the policy is missing, a DELETE ... WHERE
// NOT EXISTS) or touches the row it is about to change. On SQLite that first write takes the
// database's single writer lock, so no other writer (in this process or another) can interleave
// between the write and the check, and the transaction never has to upgrade a read lock (which fails
// with SQLITE_BUSY instead of waiting). On PostgreSQL concurrent transactions do not see each
// other's uncommitted rows, so each transaction first takes the adapter's locks (see lockOf): every
// transaction that adds what a check counts takes the lock that check's transaction takes.

const MIGRATION_TABLE = 'ramkey_migration';
const MIGRATION_LOCK_TABLE = 'ramkey_migration_lock';

/** The audit event of the request whose work is running (see withAuditEvent and #write). */
interface AuditScope {
  slot: AuditSlot;
  /** False once the request's work settled: a timer it started must not carry its event. */
  open: boolean;
}
const auditScope = new AsyncLocalStorage<AuditScope>();

/**
 * A named lock and its rank. A transaction takes its locks by ascending rank, so two transactions
 * never each hold a lock the other waits for: e.g. AddUserToGroup takes principal then group, and
 * nothing takes a group then a principal.
 */
interface LockName {
  rank: number;
  name: string;
}

const lockOf = {
  /** Creating a group (the account's group count). */
  accountGroups: (accountId: string): LockName => ({ rank: 0, name: `ramkey.groups:${accountId}` }),
  /** Creating a custom policy (the account's policy count). */
  accountPolicies: (accountId: string): LockName => ({ rank: 0, name: `ramkey.policies:${accountId}` }),
  /** What hangs on one principal: its keys, groups, attached policies; deleting the user. */
  principal: (accountId: string, userId: string | null): LockName => ({
    rank: 1,
    name: `ramkey.principal:${accountId}:${userId ?? ''}`,
  }),
  /** What hangs on one group: its members and attached policies; deleting it. */
  group: (accountId: string, groupId: string): LockName => ({
    rank: 2,
    name: `ramkey.group:${accountId}:${groupId}`,
  }),
  /** One custom policy: its versions and default, attachments of it, deleting it. */
  policy: (accountId: string, policyNameKey: string): LockName => ({
    rank: 3,
    name: `ramkey.policy:${accountId}:${policyNameKey}`,
  }),
};

/** The stored form of a user name that makes names unique case-insensitively, as RAM's are. */
function toUserNameKey(userName: string): string {
  return userName.toLowerCase();
}

/** Group names are unique and found case-insensitively, like user names. */
function toGroupNameKey(groupName: string): string {
  return groupName.toLowerCase();
}

/** Policy names too: no two policies of an account differ only in case. */
function toPolicyNameKey(policyName: string): string {
  return policyName.toLowerCase();
}

function toVersionId(versionNumber: number): string {
  return `v${versionNumber}`;
}

/** The n of `v<n>`; undefined for anything else (`V1`, `v0`, `v01`), which no version is called. */
function parseVersionId(versionId: string): number | undefined {
  const match = /^v([1-9][0-9]{0,8})$/.exec(versionId);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function checkLimit(method: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${method}: ${name} must be an integer >= 0`);
  }
}

function checkPageLimit(method: string, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`${method}: limit must be >= 1`);
}

/** The sort key a list marker stands for; undefined for no marker or an empty one (the start). */
function markerKey(after: string | undefined): string | undefined {
  return after === undefined || after === '' ? undefined : decodeListMarker(after);
}

/** A page from `limit + 1` rows ordered by `sortKey`: the extra row only tells that more follow. */
function toPage<Row, T>(
  rows: Row[],
  limit: number,
  sortKey: (row: Row) => string,
  map: (row: Row) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const page: Page<T> = { items: items.map(map) };
  if (rows.length > limit && last !== undefined) page.nextMarker = encodeListMarker(sortKey(last));
  return page;
}

/** EXISTS answers true/false on PostgreSQL and 1/0 on SQLite. */
function isTrue(value: SqlBool): boolean {
  return value === true || value === 1;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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

function toGroup(row: Selectable<GroupsTable>): GroupRecord {
  return {
    accountId: row.account_id,
    groupId: row.group_id,
    groupName: row.group_name,
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

function toGroupAttachment(row: Selectable<GroupPoliciesTable>): GroupPolicyAttachment {
  return {
    accountId: row.account_id,
    groupId: row.group_id,
    policyType: row.policy_type as PolicyType,
    policyName: row.policy_name,
    attachedAt: row.attached_at,
  };
}

type PolicyRow = Selectable<PoliciesTable> & {
  user_attachments: number | null;
  group_attachments: number | null;
};

function toPolicy(row: PolicyRow): PolicyRecord {
  return {
    accountId: row.account_id,
    policyName: row.policy_name,
    description: row.description,
    defaultVersion: toVersionId(row.default_version),
    attachmentCount: (row.user_attachments ?? 0) + (row.group_attachments ?? 0),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toPolicyVersion(
  row: {
    account_id: string;
    policy_name: string;
    version_number: number;
    document: string;
    created_at: number;
  },
  defaultVersion: number,
): PolicyVersionRecord {
  return {
    accountId: row.account_id,
    policyName: row.policy_name,
    versionId: toVersionId(row.version_number),
    document: row.document,
    isDefault: row.version_number === defaultVersion,
    createdAt: row.created_at,
  };
}

const POLICY_TYPES: ReadonlySet<string> = new Set<PolicyType>(['System', 'Custom']);

function checkAttachment(method: string, policyType: PolicyType, limits: PolicyAttachmentLimits): void {
  // The type picks the limit: an unchecked string from a caller must not pick none.
  if (!POLICY_TYPES.has(policyType)) {
    throw new RangeError(`${method}: policyType must be System or Custom`);
  }
  checkLimit(method, 'limits.System', limits.System);
  checkLimit(method, 'limits.Custom', limits.Custom);
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

  /** Takes the locks in rank order (see lockOf), then by name for a stable order within a rank. */
  async #lock(trx: Transaction<Database>, ...locks: LockName[]): Promise<void> {
    const ordered = [...locks].sort((a, b) => a.rank - b.rank || compareText(a.name, b.name));
    await this.#adapter.lock(
      trx,
      ordered.map((l) => l.name),
    );
  }

  // Accounts

  async createAccount(account: AccountRecord): Promise<void> {
    // There is no catalog code for a duplicate account ID (IDs are random); InternalError is retryable.
    await this.#unique('InternalError', 'account ID already in use', () =>
      this.#write((trx) =>
        trx
          .insertInto('accounts')
          .values({
            account_id: account.accountId,
            login_name: account.loginName,
            password_hash: account.passwordHash,
            created_at: account.createdAt,
          })
          .execute(),
      ),
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
      this.#write((trx) =>
        trx
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
      ),
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
      this.#write(
        (trx) =>
          trx
            .updateTable('users')
            .set(set)
            .where('account_id', '=', accountId)
            .where('user_name_key', '=', toUserNameKey(userName))
            .returningAll()
            .executeTakeFirst(),
        (row) => row !== undefined,
      ),
    );
    return row && toUser(row);
  }

  async listUsers(accountId: string, options: { after?: string; limit: number }): Promise<Page<UserRecord>> {
    const { limit } = options;
    checkPageLimit('listUsers', limit);
    const after = markerKey(options.after);
    let query = this.#db.selectFrom('users').selectAll().where('account_id', '=', accountId);
    if (after !== undefined) query = query.where('user_name_key', '>', after);
    // One row more than asked tells whether another page follows without a second query.
    const rows = await query
      .orderBy('user_name_key')
      .limit(limit + 1)
      .execute();
    return toPage(rows, limit, (row) => row.user_name_key, toUser);
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
    return this.#write(
      async (trx) => {
        // Every writer that adds a key, a membership or an attachment to the user takes this lock.
        await this.#lock(trx, lockOf.principal(accountId, userId));
        // The write comes first and deletes only a user nothing hangs on (see the top of this file).
        const deleted = await trx
          .deleteFrom('users as u')
          .where('u.account_id', '=', accountId)
          .where('u.user_id', '=', userId)
          .where((eb) =>
            eb.and([
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('access_keys as k')
                    .select('k.access_key_id')
                    .whereRef('k.account_id', '=', 'u.account_id')
                    .whereRef('k.user_id', '=', 'u.user_id')
                    .where('k.deleted_at', 'is', null),
                ),
              ),
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('group_members as m')
                    .select('m.group_id')
                    .whereRef('m.account_id', '=', 'u.account_id')
                    .whereRef('m.user_id', '=', 'u.user_id'),
                ),
              ),
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('user_policies as a')
                    .select('a.policy_name')
                    .whereRef('a.account_id', '=', 'u.account_id')
                    .whereRef('a.user_id', '=', 'u.user_id'),
                ),
              ),
            ]),
          )
          .executeTakeFirst();
        if (deleted.numDeletedRows > 0n) return true;

        // Nothing deleted: no such user, or one of the three conditions held (and under the lock still
        // holds), the last one when not the first two.
        const why = await trx
          .selectNoFrom((eb) => [
            eb
              .exists(
                eb
                  .selectFrom('users')
                  .select('user_id')
                  .where('account_id', '=', accountId)
                  .where('user_id', '=', userId),
              )
              .as('found'),
            eb
              .exists(
                eb
                  .selectFrom('access_keys')
                  .select('access_key_id')
                  .where('account_id', '=', accountId)
                  .where('user_id', '=', userId)
                  .where('deleted_at', 'is', null),
              )
              .as('keys'),
            eb
              .exists(
                eb
                  .selectFrom('group_members')
                  .select('group_id')
                  .where('account_id', '=', accountId)
                  .where('user_id', '=', userId),
              )
              .as('groups'),
          ])
          .executeTakeFirstOrThrow();
        if (!isTrue(why.found)) return false;
        if (isTrue(why.keys)) throw new RamkeyError('DeleteConflict.User.AccessKey');
        if (isTrue(why.groups)) throw new RamkeyError('DeleteConflict.User.Group');
        throw new RamkeyError('DeleteConflict.User.Policy');
      },
      (deleted) => deleted,
    );
  }

  // Groups

  async createGroup(group: GroupRecord, maxGroups: number): Promise<void> {
    checkLimit('createGroup', 'maxGroups', maxGroups);
    await this.#write(async (trx) => {
      await this.#lock(trx, lockOf.accountGroups(group.accountId));
      // Write first, count after (see the top of this file); throwing rolls the insert back.
      await this.#unique('EntityAlreadyExists.Group', 'group name or ID already in use', () =>
        trx
          .insertInto('groups')
          .values({
            account_id: group.accountId,
            group_id: group.groupId,
            group_name: group.groupName,
            group_name_key: toGroupNameKey(group.groupName),
            comments: group.comments,
            created_at: group.createdAt,
            updated_at: group.updatedAt,
          })
          .execute(),
      );
      const { n } = await trx
        .selectFrom('groups')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', group.accountId)
        .executeTakeFirstOrThrow();
      // The count includes the group just inserted.
      if (n > maxGroups) throw new RamkeyError('LimitExceeded.Group');
    });
  }

  async getGroupByName(accountId: string, groupName: string): Promise<GroupRecord | undefined> {
    const row = await this.#db
      .selectFrom('groups')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('group_name_key', '=', toGroupNameKey(groupName))
      .executeTakeFirst();
    return row && toGroup(row);
  }

  async getGroupById(accountId: string, groupId: string): Promise<GroupRecord | undefined> {
    const row = await this.#db
      .selectFrom('groups')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('group_id', '=', groupId)
      .executeTakeFirst();
    return row && toGroup(row);
  }

  async updateGroup(
    accountId: string,
    groupName: string,
    patch: GroupPatch,
  ): Promise<GroupRecord | undefined> {
    const set: Partial<GroupsTable> = { updated_at: patch.updatedAt };
    if (patch.groupName !== undefined) {
      set.group_name = patch.groupName;
      set.group_name_key = toGroupNameKey(patch.groupName);
    }
    if (patch.comments !== undefined) set.comments = patch.comments;
    const row = await this.#unique('EntityAlreadyExists.Group', 'new group name already in use', () =>
      this.#write(
        (trx) =>
          trx
            .updateTable('groups')
            .set(set)
            .where('account_id', '=', accountId)
            .where('group_name_key', '=', toGroupNameKey(groupName))
            .returningAll()
            .executeTakeFirst(),
        (row) => row !== undefined,
      ),
    );
    return row && toGroup(row);
  }

  async listGroups(
    accountId: string,
    options: { after?: string; limit: number },
  ): Promise<Page<GroupRecord>> {
    const { limit } = options;
    checkPageLimit('listGroups', limit);
    const after = markerKey(options.after);
    let query = this.#db.selectFrom('groups').selectAll().where('account_id', '=', accountId);
    if (after !== undefined) query = query.where('group_name_key', '>', after);
    const rows = await query
      .orderBy('group_name_key')
      .limit(limit + 1)
      .execute();
    return toPage(rows, limit, (row) => row.group_name_key, toGroup);
  }

  async countGroups(accountId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('groups')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async deleteGroup(accountId: string, groupId: string): Promise<boolean> {
    return this.#write(
      async (trx) => {
        // AddUserToGroup and AttachPolicyToGroup take this lock too.
        await this.#lock(trx, lockOf.group(accountId, groupId));
        const deleted = await trx
          .deleteFrom('groups as g')
          .where('g.account_id', '=', accountId)
          .where('g.group_id', '=', groupId)
          .where((eb) =>
            eb.and([
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('group_members as m')
                    .select('m.user_id')
                    .whereRef('m.account_id', '=', 'g.account_id')
                    .whereRef('m.group_id', '=', 'g.group_id'),
                ),
              ),
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('group_policies as a')
                    .select('a.policy_name')
                    .whereRef('a.account_id', '=', 'g.account_id')
                    .whereRef('a.group_id', '=', 'g.group_id'),
                ),
              ),
            ]),
          )
          .executeTakeFirst();
        if (deleted.numDeletedRows > 0n) return true;

        // As in deleteUser: no such group, or members, or else attached policies.
        const why = await trx
          .selectNoFrom((eb) => [
            eb
              .exists(
                eb
                  .selectFrom('groups')
                  .select('group_id')
                  .where('account_id', '=', accountId)
                  .where('group_id', '=', groupId),
              )
              .as('found'),
            eb
              .exists(
                eb
                  .selectFrom('group_members')
                  .select('user_id')
                  .where('account_id', '=', accountId)
                  .where('group_id', '=', groupId),
              )
              .as('members'),
          ])
          .executeTakeFirstOrThrow();
        if (!isTrue(why.found)) return false;
        if (isTrue(why.members)) throw new RamkeyError('DeleteConflict.Group.User');
        throw new RamkeyError('DeleteConflict.Group.Policy');
      },
      (deleted) => deleted,
    );
  }

  // Group membership

  async addUserToGroup(
    membership: { accountId: string; userId: string; groupId: string; joinedAt: number },
    maxGroupsPerUser: number,
  ): Promise<void> {
    checkLimit('addUserToGroup', 'maxGroupsPerUser', maxGroupsPerUser);
    const { accountId, userId, groupId, joinedAt } = membership;
    await this.#write(async (trx) => {
      // The principal's lock serializes the per-user count (and DeleteUser); the group's, DeleteGroup.
      await this.#lock(trx, lockOf.principal(accountId, userId), lockOf.group(accountId, groupId));
      // Inserts nothing when the user or the group is missing (in this account) or already joined.
      const inserted = await trx
        .insertInto('group_members')
        .columns(['account_id', 'user_id', 'group_id', 'joined_at'])
        .expression(
          trx
            .selectFrom('users as u')
            .innerJoin('groups as g', 'g.account_id', 'u.account_id')
            .select([
              'u.account_id',
              'u.user_id',
              'g.group_id',
              sql<number>`cast(${joinedAt} as bigint)`.as('joined_at'),
            ])
            .where('u.account_id', '=', accountId)
            .where('u.user_id', '=', userId)
            .where('g.group_id', '=', groupId),
        )
        .onConflict((oc) => oc.columns(['account_id', 'user_id', 'group_id']).doNothing())
        .executeTakeFirst();
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) {
        const why = await trx
          .selectNoFrom((eb) => [
            eb
              .exists(
                eb
                  .selectFrom('users')
                  .select('user_id')
                  .where('account_id', '=', accountId)
                  .where('user_id', '=', userId),
              )
              .as('user'),
            eb
              .exists(
                eb
                  .selectFrom('groups')
                  .select('group_id')
                  .where('account_id', '=', accountId)
                  .where('group_id', '=', groupId),
              )
              .as('group'),
          ])
          .executeTakeFirstOrThrow();
        if (!isTrue(why.user)) throw new RamkeyError('EntityNotExist.User');
        if (!isTrue(why.group)) throw new RamkeyError('EntityNotExist.Group');
        throw new RamkeyError('EntityAlreadyExists.User.Group');
      }
      const { n } = await trx
        .selectFrom('group_members')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      if (n > maxGroupsPerUser) throw new RamkeyError('LimitExceeded.User.Group');
    });
  }

  async removeUserFromGroup(accountId: string, userId: string, groupId: string): Promise<boolean> {
    const deleted = await this.#write(
      (trx) =>
        trx
          .deleteFrom('group_members')
          .where('account_id', '=', accountId)
          .where('user_id', '=', userId)
          .where('group_id', '=', groupId)
          .executeTakeFirst(),
      (r) => r.numDeletedRows > 0n,
    );
    return deleted.numDeletedRows > 0n;
  }

  async listGroupsForUser(accountId: string, userId: string): Promise<GroupMembership[]> {
    const rows = await this.#db
      .selectFrom('group_members as m')
      .innerJoin('groups as g', (join) =>
        join.onRef('g.account_id', '=', 'm.account_id').onRef('g.group_id', '=', 'm.group_id'),
      )
      .selectAll('g')
      .select('m.joined_at')
      .where('m.account_id', '=', accountId)
      .where('m.user_id', '=', userId)
      .orderBy('m.joined_at')
      .orderBy('g.group_name_key')
      .execute();
    return rows.map((row) => ({ group: toGroup(row), joinedAt: row.joined_at }));
  }

  async listUsersForGroup(
    accountId: string,
    groupId: string,
    options: { after?: string; limit: number },
  ): Promise<Page<GroupMember>> {
    const { limit } = options;
    checkPageLimit('listUsersForGroup', limit);
    const after = markerKey(options.after);
    let query = this.#db
      .selectFrom('group_members as m')
      .innerJoin('users as u', (join) =>
        join.onRef('u.account_id', '=', 'm.account_id').onRef('u.user_id', '=', 'm.user_id'),
      )
      .selectAll('u')
      .select('m.joined_at')
      .where('m.account_id', '=', accountId)
      .where('m.group_id', '=', groupId);
    if (after !== undefined) query = query.where('u.user_name_key', '>', after);
    const rows = await query
      .orderBy('u.user_name_key')
      .limit(limit + 1)
      .execute();
    return toPage(
      rows,
      limit,
      (row) => row.user_name_key,
      (row) => ({ user: toUser(row), joinedAt: row.joined_at }),
    );
  }

  // Custom policies and versions

  /** Policies with their attachment counts (Custom attachments of that exact name, users and groups). */
  #selectPolicies(db: Kysely<Database>) {
    return db
      .selectFrom('policies as p')
      .selectAll('p')
      .select((eb) => [
        eb
          .selectFrom('user_policies as a')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('a.account_id', '=', 'p.account_id')
          .where('a.policy_type', '=', 'Custom')
          .whereRef('a.policy_name', '=', 'p.policy_name')
          .as('user_attachments'),
        eb
          .selectFrom('group_policies as a')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('a.account_id', '=', 'p.account_id')
          .where('a.policy_type', '=', 'Custom')
          .whereRef('a.policy_name', '=', 'p.policy_name')
          .as('group_attachments'),
      ]);
  }

  async #getPolicy(
    db: Kysely<Database>,
    accountId: string,
    policyName: string,
  ): Promise<PolicyRecord | undefined> {
    const row = await this.#selectPolicies(db)
      .where('p.account_id', '=', accountId)
      .where('p.policy_name_key', '=', toPolicyNameKey(policyName))
      .executeTakeFirst();
    return row && toPolicy(row);
  }

  async createPolicy(policy: NewPolicy, maxPolicies: number): Promise<PolicyRecord> {
    checkLimit('createPolicy', 'maxPolicies', maxPolicies);
    const { accountId, policyName, createdAt } = policy;
    return this.#write(async (trx) => {
      await this.#lock(trx, lockOf.accountPolicies(accountId));
      await this.#unique('EntityAlreadyExists.Policy', 'policy name already in use', () =>
        trx
          .insertInto('policies')
          .values({
            account_id: accountId,
            policy_name: policyName,
            policy_name_key: toPolicyNameKey(policyName),
            description: policy.description,
            default_version: 1,
            last_version: 1,
            created_at: createdAt,
            updated_at: createdAt,
          })
          .execute(),
      );
      await trx
        .insertInto('policy_versions')
        .values({
          account_id: accountId,
          policy_name: policyName,
          version_number: 1,
          document: policy.document,
          created_at: createdAt,
        })
        .execute();
      const { n } = await trx
        .selectFrom('policies')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      if (n > maxPolicies) throw new RamkeyError('LimitExceeded.Policy');
      return {
        accountId,
        policyName,
        description: policy.description,
        defaultVersion: toVersionId(1),
        attachmentCount: 0,
        createdAt,
        updatedAt: createdAt,
      };
    });
  }

  getPolicy(accountId: string, policyName: string): Promise<PolicyRecord | undefined> {
    return this.#getPolicy(this.#db, accountId, policyName);
  }

  async listPolicies(
    accountId: string,
    options: { after?: string; limit: number },
  ): Promise<Page<PolicyRecord>> {
    const { limit } = options;
    checkPageLimit('listPolicies', limit);
    const after = markerKey(options.after);
    let query = this.#selectPolicies(this.#db).where('p.account_id', '=', accountId);
    if (after !== undefined) query = query.where('p.policy_name_key', '>', after);
    const rows = await query
      .orderBy('p.policy_name_key')
      .limit(limit + 1)
      .execute();
    return toPage(rows, limit, (row) => row.policy_name_key, toPolicy);
  }

  async countPolicies(accountId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('policies')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async updatePolicyDescription(
    accountId: string,
    policyName: string,
    description: string,
    now: number,
  ): Promise<PolicyRecord | undefined> {
    return this.#write(
      async (trx) => {
        const updated = await trx
          .updateTable('policies')
          .set({ description, updated_at: now })
          .where('account_id', '=', accountId)
          .where('policy_name_key', '=', toPolicyNameKey(policyName))
          .executeTakeFirst();
        if (updated.numUpdatedRows === 0n) return undefined;
        return this.#getPolicy(trx, accountId, policyName);
      },
      (policy) => policy !== undefined,
    );
  }

  async deletePolicy(accountId: string, policyName: string): Promise<boolean> {
    const nameKey = toPolicyNameKey(policyName);
    return this.#write(
      async (trx) => {
        // Attaching the policy and changing its versions take this lock too.
        await this.#lock(trx, lockOf.policy(accountId, nameKey));
        // A write first (see the top of this file): touch the row about to be deleted.
        const policy = await trx
          .updateTable('policies')
          .set((eb) => ({ updated_at: eb.ref('updated_at') }))
          .where('account_id', '=', accountId)
          .where('policy_name_key', '=', nameKey)
          .returning(['policy_name', 'default_version'])
          .executeTakeFirst();
        if (policy === undefined) return false;
        const { policy_name: name, default_version: defaultVersion } = policy;
        const why = await trx
          .selectNoFrom((eb) => [
            eb
              .exists(
                eb
                  .selectFrom('user_policies')
                  .select('user_id')
                  .where('account_id', '=', accountId)
                  .where('policy_type', '=', 'Custom')
                  .where('policy_name', '=', name),
              )
              .as('users'),
            eb
              .exists(
                eb
                  .selectFrom('group_policies')
                  .select('group_id')
                  .where('account_id', '=', accountId)
                  .where('policy_type', '=', 'Custom')
                  .where('policy_name', '=', name),
              )
              .as('groups'),
            eb
              .exists(
                eb
                  .selectFrom('policy_versions')
                  .select('version_number')
                  .where('account_id', '=', accountId)
                  .where('policy_name', '=', name)
                  .where('version_number', '<>', defaultVersion),
              )
              .as('versions'),
          ])
          .executeTakeFirstOrThrow();
        if (isTrue(why.users)) throw new RamkeyError('DeleteConflict.Policy.User');
        if (isTrue(why.groups)) throw new RamkeyError('DeleteConflict.Policy.Group');
        if (isTrue(why.versions)) throw new RamkeyError('DeleteConflict.Policy.Version');
        await trx
          .deleteFrom('policy_versions')
          .where('account_id', '=', accountId)
          .where('policy_name', '=', name)
          .execute();
        await trx
          .deleteFrom('policies')
          .where('account_id', '=', accountId)
          .where('policy_name', '=', name)
          .execute();
        return true;
      },
      (deleted) => deleted,
    );
  }

  async createPolicyVersion(
    accountId: string,
    policyName: string,
    version: NewPolicyVersion,
    maxVersions: number,
  ): Promise<PolicyVersionRecord> {
    checkLimit('createPolicyVersion', 'maxVersions', maxVersions);
    const nameKey = toPolicyNameKey(policyName);
    const { createdAt } = version;
    return this.#write(async (trx) => {
      await this.#lock(trx, lockOf.policy(accountId, nameKey));
      // Write first: take the next version number.
      const policy = await trx
        .updateTable('policies')
        .set((eb) => ({ last_version: eb('last_version', '+', 1), updated_at: createdAt }))
        .where('account_id', '=', accountId)
        .where('policy_name_key', '=', nameKey)
        .returning(['policy_name', 'last_version', 'default_version'])
        .executeTakeFirst();
      if (policy === undefined) throw new RamkeyError('EntityNotExist.Policy');
      const { policy_name: name, last_version: number, default_version: previousDefault } = policy;
      await trx
        .insertInto('policy_versions')
        .values({
          account_id: accountId,
          policy_name: name,
          version_number: number,
          document: version.document,
          created_at: createdAt,
        })
        .execute();

      const { n } = await trx
        .selectFrom('policy_versions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('policy_name', '=', name)
        .executeTakeFirstOrThrow();
      if (n > maxVersions) {
        if (!version.rotate) throw new RamkeyError('LimitExceeded.Policy.Version');
        // Rotation deletes the oldest versions other than the new one and the default in effect
        // before this call (so a new default can always be rolled back), as many as it takes.
        const excess = n - maxVersions;
        const oldest = await trx
          .selectFrom('policy_versions')
          .select('version_number')
          .where('account_id', '=', accountId)
          .where('policy_name', '=', name)
          .where('version_number', 'not in', [previousDefault, number])
          .orderBy('version_number')
          .limit(excess)
          .execute();
        if (oldest.length < excess) throw new RamkeyError('LimitExceeded.Policy.Version');
        await trx
          .deleteFrom('policy_versions')
          .where('account_id', '=', accountId)
          .where('policy_name', '=', name)
          .where(
            'version_number',
            'in',
            oldest.map((v) => v.version_number),
          )
          .execute();
      }
      if (version.setAsDefault) {
        await trx
          .updateTable('policies')
          .set({ default_version: number })
          .where('account_id', '=', accountId)
          .where('policy_name', '=', name)
          .execute();
      }
      return {
        accountId,
        policyName: name,
        versionId: toVersionId(number),
        document: version.document,
        isDefault: version.setAsDefault,
        createdAt,
      };
    });
  }

  async getPolicyVersion(
    accountId: string,
    policyName: string,
    versionId: string,
  ): Promise<PolicyVersionRecord | undefined> {
    const number = parseVersionId(versionId);
    if (number === undefined) return undefined;
    const row = await this.#db
      .selectFrom('policy_versions as v')
      .innerJoin('policies as p', (join) =>
        join.onRef('p.account_id', '=', 'v.account_id').onRef('p.policy_name', '=', 'v.policy_name'),
      )
      .selectAll('v')
      .select('p.default_version')
      .where('p.account_id', '=', accountId)
      .where('p.policy_name_key', '=', toPolicyNameKey(policyName))
      .where('v.version_number', '=', number)
      .executeTakeFirst();
    return row && toPolicyVersion(row, row.default_version);
  }

  async listPolicyVersions(
    accountId: string,
    policyName: string,
  ): Promise<PolicyVersionRecord[] | undefined> {
    // One query: a policy always has a version, so no row at all means no such policy.
    const rows = await this.#db
      .selectFrom('policies as p')
      .innerJoin('policy_versions as v', (join) =>
        join.onRef('v.account_id', '=', 'p.account_id').onRef('v.policy_name', '=', 'p.policy_name'),
      )
      .selectAll('v')
      .select('p.default_version')
      .where('p.account_id', '=', accountId)
      .where('p.policy_name_key', '=', toPolicyNameKey(policyName))
      .orderBy('v.version_number')
      .execute();
    if (rows.length === 0) return undefined;
    return rows.map((row) => toPolicyVersion(row, row.default_version));
  }

  async setDefaultPolicyVersion(
    accountId: string,
    policyName: string,
    versionId: string,
    now: number,
  ): Promise<PolicyRecord> {
    const nameKey = toPolicyNameKey(policyName);
    const number = parseVersionId(versionId);
    return this.#write(async (trx) => {
      // DeletePolicyVersion takes this lock too: the new default cannot be deleted meanwhile.
      await this.#lock(trx, lockOf.policy(accountId, nameKey));
      if (number !== undefined) {
        const updated = await trx
          .updateTable('policies as p')
          .set({ default_version: number, updated_at: now })
          .where('p.account_id', '=', accountId)
          .where('p.policy_name_key', '=', nameKey)
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom('policy_versions as v')
                .select('v.version_number')
                .whereRef('v.account_id', '=', 'p.account_id')
                .whereRef('v.policy_name', '=', 'p.policy_name')
                .where('v.version_number', '=', number),
            ),
          )
          .executeTakeFirst();
        if (updated.numUpdatedRows > 0n) {
          const policy = await this.#getPolicy(trx, accountId, policyName);
          if (policy !== undefined) return policy;
        }
      }
      const policy = await this.#getPolicy(trx, accountId, policyName);
      throw new RamkeyError(policy === undefined ? 'EntityNotExist.Policy' : 'EntityNotExist.Policy.Version');
    });
  }

  async deletePolicyVersion(
    accountId: string,
    policyName: string,
    versionId: string,
    now: number,
  ): Promise<void> {
    const nameKey = toPolicyNameKey(policyName);
    const number = parseVersionId(versionId);
    await this.#write(async (trx) => {
      await this.#lock(trx, lockOf.policy(accountId, nameKey));
      if (number !== undefined) {
        // Write first: touch the policy (its updatedAt moves with its versions).
        const policy = await trx
          .updateTable('policies')
          .set({ updated_at: now })
          .where('account_id', '=', accountId)
          .where('policy_name_key', '=', nameKey)
          .returning(['policy_name', 'default_version'])
          .executeTakeFirst();
        if (policy === undefined) throw new RamkeyError('EntityNotExist.Policy');
        if (policy.default_version === number) throw new RamkeyError('DeleteConflict.Policy.Version.Default');
        const deleted = await trx
          .deleteFrom('policy_versions')
          .where('account_id', '=', accountId)
          .where('policy_name', '=', policy.policy_name)
          .where('version_number', '=', number)
          .executeTakeFirst();
        if (deleted.numDeletedRows > 0n) return;
        throw new RamkeyError('EntityNotExist.Policy.Version');
      }
      const found = await trx
        .selectFrom('policies')
        .select('policy_name')
        .where('account_id', '=', accountId)
        .where('policy_name_key', '=', nameKey)
        .executeTakeFirst();
      throw new RamkeyError(found === undefined ? 'EntityNotExist.Policy' : 'EntityNotExist.Policy.Version');
    });
  }

  // Policy attachments

  async attachPolicyToUser(
    attachment: PolicyAttachment,
    limits: PolicyAttachmentLimits = RAM_POLICY_ATTACHMENT_LIMITS,
  ): Promise<boolean> {
    const { accountId, userId, policyType, policyName, attachedAt } = attachment;
    checkAttachment('attachPolicyToUser', policyType, limits);
    const custom = policyType === 'Custom';
    const nameKey = toPolicyNameKey(policyName);
    return this.#write(
      async (trx) => {
        // The principal's lock serializes the per-user count and DeleteUser; the policy's, DeletePolicy.
        const locks = [lockOf.principal(accountId, userId)];
        if (custom) locks.push(lockOf.policy(accountId, nameKey));
        await this.#lock(trx, ...locks);

        // Write first: inserts nothing when the user or the Custom policy is missing from the account,
        // or when already attached. A Custom attachment takes the policy's name as created.
        const users = trx
          .selectFrom('users as u')
          .where('u.account_id', '=', accountId)
          .where('u.user_id', '=', userId);
        const source = custom
          ? users
              .innerJoin('policies as p', 'p.account_id', 'u.account_id')
              .where('p.policy_name_key', '=', nameKey)
              .select([
                'u.account_id',
                'u.user_id',
                sql<string>`cast(${policyType} as text)`.as('policy_type'),
                'p.policy_name',
                sql<number>`cast(${attachedAt} as bigint)`.as('attached_at'),
              ])
          : users.select([
              'u.account_id',
              'u.user_id',
              sql<string>`cast(${policyType} as text)`.as('policy_type'),
              sql<string>`cast(${policyName} as text)`.as('policy_name'),
              sql<number>`cast(${attachedAt} as bigint)`.as('attached_at'),
            ]);
        const inserted = await trx
          .insertInto('user_policies')
          .columns(['account_id', 'user_id', 'policy_type', 'policy_name', 'attached_at'])
          .expression(source)
          .onConflict((oc) => oc.columns(['account_id', 'user_id', 'policy_type', 'policy_name']).doNothing())
          .executeTakeFirst();
        if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) {
          if (!(await this.#userExists(trx, accountId, userId))) throw new RamkeyError('EntityNotExist.User');
          if (custom && !(await this.#policyExists(trx, accountId, nameKey))) {
            throw new RamkeyError('EntityNotExist.Policy');
          }
          return false;
        }
        const { n } = await trx
          .selectFrom('user_policies')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountId)
          .where('user_id', '=', userId)
          .where('policy_type', '=', policyType)
          .executeTakeFirstOrThrow();
        if (n > limits[policyType]) throw new RamkeyError('LimitExceeded.User.Policy');
        return true;
      },
      (attached) => attached,
    );
  }

  async detachPolicyFromUser(
    accountId: string,
    userId: string,
    policyType: PolicyType,
    policyName: string,
  ): Promise<boolean> {
    const deleted = await this.#write(
      (trx) =>
        trx
          .deleteFrom('user_policies')
          .where('account_id', '=', accountId)
          .where('user_id', '=', userId)
          .where('policy_type', '=', policyType)
          .where('policy_name', '=', this.#attachedName(accountId, policyType, policyName))
          .executeTakeFirst(),
      (r) => r.numDeletedRows > 0n,
    );
    return deleted.numDeletedRows > 0n;
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

  async attachPolicyToGroup(
    attachment: GroupPolicyAttachment,
    limits: PolicyAttachmentLimits,
  ): Promise<boolean> {
    const { accountId, groupId, policyType, policyName, attachedAt } = attachment;
    checkAttachment('attachPolicyToGroup', policyType, limits);
    const custom = policyType === 'Custom';
    const nameKey = toPolicyNameKey(policyName);
    return this.#write(
      async (trx) => {
        // The group's lock serializes the per-group count and DeleteGroup; the policy's, DeletePolicy.
        const locks = [lockOf.group(accountId, groupId)];
        if (custom) locks.push(lockOf.policy(accountId, nameKey));
        await this.#lock(trx, ...locks);

        // As attachPolicyToUser.
        const groups = trx
          .selectFrom('groups as g')
          .where('g.account_id', '=', accountId)
          .where('g.group_id', '=', groupId);
        const source = custom
          ? groups
              .innerJoin('policies as p', 'p.account_id', 'g.account_id')
              .where('p.policy_name_key', '=', nameKey)
              .select([
                'g.account_id',
                'g.group_id',
                sql<string>`cast(${policyType} as text)`.as('policy_type'),
                'p.policy_name',
                sql<number>`cast(${attachedAt} as bigint)`.as('attached_at'),
              ])
          : groups.select([
              'g.account_id',
              'g.group_id',
              sql<string>`cast(${policyType} as text)`.as('policy_type'),
              sql<string>`cast(${policyName} as text)`.as('policy_name'),
              sql<number>`cast(${attachedAt} as bigint)`.as('attached_at'),
            ]);
        const inserted = await trx
          .insertInto('group_policies')
          .columns(['account_id', 'group_id', 'policy_type', 'policy_name', 'attached_at'])
          .expression(source)
          .onConflict((oc) =>
            oc.columns(['account_id', 'group_id', 'policy_type', 'policy_name']).doNothing(),
          )
          .executeTakeFirst();
        if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) {
          const group = await trx
            .selectFrom('groups')
            .select('group_id')
            .where('account_id', '=', accountId)
            .where('group_id', '=', groupId)
            .executeTakeFirst();
          if (group === undefined) throw new RamkeyError('EntityNotExist.Group');
          if (custom && !(await this.#policyExists(trx, accountId, nameKey))) {
            throw new RamkeyError('EntityNotExist.Policy');
          }
          return false;
        }
        const { n } = await trx
          .selectFrom('group_policies')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountId)
          .where('group_id', '=', groupId)
          .where('policy_type', '=', policyType)
          .executeTakeFirstOrThrow();
        if (n > limits[policyType]) throw new RamkeyError('LimitExceeded.Group.Policy');
        return true;
      },
      (attached) => attached,
    );
  }

  async detachPolicyFromGroup(
    accountId: string,
    groupId: string,
    policyType: PolicyType,
    policyName: string,
  ): Promise<boolean> {
    const deleted = await this.#write(
      (trx) =>
        trx
          .deleteFrom('group_policies')
          .where('account_id', '=', accountId)
          .where('group_id', '=', groupId)
          .where('policy_type', '=', policyType)
          .where('policy_name', '=', this.#attachedName(accountId, policyType, policyName))
          .executeTakeFirst(),
      (r) => r.numDeletedRows > 0n,
    );
    return deleted.numDeletedRows > 0n;
  }

  async listPoliciesForGroup(accountId: string, groupId: string): Promise<GroupPolicyAttachment[]> {
    const rows = await this.#db
      .selectFrom('group_policies')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('group_id', '=', groupId)
      .orderBy('attached_at')
      .orderBy('policy_type')
      .orderBy('policy_name')
      .execute();
    return rows.map(toGroupAttachment);
  }

  async listEntitiesForPolicy(
    accountId: string,
    policyType: PolicyType,
    policyName: string,
  ): Promise<PolicyEntities> {
    const name = this.#attachedName(accountId, policyType, policyName);
    const userRows = await this.#db
      .selectFrom('user_policies as a')
      .innerJoin('users as u', (join) =>
        join.onRef('u.account_id', '=', 'a.account_id').onRef('u.user_id', '=', 'a.user_id'),
      )
      .selectAll('u')
      .select('a.attached_at')
      .where('a.account_id', '=', accountId)
      .where('a.policy_type', '=', policyType)
      .where('a.policy_name', '=', name)
      .orderBy('a.attached_at')
      .orderBy('u.user_name_key')
      .execute();
    const groupRows = await this.#db
      .selectFrom('group_policies as a')
      .innerJoin('groups as g', (join) =>
        join.onRef('g.account_id', '=', 'a.account_id').onRef('g.group_id', '=', 'a.group_id'),
      )
      .selectAll('g')
      .select('a.attached_at')
      .where('a.account_id', '=', accountId)
      .where('a.policy_type', '=', policyType)
      .where('a.policy_name', '=', name)
      .orderBy('a.attached_at')
      .orderBy('g.group_name_key')
      .execute();
    return {
      users: userRows.map((row) => ({ user: toUser(row), attachedAt: row.attached_at })),
      groups: groupRows.map((row) => ({ group: toGroup(row), attachedAt: row.attached_at })),
    };
  }

  async loadEffectivePolicies(accountId: string, userId: string): Promise<EffectivePolicy[]> {
    // One round trip: the user's own attachments UNION ALL its groups' attachments, each Custom one
    // joined to its policy's default version.
    const direct = this.#db
      .selectFrom('user_policies as a')
      .leftJoin('policies as p', (join) =>
        join
          .onRef('p.account_id', '=', 'a.account_id')
          .onRef('p.policy_name', '=', 'a.policy_name')
          .on('a.policy_type', '=', 'Custom'),
      )
      .leftJoin('policy_versions as v', (join) =>
        join
          .onRef('v.account_id', '=', 'p.account_id')
          .onRef('v.policy_name', '=', 'p.policy_name')
          .onRef('v.version_number', '=', 'p.default_version'),
      )
      .select([
        'a.policy_type',
        'a.policy_name',
        'a.attached_at',
        'v.document',
        sql<string | null>`cast(null as text)`.as('group_name'),
        sql<string | null>`cast(null as text)`.as('group_name_key'),
      ])
      .where('a.account_id', '=', accountId)
      .where('a.user_id', '=', userId);
    const viaGroups = this.#db
      .selectFrom('group_members as m')
      .innerJoin('groups as g', (join) =>
        join.onRef('g.account_id', '=', 'm.account_id').onRef('g.group_id', '=', 'm.group_id'),
      )
      .innerJoin('group_policies as a', (join) =>
        join.onRef('a.account_id', '=', 'm.account_id').onRef('a.group_id', '=', 'm.group_id'),
      )
      .leftJoin('policies as p', (join) =>
        join
          .onRef('p.account_id', '=', 'a.account_id')
          .onRef('p.policy_name', '=', 'a.policy_name')
          .on('a.policy_type', '=', 'Custom'),
      )
      .leftJoin('policy_versions as v', (join) =>
        join
          .onRef('v.account_id', '=', 'p.account_id')
          .onRef('v.policy_name', '=', 'p.policy_name')
          .onRef('v.version_number', '=', 'p.default_version'),
      )
      .select([
        'a.policy_type',
        'a.policy_name',
        'a.attached_at',
        'v.document',
        'g.group_name',
        'g.group_name_key',
      ])
      .where('m.account_id', '=', accountId)
      .where('m.user_id', '=', userId);
    const rows = await direct.unionAll(viaGroups).execute();

    // The user's own first, then by group; oldest first within each.
    rows.sort(
      (x, y) =>
        Number(x.group_name_key !== null) - Number(y.group_name_key !== null) ||
        compareText(x.group_name_key ?? '', y.group_name_key ?? '') ||
        x.attached_at - y.attached_at ||
        compareText(x.policy_type, y.policy_type) ||
        compareText(x.policy_name, y.policy_name),
    );
    return rows.map((row) => {
      const policyType = row.policy_type as PolicyType;
      const effective: EffectivePolicy = {
        policyType,
        policyName: row.policy_name,
        via: row.group_name === null ? 'user' : { group: row.group_name },
      };
      if (policyType === 'Custom') {
        // Every Custom attachment names a policy with a default version; anything else is a broken
        // database, and failing here denies the request (authorization fails closed).
        if (row.document === null) throw new Error('custom policy attachment without a default version');
        effective.document = row.document;
      }
      return effective;
    });
  }

  /** The name a policy is attached under: a System name as given; a Custom one as created. */
  #attachedName(accountId: string, policyType: PolicyType, policyName: string) {
    if (policyType === 'System') return sql<string>`${policyName}`;
    return this.#db
      .selectFrom('policies')
      .select('policy_name')
      .where('account_id', '=', accountId)
      .where('policy_name_key', '=', toPolicyNameKey(policyName));
  }

  async #policyExists(
    trx: Transaction<Database>,
    accountId: string,
    policyNameKey: string,
  ): Promise<boolean> {
    const row = await trx
      .selectFrom('policies')
      .select('policy_name')
      .where('account_id', '=', accountId)
      .where('policy_name_key', '=', policyNameKey)
      .executeTakeFirst();
    return row !== undefined;
  }

  // Security preferences

  async getSecurityPreference(accountId: string): Promise<SecurityPreference> {
    const row = await this.#db
      .selectFrom('security_preferences')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (row === undefined) return { ...DEFAULT_SECURITY_PREFERENCE };
    return {
      allowUserToManageAccessKeys: row.allow_user_to_manage_access_keys === 1,
      maxIdleDaysForAccessKeys: row.max_idle_days_for_access_keys,
    };
  }

  async setSecurityPreference(
    accountId: string,
    patch: Partial<SecurityPreference>,
  ): Promise<SecurityPreference> {
    const set: { allow_user_to_manage_access_keys?: number; max_idle_days_for_access_keys?: number } = {};
    if (patch.allowUserToManageAccessKeys !== undefined) {
      set.allow_user_to_manage_access_keys = patch.allowUserToManageAccessKeys ? 1 : 0;
    }
    if (patch.maxIdleDaysForAccessKeys !== undefined) {
      checkLimit('setSecurityPreference', 'maxIdleDaysForAccessKeys', patch.maxIdleDaysForAccessKeys);
      set.max_idle_days_for_access_keys = patch.maxIdleDaysForAccessKeys;
    }
    if (Object.keys(set).length === 0) return this.getSecurityPreference(accountId);
    // One upsert: the defaults fill what the patch leaves out of a first write; later writes change
    // only what the patch names.
    const row = await this.#write((trx) =>
      trx
        .insertInto('security_preferences')
        .values({
          account_id: accountId,
          allow_user_to_manage_access_keys: DEFAULT_SECURITY_PREFERENCE.allowUserToManageAccessKeys ? 1 : 0,
          max_idle_days_for_access_keys: DEFAULT_SECURITY_PREFERENCE.maxIdleDaysForAccessKeys,
          ...set,
        })
        .onConflict((oc) => oc.column('account_id').doUpdateSet(set))
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return {
      allowUserToManageAccessKeys: row.allow_user_to_manage_access_keys === 1,
      maxIdleDaysForAccessKeys: row.max_idle_days_for_access_keys,
    };
  }

  // AccessKeys

  async createAccessKey(key: AccessKeyRecord, maxLiveKeys: number): Promise<void> {
    if (!Number.isSafeInteger(maxLiveKeys) || maxLiveKeys < 0) {
      throw new RangeError('createAccessKey: maxLiveKeys must be an integer >= 0');
    }
    await this.#write(async (trx) => {
      await this.#lock(trx, lockOf.principal(key.accountId, key.userId));
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
    const result = await this.#write(
      (trx) =>
        trx
          .updateTable('access_keys')
          .set({ status, updated_at: now })
          .where('access_key_id', '=', accessKeyId)
          .where('account_id', '=', accountId)
          .where('user_id', userId === null ? 'is' : '=', userId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst(),
      (r) => r.numUpdatedRows > 0n,
    );
    return result.numUpdatedRows > 0n;
  }

  async deleteAccessKey(
    accountId: string,
    userId: string | null,
    accessKeyId: string,
    now: number,
  ): Promise<boolean> {
    // A soft delete: the row keeps the ID taken for good (IDs are never reused).
    const result = await this.#write(
      (trx) =>
        trx
          .updateTable('access_keys')
          .set({ deleted_at: now, updated_at: now })
          .where('access_key_id', '=', accessKeyId)
          .where('account_id', '=', accountId)
          .where('user_id', userId === null ? 'is' : '=', userId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst(),
      (r) => r.numUpdatedRows > 0n,
    );
    return result.numUpdatedRows > 0n;
  }

  async findAccessKey(accountId: string, accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const row = await this.#db
      .selectFrom('access_keys')
      .selectAll()
      .where('access_key_id', '=', accessKeyId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row && toAccessKey(row);
  }

  // Usage and the audit trail

  async recordActivity(batch: ActivityBatch): Promise<void> {
    const { events, lastUsed, keyUsage } = batch;
    if (events.length === 0 && lastUsed.length === 0 && keyUsage.length === 0) return;
    // Not through #write: this is the recorder's own flush, never a request's change.
    await this.#db.transaction().execute(async (trx) => {
      await insertAuditEvents(trx, this.#adapter.capabilities.engine, events);
      for (const update of lastUsed) {
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
      await addKeyUsage(trx, keyUsage);
    });
  }

  withAuditEvent<T>(slot: AuditSlot, work: () => Promise<T>): Promise<T> {
    const scope: AuditScope = { slot, open: true };
    return auditScope.run(scope, async () => {
      try {
        return await work();
      } finally {
        scope.open = false;
      }
    });
  }

  setAuditOutcome(eventId: string, errorCode: string, errorMessage: string): Promise<void> {
    return setAuditOutcome(this.#db, eventId, errorCode, errorMessage);
  }

  lookupAuditEvents(query: AuditEventQuery): Promise<AuditEventRecord[]> {
    return lookupAuditEvents(this.#db, query);
  }

  getAuditEvents(accountId: string, eventIds: readonly string[]): Promise<AuditEventRecord[]> {
    return getAuditEvents(this.#db, accountId, eventIds);
  }

  listKeyUsage(accountId: string, accessKeyId: string): Promise<KeyUsageRecord[]> {
    return listKeyUsage(this.#db, accountId, accessKeyId);
  }

  purgeAuditEvents(before: number, limit: number): Promise<number> {
    return purgeAuditEvents(this.#db, before, limit);
  }

  /**
   * Every write a request makes goes through here: one transaction, which also inserts the request's
   * audit event (see withAuditEvent) if it is the first to commit a change (`changed` says whether
   * the work changed anything; a no-op commits no event).
   */
  async #write<T>(
    work: (trx: Transaction<Database>) => Promise<T>,
    changed: (result: T) => boolean = () => true,
  ): Promise<T> {
    const scope = auditScope.getStore();
    const slot = scope?.open === true && !scope.slot.written ? scope.slot : undefined;
    const commit = { withEvent: false };
    const result = await this.#db.transaction().execute(async (trx) => {
      const value = await work(trx);
      if (slot && changed(value)) {
        await insertAuditEvents(trx, this.#adapter.capabilities.engine, [slot.event]);
        commit.withEvent = true;
      }
      return value;
    });
    // Only once the transaction committed: a rolled-back event leaves the slot to the next write.
    if (slot && commit.withEvent) slot.written = true;
    return result;
  }

  // Credential reports

  async loadCredentialReportSource(accountId: string): Promise<CredentialReportSource | undefined> {
    // Three set-based reads, however many users the account has.
    const account = await this.getAccount(accountId);
    if (account === undefined) return undefined;
    const users = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('user_name_key')
      .execute();
    // The sealed secret is never read: a report has no use for it.
    const keys = await this.#db
      .selectFrom('access_keys')
      .select([
        'access_key_id',
        'account_id',
        'user_id',
        'status',
        'created_at',
        'updated_at',
        'last_used_at',
        'last_used_service',
        'last_used_ip',
        'deleted_at',
      ])
      .where('account_id', '=', accountId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('access_key_id')
      .execute();
    return {
      accountId,
      accountCreatedAt: account.createdAt,
      users: users.map(toUser),
      accessKeys: keys.map((row) => ({
        accessKeyId: row.access_key_id,
        accountId: row.account_id,
        userId: row.user_id,
        status: row.status as AccessKeyStatus,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        lastUsedAt: row.last_used_at,
        lastUsedService: row.last_used_service,
        lastUsedIp: row.last_used_ip,
        deletedAt: row.deleted_at,
      })),
    };
  }

  async saveCredentialReport(accountId: string, generatedAt: number, content: string): Promise<void> {
    await this.#write((trx) =>
      trx
        .insertInto('credential_reports')
        .values({ account_id: accountId, generated_at: generatedAt, content })
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ generated_at: generatedAt, content }))
        .execute(),
    );
  }

  async getCredentialReport(accountId: string): Promise<CredentialReportRecord | undefined> {
    const row = await this.#db
      .selectFrom('credential_reports')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row && { accountId: row.account_id, generatedAt: row.generated_at, content: row.content };
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
