// The one storage interface, implemented by the SQLite and the PostgreSQL adapters alike.
//
// Rules every adapter keeps:
// - Instants are milliseconds since the epoch (numbers) on both sides of the interface.
// - Every query is scoped by account where the entity belongs to one; another account's rows are
//   simply not found.
// - Driver errors never cross this interface: constraint violations become RamkeyError catalog codes
//   (EntityAlreadyExists.User, LimitExceeded.User.AccessKey, ...), anything else is thrown as is
//   and rendered as InternalError by the API layer.
// - The store only ever sees sealed secrets (see sealer.ts); it cannot decrypt them.

export type AccessKeyStatus = 'Active' | 'Inactive';

export interface AccountRecord {
  accountId: string;
  loginName: string;
  /** scrypt hash of the console password, `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`. */
  passwordHash: string;
  createdAt: number;
}

export interface UserRecord {
  accountId: string;
  userId: string;
  userName: string;
  displayName: string;
  email: string;
  mobilePhone: string;
  comments: string;
  createdAt: number;
  updatedAt: number;
}

export type UserPatch = Partial<
  Pick<UserRecord, 'userName' | 'displayName' | 'email' | 'mobilePhone' | 'comments'>
> & { updatedAt: number };

export interface AccessKeyRecord {
  accessKeyId: string;
  accountId: string;
  /** null for the account's own (root) AccessKey. */
  userId: string | null;
  status: AccessKeyStatus;
  /** The secret as sealed by the Sealer (AES-256-GCM, AAD = accessKeyId). */
  sealedSecret: string;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
  lastUsedService: string | null;
  lastUsedIp: string | null;
  /** Set when the key is deleted; a deleted key is invisible to every read below. */
  deletedAt: number | null;
}

export interface LastUsedUpdate {
  accessKeyId: string;
  lastUsedAt: number;
  lastUsedService: string;
  lastUsedIp: string;
}

export type PolicyType = 'System' | 'Custom';

export interface PolicyAttachment {
  accountId: string;
  /** The attached principal: a user ID (groups come with the permissions issue). */
  userId: string;
  policyType: PolicyType;
  policyName: string;
  attachedAt: number;
}

export interface Page<T> {
  items: T[];
  /** Present when more items follow: pass it back as `after` to continue. */
  nextMarker?: string;
}

/** Engine differences are named here rather than tested with `if (engine === ...)` elsewhere. */
export interface StoreCapabilities {
  readonly engine: 'sqlite' | 'postgres';
  /**
   * True when writers are serialized per principal with transaction-scoped advisory locks
   * (PostgreSQL, many processes). SQLite serializes every writer on the database file instead.
   */
  readonly supportsAdvisoryLocks: boolean;
}

export interface Store {
  readonly capabilities: StoreCapabilities;

  /** Creates or upgrades the schema. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // Accounts
  createAccount(account: AccountRecord): Promise<void>;
  getAccount(accountId: string): Promise<AccountRecord | undefined>;
  countAccounts(): Promise<number>;

  // Users (names are unique per account, case-insensitively, as RAM's are)
  /** Throws RamkeyError('EntityAlreadyExists.User') when the name is taken in the account. */
  createUser(user: UserRecord): Promise<void>;
  getUserByName(accountId: string, userName: string): Promise<UserRecord | undefined>;
  getUserById(accountId: string, userId: string): Promise<UserRecord | undefined>;
  /**
   * Applies the patch to the named user and returns the updated record, or undefined when no such
   * user. Throws RamkeyError('EntityAlreadyExists.User') when renaming onto a taken name.
   */
  updateUser(accountId: string, userName: string, patch: UserPatch): Promise<UserRecord | undefined>;
  /**
   * Users ordered by name (lower-cased, compared byte by byte); `after` is an opaque marker from a
   * previous page (an empty one means "from the start"). Throws RamkeyError('InvalidParameter.Marker')
   * for a marker the store did not hand out.
   */
  listUsers(accountId: string, options: { after?: string; limit: number }): Promise<Page<UserRecord>>;
  countUsers(accountId: string): Promise<number>;
  /**
   * Deletes the user and its policy attachments. Throws RamkeyError('DeleteConflict.User.AccessKey')
   * while the user has live AccessKeys. Returns false when no such user.
   */
  deleteUser(accountId: string, userId: string): Promise<boolean>;

  // Policy attachments (the permissions issue adds the policies themselves)
  /**
   * Attaches the policy; returns false (and keeps the first attachedAt) when it is already attached,
   * so the caller decides whether that is an error. Throws RamkeyError('EntityNotExist.User') when
   * the account has no such user.
   */
  attachPolicyToUser(attachment: PolicyAttachment): Promise<boolean>;
  /** The user's attachments, oldest first. */
  listPoliciesForUser(accountId: string, userId: string): Promise<PolicyAttachment[]>;

  // AccessKeys
  /**
   * Inserts the key if its principal has fewer than `maxLiveKeys` live keys, atomically (two
   * concurrent creates can never both pass the check). Throws RamkeyError('LimitExceeded.User.AccessKey').
   * Throws RamkeyError('EntityNotExist.User') when `userId` names no user of the account, checked in
   * the same transaction so that a key can never be created for a user being deleted.
   */
  createAccessKey(key: AccessKeyRecord, maxLiveKeys: number): Promise<void>;
  /** Global lookup by ID for the gate; deleted keys are not returned. */
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  /** Live keys of one principal (userId null = the account's root keys), oldest first. */
  listAccessKeys(accountId: string, userId: string | null): Promise<AccessKeyRecord[]>;
  /** Live keys of the whole account (root and every user). */
  countAccessKeys(accountId: string): Promise<number>;
  /** Returns false when no live key with that ID belongs to that principal. */
  updateAccessKeyStatus(
    accountId: string,
    userId: string | null,
    accessKeyId: string,
    status: AccessKeyStatus,
    now: number,
  ): Promise<boolean>;
  /** Marks the key deleted. Returns false when no live key with that ID belongs to that principal. */
  deleteAccessKey(
    accountId: string,
    userId: string | null,
    accessKeyId: string,
    now: number,
  ): Promise<boolean>;
  /** Applies many last-used updates in one transaction; an update never moves lastUsedAt backwards. */
  recordLastUsed(updates: readonly LastUsedUpdate[]): Promise<void>;
}
