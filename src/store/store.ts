// The storage interface, one part per aggregate, implemented by the SQLite and the PostgreSQL adapters alike.
//
// Rules every adapter keeps:
// - Instants are milliseconds since the epoch (numbers) on both sides of the interface.
// - Every query is scoped by account where the entity belongs to one; another account's rows are
//   simply not found.
// - Driver errors never cross this interface: constraint violations become RamkeyError catalog codes
//   (EntityAlreadyExists.User, LimitExceeded.User.AccessKey, ...), anything else is thrown as is
//   and rendered as InternalError by the API layer.
// - The store only ever sees sealed secrets (see sealer.ts); it cannot decrypt them.
import type {
  AccessKeyPolicyRecord,
  AccessKeyRecord,
  AccessKeyStatus,
  AccountOverview,
  AccountRecord,
  ActivityBatch,
  AuditEventPage,
  AuditEventQuery,
  AuditEventRecord,
  AuditSlot,
  CredentialReportRecord,
  LoginProfileRecord,
  ConsoleSessionRecord,
  SigninFailureRecord,
  PasswordPolicyRecord,
  CredentialReportSource,
  DirectoryAccountRecord,
  EffectivePolicy,
  GroupMember,
  GroupMembership,
  GroupPatch,
  GroupPolicyAttachment,
  GroupRecord,
  IdleAccessKey,
  KeyRecycling,
  KeyUsageGroup,
  KeyRestrictionRecord,
  KeyUsageGroupQuery,
  LeakReporterRecord,
  NonceRecord,
  NotificationRecord,
  NewAccessKey,
  NewPolicy,
  NewPolicyVersion,
  Page,
  PolicyAttachment,
  PolicyAttachmentLimits,
  PolicyEntities,
  PolicyRecord,
  PolicyType,
  PolicyVersionRecord,
  RecycleBinEntry,
  RecycledAccessKey,
  RecycledUserRecord,
  SecretFingerprint,
  SecurityPreference,
  ServicePatch,
  ServiceRecord,
  ServiceRouteClaim,
  UnindexedAccessKey,
  UserPatch,
  UserRecord,
  VirtualMfaDeviceRecord,
  VirtualMfaDeviceSummary,
  WebhookRecord,
} from './records.js';

export * from './records.js';

/** Engine differences are named here rather than tested with `if (engine === ...)` elsewhere. */
export interface StoreCapabilities {
  readonly engine: 'sqlite' | 'postgres';
  /**
   * True when writers are serialized per principal with transaction-scoped advisory locks
   * (PostgreSQL, many processes). SQLite serializes every writer on the database file instead.
   */
  readonly supportsAdvisoryLocks: boolean;
}

/** Accounts and their security preferences. */
export interface AccountStore {
  createAccount(account: AccountRecord): Promise<void>;
  getAccount(accountId: string): Promise<AccountRecord | undefined>;
  countAccounts(): Promise<number>;
  /** Every account of the installation, oldest first, with its users and live AccessKeys counted. */
  listAccounts(): Promise<AccountOverview[]>;

  // Security preferences (one set per account)
  /** The account's preferences, DEFAULT_SECURITY_PREFERENCE for what was never set. */
  getSecurityPreference(accountId: string): Promise<SecurityPreference>;
  /** Applies the patch (an upsert) and returns the resulting preferences. */
  setSecurityPreference(accountId: string, patch: Partial<SecurityPreference>): Promise<SecurityPreference>;
}

/** RAM users, and the users in the recycle bin. */
export interface UserStore {
  // Users (names are unique per account, case-insensitively, as RAM's are). A user in the recycle bin
  // is no user: nothing here but the recycle-bin methods finds, counts or lists it, yet its name
  // stays taken until its purge is due (so that it can always be restored under it).
  /**
   * Throws RamkeyError('EntityAlreadyExists.User') when the name is taken in the account, by a user
   * or by a user in the recycle bin whose purge is not due at `user.createdAt`.
   */
  createUser(user: UserRecord): Promise<void>;
  getUserByName(accountId: string, userName: string): Promise<UserRecord | undefined>;
  getUserById(accountId: string, userId: string): Promise<UserRecord | undefined>;
  /**
   * Applies the patch to the named user and returns the updated record, or undefined when no such
   * user. Throws RamkeyError('EntityAlreadyExists.User') when renaming onto a taken name (as createUser
   * counts it, at `patch.updatedAt`).
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
   * Moves the user to the recycle bin with its live AccessKeys (which become recycled, with the
   * user's purge time, and come back with it), and returns those keys' IDs. RAM refuses to delete a
   * user something still hangs on: refuses, changing nothing, with RamkeyError('DeleteConflict.User.Group')
   * while it belongs to a group, then ('DeleteConflict.User.Policy') while policies are attached to
   * it, then ('DeleteConflict.User.MFADevice') while an MFA device is bound to it, checked atomically
   * with the move. Undefined when no such user.
   */
  recycleUser(accountId: string, userId: string, bin: RecycleBinEntry): Promise<string[] | undefined>;
  /** The user in the recycle bin with that ID, unless its purge is due at `now`. */
  getRecycledUser(accountId: string, userId: string, now: number): Promise<RecycledUserRecord | undefined>;
  /** The user in the recycle bin with that name (in any case), unless its purge is due at `now`. */
  getRecycledUserByName(
    accountId: string,
    userName: string,
    now: number,
  ): Promise<RecycledUserRecord | undefined>;
  /** Users in the recycle bin whose purge is not due at `now`, paged by name like listUsers. */
  listRecycledUsers(
    accountId: string,
    options: { after?: string; limit: number; now: number },
  ): Promise<Page<RecycledUserRecord>>;
  /**
   * Brings the user back from the recycle bin (unless its purge is due at `now`), with the keys that
   * went with it, each Inactive, and returns the user and those keys' IDs; undefined when no such
   * user in the bin. Keys deleted one by one before the user stay in the bin.
   */
  restoreUser(
    accountId: string,
    userId: string,
    now: number,
  ): Promise<{ user: UserRecord; accessKeyIds: string[] } | undefined>;
  /**
   * Purges the user in the recycle bin (due or not), its login profile and every key of it still in
   * the bin, and returns those keys' IDs; undefined when no such user in the bin.
   */
  purgeRecycledUser(accountId: string, userId: string, now: number): Promise<string[] | undefined>;
  /** Up to `limit` users in the recycle bin whose purge is due at `now`, earliest first, any account. */
  listDueUsers(now: number, limit: number): Promise<RecycledUserRecord[]>;
}

/** Groups and their members. */
export interface GroupStore {
  // Groups (names are unique per account, case-insensitively, like user names)
  /**
   * Inserts the group if the account has fewer than `maxGroups` groups, atomically. Throws
   * RamkeyError('EntityAlreadyExists.Group') when the name is taken in the account, and
   * ('LimitExceeded.Group') at the limit.
   */
  createGroup(group: GroupRecord, maxGroups: number): Promise<void>;
  getGroupByName(accountId: string, groupName: string): Promise<GroupRecord | undefined>;
  getGroupById(accountId: string, groupId: string): Promise<GroupRecord | undefined>;
  /**
   * Applies the patch to the named group and returns the updated record, or undefined when no such
   * group. Throws RamkeyError('EntityAlreadyExists.Group') when renaming onto a taken name.
   */
  updateGroup(accountId: string, groupName: string, patch: GroupPatch): Promise<GroupRecord | undefined>;
  /** Groups in name order, paged like listUsers (same marker rules). */
  listGroups(accountId: string, options: { after?: string; limit: number }): Promise<Page<GroupRecord>>;
  countGroups(accountId: string): Promise<number>;
  /**
   * Deletes the group. Refuses, changing nothing, with RamkeyError('DeleteConflict.Group.User') while
   * it has members, then ('DeleteConflict.Group.Policy') while policies are attached to it, checked
   * atomically with the delete. Returns false when no such group.
   */
  deleteGroup(accountId: string, groupId: string): Promise<boolean>;

  // Group membership
  /**
   * Adds the user to the group if the user is in fewer than `maxGroupsPerUser` groups, atomically.
   * Throws RamkeyError('EntityNotExist.User') / ('EntityNotExist.Group') when the account has no such
   * user / group, ('EntityAlreadyExists.User.Group') when the user already is a member (checked
   * before the limit), and ('LimitExceeded.User.Group') at the limit.
   */
  addUserToGroup(
    membership: { accountId: string; userId: string; groupId: string; joinedAt: number },
    maxGroupsPerUser: number,
  ): Promise<void>;
  /** Returns false when the user is not a member of that group (the caller's EntityNotExist.User.Group). */
  removeUserFromGroup(accountId: string, userId: string, groupId: string): Promise<boolean>;
  /** The groups the user belongs to, in the order it joined them. */
  listGroupsForUser(accountId: string, userId: string): Promise<GroupMembership[]>;
  /** The group's members in user name order, paged like listUsers. */
  listUsersForGroup(
    accountId: string,
    groupId: string,
    options: { after?: string; limit: number },
  ): Promise<Page<GroupMember>>;
}

/** Custom policies and their versions. */
export interface PolicyStore {
  // Custom policies and their versions. Policy names are unique per account case-insensitively and
  // are found in any case (as user and group names); records carry the name as created. Version IDs
  // that are not `v<n>` are simply not found.
  /**
   * Creates the policy with `document` as its version v1, the default, if the account has fewer than
   * `maxPolicies` custom policies, atomically. Throws RamkeyError('EntityAlreadyExists.Policy') when
   * the name is taken, and ('LimitExceeded.Policy') at the limit.
   */
  createPolicy(policy: NewPolicy, maxPolicies: number): Promise<PolicyRecord>;
  getPolicy(accountId: string, policyName: string): Promise<PolicyRecord | undefined>;
  /** Custom policies in name order (lower-cased, byte by byte), paged like listUsers. */
  listPolicies(accountId: string, options: { after?: string; limit: number }): Promise<Page<PolicyRecord>>;
  countPolicies(accountId: string): Promise<number>;
  /** Returns the updated policy, or undefined when no such policy. */
  updatePolicyDescription(
    accountId: string,
    policyName: string,
    description: string,
    now: number,
  ): Promise<PolicyRecord | undefined>;
  /**
   * Deletes the policy and its (default) version. Refuses, changing nothing, with
   * RamkeyError('DeleteConflict.Policy.User') while it is attached to a user, then
   * ('DeleteConflict.Policy.Group') while attached to a group, then ('DeleteConflict.Policy.Version')
   * while it has versions besides the default, as RAM does. Returns false when no such policy.
   */
  deletePolicy(accountId: string, policyName: string): Promise<boolean>;
  /**
   * Adds the next version (one past the highest ever issued for this policy). When the policy then
   * has more than `maxVersions` versions: refuses with RamkeyError('LimitExceeded.Policy.Version')
   * unless `rotate`, which deletes the oldest versions that were not the default before this call
   * (refusing all the same when there are none to delete). Throws ('EntityNotExist.Policy') when
   * no such policy. Atomic.
   */
  createPolicyVersion(
    accountId: string,
    policyName: string,
    version: NewPolicyVersion,
    maxVersions: number,
  ): Promise<PolicyVersionRecord>;
  getPolicyVersion(
    accountId: string,
    policyName: string,
    versionId: string,
  ): Promise<PolicyVersionRecord | undefined>;
  /** The policy's versions, oldest (v1) first; undefined when no such policy. */
  listPolicyVersions(accountId: string, policyName: string): Promise<PolicyVersionRecord[] | undefined>;
  /**
   * Makes the version the default and returns the updated policy (already the default: no change
   * but updatedAt). Throws RamkeyError('EntityNotExist.Policy') / ('EntityNotExist.Policy.Version').
   */
  setDefaultPolicyVersion(
    accountId: string,
    policyName: string,
    versionId: string,
    now: number,
  ): Promise<PolicyRecord>;
  /**
   * Deletes a version that is not the default. Throws RamkeyError('EntityNotExist.Policy'),
   * ('EntityNotExist.Policy.Version'), or ('DeleteConflict.Policy.Version.Default') for the default.
   */
  deletePolicyVersion(accountId: string, policyName: string, versionId: string, now: number): Promise<void>;
}

/** Policies attached to users and groups, and what applies to a user. */
export interface AttachmentStore {
  // Policy attachments, to users and to groups. A System policy is recorded by the name given (the
  // service checks it names a built-in policy and passes it as spelled there); a Custom one must
  // exist in the account and is recorded under its name as created.
  // Only these change a user's effective permissions: attaching and detaching, adding and removing
  // a member, and a new default version (setDefaultPolicyVersion, createPolicyVersion with
  // setAsDefault). Deleting a user, group or policy is refused while anything hangs on it, so it
  // changes none. Each reports what it changed by its return value; the caller invalidates what it
  // caches (for a policy: listEntitiesForPolicy, then listUsersForGroup, or simply the account).
  /**
   * Attaches the policy if the user has fewer than `limits[policyType]` policies of that type,
   * atomically; returns false (and keeps the first attachedAt) when it is already attached, checked
   * before the limit, so the caller decides whether that is an error. Throws
   * RamkeyError('EntityNotExist.User') when the account has no such user, ('EntityNotExist.Policy')
   * for a Custom policy the account does not have, ('LimitExceeded.User.Policy') at the limit.
   * `limits` defaults to RAM's quota; pass it.
   */
  attachPolicyToUser(attachment: PolicyAttachment, limits: PolicyAttachmentLimits): Promise<boolean>;
  /** Returns false when that policy is not attached to the user (the caller's EntityNotExist.User.Policy). */
  detachPolicyFromUser(
    accountId: string,
    userId: string,
    policyType: PolicyType,
    policyName: string,
  ): Promise<boolean>;
  /** The user's attachments, oldest first. */
  listPoliciesForUser(accountId: string, userId: string): Promise<PolicyAttachment[]>;
  /**
   * As attachPolicyToUser, for a group: RamkeyError('EntityNotExist.Group'), ('EntityNotExist.Policy'),
   * ('LimitExceeded.Group.Policy').
   */
  attachPolicyToGroup(attachment: GroupPolicyAttachment, limits: PolicyAttachmentLimits): Promise<boolean>;
  /**
   * Returns false when that policy is not attached to the group (the caller's
   * EntityNotExist.Group.Policy).
   */
  detachPolicyFromGroup(
    accountId: string,
    groupId: string,
    policyType: PolicyType,
    policyName: string,
  ): Promise<boolean>;
  /** The group's attachments, oldest first. */
  listPoliciesForGroup(accountId: string, groupId: string): Promise<GroupPolicyAttachment[]>;
  /** Who the policy is attached to; empty lists for a policy attached nowhere or unknown. */
  listEntitiesForPolicy(
    accountId: string,
    policyType: PolicyType,
    policyName: string,
  ): Promise<PolicyEntities>;
  /**
   * Every attachment that applies to the user, in one query: its own (oldest first), then its groups'
   * (by group name, oldest first within a group), each Custom one with its default version's
   * document. A policy attached several ways appears once per way. Empty for an unknown user.
   */
  loadEffectivePolicies(accountId: string, userId: string): Promise<EffectivePolicy[]>;
}

/** AccessKeys and their lifecycle (see AccessKeyState). */
export interface AccessKeyStore {
  /**
   * Inserts the key if its principal has fewer than `maxLiveKeys` live keys, atomically (two
   * concurrent creates can never both pass the check). Throws RamkeyError('LimitExceeded.User.AccessKey').
   * Throws RamkeyError('EntityNotExist.User') when `userId` names no user of the account, checked in
   * the same transaction so that a key can never be created for a user being deleted.
   */
  createAccessKey(key: NewAccessKey, maxLiveKeys: number): Promise<void>;
  /** Global lookup by ID for the gate; only live keys are returned. */
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
  /**
   * Moves a live key of the principal to the recycle bin (recycled, deletedAt = `bin.now`, its purge
   * due at `bin.purgeAt`), keeping its sealed secret so that it can be restored. When the principal
   * then has more than `bin.maxRecycledKeys` keys deleted one by one in the bin, the oldest of the
   * others are purged, atomically; their IDs are returned. Undefined when no live key with that ID
   * belongs to that principal.
   */
  recycleAccessKey(
    accountId: string,
    userId: string | null,
    accessKeyId: string,
    bin: KeyRecycling,
  ): Promise<{ purged: string[] } | undefined>;
  /** The principal's keys in the recycle bin whose purge is not due at `now`, oldest recycled first. */
  listRecycledAccessKeys(accountId: string, userId: string | null, now: number): Promise<RecycledAccessKey[]>;
  /** The account's key with that ID if it is in the recycle bin and its purge is not due at `now`. */
  getRecycledAccessKey(
    accountId: string,
    accessKeyId: string,
    now: number,
  ): Promise<RecycledAccessKey | undefined>;
  /**
   * Brings a key of the principal back from the recycle bin (unless its purge is due at `now`),
   * Inactive. Refuses, changing nothing, with RamkeyError('EntityNotExist.User') when its user is not a
   * user (it is in the bin itself), and ('LimitExceeded.User.AccessKey') when the principal would have
   * more than `maxLiveKeys` live keys, atomically. False when no such key of that principal in the bin.
   */
  restoreAccessKey(
    accountId: string,
    userId: string | null,
    accessKeyId: string,
    now: number,
    maxLiveKeys: number,
  ): Promise<boolean>;
  /**
   * Purges a key of the principal in the recycle bin (due or not): it is gone for good, its sealed
   * secret erased, its ID still taken. False when no such key of that principal in the bin.
   */
  purgeAccessKey(
    accountId: string,
    userId: string | null,
    accessKeyId: string,
    now: number,
  ): Promise<boolean>;
  /** Up to `limit` keys in the recycle bin whose purge is due at `now`, earliest first, any account. */
  listDueAccessKeys(now: number, limit: number): Promise<RecycledAccessKey[]>;
  /**
   * Up to `limit` live, Active keys, of any account, unused (or, never used, created) at least their
   * account's MaxIdleDaysForAccessKeys before `now` (`defaultMaxIdleDays` for an account that never
   * set it), oldest use first.
   */
  listIdleAccessKeys(now: number, defaultMaxIdleDays: number, limit: number): Promise<IdleAccessKey[]>;
  /**
   * Disables the key if it is still live and Active and was not used (or, never used, created) after
   * `unusedSince`; returns whether it did. A use recorded meanwhile keeps the key as it is.
   */
  disableIdleAccessKey(accessKeyId: string, unusedSince: number, now: number): Promise<boolean>;
  /**
   * The account's key with that ID in any state (the audit trail answers for purged keys too; a purged
   * key's sealed secret is empty); undefined for another account's key or an unknown ID.
   */
  findAccessKey(accountId: string, accessKeyId: string): Promise<AccessKeyRecord | undefined>;
}

/** Network access restriction policies: one per account, and one per AccessKey. */
export interface AccessKeyPolicyStore {
  /** The account-level policy (`accessKeyId` null) or the key's; undefined when never set. */
  getAccessKeyPolicy(
    accountId: string,
    accessKeyId: string | null,
  ): Promise<AccessKeyPolicyRecord | undefined>;
  /** Sets the account-level policy, replacing the one there (an upsert). */
  putAccountAccessKeyPolicy(accountId: string, document: string, now: number): Promise<void>;
  /**
   * Sets the key's policy, replacing the one there, if the key is a live key of that principal (userId
   * null = the account's root), checked in the same statement; returns false, changing nothing,
   * otherwise.
   */
  putAccessKeyPolicy(
    owner: { accountId: string; userId: string | null },
    accessKeyId: string,
    document: string,
    now: number,
  ): Promise<boolean>;
  /**
   * Every policy of the account, its own and each key's, whatever state the keys are in (a key
   * restored from the recycle bin comes back under its policy). Any order.
   */
  listAccessKeyPolicies(accountId: string): Promise<AccessKeyPolicyRecord[]>;
}

/** The audit trail, per-key usage and last use. */
export interface AuditStore {
  /**
   * Writes a batch of activity in one transaction: audit events, last-used updates (which never move
   * lastUsedAt backwards) and per-key usage counts (added to what is there).
   */
  recordActivity(batch: ActivityBatch): Promise<void>;
  /**
   * Runs `work` so that the first write transaction it commits that changes something also inserts
   * `slot.event`: a change is never committed without its event. Writes after `work` settles (timers
   * it started) are not affected.
   */
  withAuditEvent<T>(slot: AuditSlot, work: () => Promise<T>): Promise<T>;
  /** Records the outcome of an event already written (a write action that failed after its change). */
  setAuditOutcome(eventId: string, errorCode: string, errorMessage: string): Promise<void>;
  /**
   * Events matching the query, in its direction, at most `limit`, and where to go on. A call examines
   * a bounded number of events in bounded statements (a sparse filter may need several calls).
   */
  lookupAuditEvents(query: AuditEventQuery): Promise<AuditEventPage>;
  /** The account's events with these IDs (any order); IDs purged or of another account are skipped. */
  getAuditEvents(accountId: string, eventIds: readonly string[]): Promise<AuditEventRecord[]>;
  /**
   * The key's usage within the account grouped by source IP, most recent use first (ties by name),
   * at most `limit` groups after `after`: one index range per call, whatever the key's number of rows.
   */
  keyUsageByIp(accountId: string, accessKeyId: string, query: KeyUsageGroupQuery): Promise<KeyUsageGroup[]>;
  /** As keyUsageByIp, grouped by action. */
  keyUsageByEvent(
    accountId: string,
    accessKeyId: string,
    query: KeyUsageGroupQuery,
  ): Promise<KeyUsageGroup[]>;
  /** As keyUsageByIp, grouped by service (so without a service filter). */
  keyUsageByService(
    accountId: string,
    accessKeyId: string,
    query: Omit<KeyUsageGroupQuery, 'serviceName'>,
  ): Promise<KeyUsageGroup[]>;
  /** Deletes up to `limit` events older than `before` (oldest first); returns how many. */
  purgeAuditEvents(before: number, limit: number): Promise<number>;
}

/** Credential reports (one per account). */
export interface CredentialReportStore {
  /**
   * The account's principals and their live keys (without sealed secrets), in a fixed number of
   * queries whatever the number of users; undefined for an unknown account. The reads are not one
   * snapshot: a key whose user is not among `users` (created meanwhile) is to be ignored.
   */
  loadCredentialReportSource(accountId: string): Promise<CredentialReportSource | undefined>;
  /** Stores the account's report, replacing the previous one. */
  saveCredentialReport(accountId: string, generatedAt: number, content: string): Promise<void>;
  /** The account's last report; undefined when none was ever generated. */
  getCredentialReport(accountId: string): Promise<CredentialReportRecord | undefined>;
}

/**
 * The secret index: a keyed fingerprint of each key's secret, so that a secret sent where it does not
 * belong is recognised without opening any sealed secret. The store sees fingerprints only; the key
 * that makes them stays with the Sealer. An entry counts only while its key holds its secret: live,
 * or in the recycle bin (whence it may come back); "live" below means that.
 */
export interface SecretIndexStore {
  /** Fingerprints of the live keys indexed under `keyVersion` (any order). */
  listSecretFingerprints(keyVersion: number): Promise<string[]>;
  /** The live key's fingerprint under `keyVersion`; undefined when not indexed so or not live. */
  getSecretFingerprint(accessKeyId: string, keyVersion: number): Promise<string | undefined>;
  /**
   * Up to `limit` live keys with no fingerprint under `keyVersion`, in ID order, after the ID `after`
   * (exclusive; '' from the start), with their sealed secrets.
   */
  listUnindexedAccessKeys(keyVersion: number, after: string, limit: number): Promise<UnindexedAccessKey[]>;
  /** Live keys with no fingerprint under `keyVersion`. */
  countUnindexedAccessKeys(keyVersion: number): Promise<number>;
  /** Sets each key's entry (replacing one of another version); keys that are not live are skipped. */
  putSecretFingerprints(entries: readonly SecretFingerprint[]): Promise<void>;
  /** Removes the key's entry; returns the fingerprint it held, undefined when there was none. */
  deleteSecretFingerprint(accessKeyId: string): Promise<string | undefined>;
  /** Removes the entries of keys that are no longer live (left by a crash between purge and unindex). */
  pruneSecretFingerprints(): Promise<number>;
}

/** Signature nonces already used: replay protection that survives restarts and crashes. */
export interface UsedNonceStore {
  /**
   * Records the nonces in one transaction and answers, per input and in its order, true when this call
   * recorded it and false when it was recorded already (a replay). A record is identified by its
   * fingerprint and expiry together (see NonceRecord); the same record twice in one call: the first
   * is recorded, the second is a replay. Concurrent calls (in this process or another) never both
   * record the same one. Durable once the promise resolves.
   */
  recordNonces(nonces: readonly NonceRecord[]): Promise<boolean[]>;
  /**
   * Deletes up to `limit` records that expired before `before` (earliest first); returns how many.
   * A record is never forgotten otherwise: until purged it keeps refusing its nonce.
   */
  purgeNonces(before: number, limit: number): Promise<number>;
  /**
   * Readies this process to record nonces, before the first call is served: on SQLite it takes the
   * installation's nonce journal, which one process at a time may hold (rejects with
   * NonceJournalBusyError while another does), and merges what a previous process left in it.
   * Recording and purging claim it too when this was not called first.
   */
  claimNonces(): Promise<void>;
}

/**
 * Leases that keep work to one node at a time: a run's turn (idle-key disabling, once a day) or a
 * node's turn (the background jobs' runner, renewed while it lives).
 */
export interface JobLeaseStore {
  /**
   * Takes the job's lease for `holder` until `expiresAt` when nobody (`holder` included) holds it at
   * `now`, atomically across processes and nodes; returns whether it did. A lease is a run's turn, not
   * a node's: the holder itself runs again only once its lease expired.
   */
  acquireJobLease(jobName: string, holder: string, now: number, expiresAt: number): Promise<boolean>;
  /**
   * Takes the job's lease for `holder` until `expiresAt` when nobody else holds it at `now`, or
   * extends it when `holder` already does, atomically across processes and nodes; returns whether
   * `holder` holds it now. A node's turn: it keeps the lease for as long as it renews in time.
   */
  renewJobLease(jobName: string, holder: string, now: number, expiresAt: number): Promise<boolean>;
  /** Gives the lease up when `holder` holds it (expired or not), so that another may take it at once; returns whether it did. */
  releaseJobLease(jobName: string, holder: string): Promise<boolean>;
}

/** Leak response: restricted keys, leak reporters, webhooks and the notification outbox. */
export interface LeakResponseStore {
  /**
   * Restricts a live key unless it already is, and queues `notification` in the same transaction
   * (with the request's audit event, see withAuditEvent). Answers the restriction in force and
   * whether this call created it; undefined when the key is not live.
   */
  restrictAccessKey(
    restriction: KeyRestrictionRecord,
    notification: NotificationRecord,
  ): Promise<{ restriction: KeyRestrictionRecord; created: boolean } | undefined>;
  /** The restrictions of those of the keys that have one (any order). */
  getKeyRestrictions(accessKeyIds: readonly string[]): Promise<KeyRestrictionRecord[]>;
  /** The live key whose secret has this fingerprint under `keyVersion` (see SecretIndexStore). */
  findAccessKeyIdByFingerprint(keyVersion: number, fingerprint: string): Promise<string | undefined>;
  /** Adds a reporter; false when one of that name exists. */
  addLeakReporter(reporter: LeakReporterRecord): Promise<boolean>;
  getLeakReporter(reporterName: string): Promise<LeakReporterRecord | undefined>;
  /** Every reporter, by name. */
  listLeakReporters(): Promise<LeakReporterRecord[]>;
  /** False when there was none of that name. */
  deleteLeakReporter(reporterName: string): Promise<boolean>;
  /** Sets (or replaces) the account's webhook. */
  setAccountWebhook(webhook: WebhookRecord): Promise<void>;
  getAccountWebhook(accountId: string): Promise<WebhookRecord | undefined>;
  /** False when there was none. */
  deleteAccountWebhook(accountId: string): Promise<boolean>;
  /** The account's notifications, newest first, at most `limit`. */
  listNotifications(accountId: string, limit: number): Promise<NotificationRecord[]>;
  /** Undelivered notifications due at `now`, earliest due first, at most `limit`. */
  dueNotifications(now: number, limit: number): Promise<NotificationRecord[]>;
  markNotificationDelivered(notificationId: string, at: number): Promise<void>;
  /** Records a failed attempt and when to try again. */
  markNotificationFailed(notificationId: string, nextAttemptAt: number, error: string): Promise<void>;
}

/** Resource directories: accounts grouped under a management account. */
export interface DirectoryStore {
  /** Puts the account in the management account's directory; false when it is in one already. */
  putDirectoryAccount(record: DirectoryAccountRecord): Promise<boolean>;
  getDirectoryAccount(accountId: string): Promise<DirectoryAccountRecord | undefined>;
  /** Every account of the directory (the management account's own row included), by account ID. */
  listDirectoryAccounts(managementAccountId: string): Promise<DirectoryAccountRecord[]>;
  /** Every account in any directory, by management account then account ID. */
  listAllDirectoryAccounts(): Promise<DirectoryAccountRecord[]>;
  /** False when the account was in no directory. */
  removeDirectoryAccount(accountId: string): Promise<boolean>;
  /** The account owning the key, whatever its state; undefined for an ID never issued. */
  accountOfAccessKey(accessKeyId: string): Promise<string | undefined>;
}

/**
 * Custom services: an account's own (`accountId`), or the installation's global ones (`accountId`
 * null), each with the (host, path prefix) pairs it claims. Names are unique within a scope; an
 * account's service may share its name with a global one (and shadows it for that account).
 */
export interface ServiceStore {
  /**
   * Creates the service with the pairs it claims if its scope has fewer than `maxServices` services,
   * atomically. Throws RamkeyError('EntityAlreadyExists.Service') when the name is taken in the
   * scope, ('EntityAlreadyExists.Service.Route', params: the other service, host, path prefix) when
   * another service of the scope claims one of the pairs, ('LimitExceeded.Service') at the limit.
   */
  createService(
    service: ServiceRecord,
    routes: readonly ServiceRouteClaim[],
    maxServices: number,
  ): Promise<ServiceRecord>;
  getService(accountId: string | null, serviceName: string): Promise<ServiceRecord | undefined>;
  /** The scope's services in name order (byte by byte), paged like listPolicies. */
  listServices(
    accountId: string | null,
    options: { after?: string; limit: number },
  ): Promise<Page<ServiceRecord>>;
  /** Every service of the scope in name order: what resolution compiles (a scope holds at most its quota). */
  loadServices(accountId: string | null): Promise<ServiceRecord[]>;
  countServices(accountId: string | null): Promise<number>;
  /**
   * Applies the patch and returns the updated service (its updatedAt `now`); a new document replaces
   * the pairs the service claims, atomically. Undefined when no such service. Throws
   * RamkeyError('EntityAlreadyExists.Service.Route') as createService does.
   */
  updateService(
    accountId: string | null,
    serviceName: string,
    patch: ServicePatch,
    now: number,
  ): Promise<ServiceRecord | undefined>;
  /** Deletes the service and the pairs it claims; false when there was no such service. */
  deleteService(accountId: string | null, serviceName: string): Promise<boolean>;
}

/**
 * RAM login profiles (keyed by user ID: a profile stays while its user is in the recycle bin and is
 * purged with it) and each account's password policy.
 */
export interface LoginProfileStore {
  /** Adds the user's profile; false when it already has one. */
  createLoginProfile(profile: LoginProfileRecord): Promise<boolean>;
  getLoginProfile(accountId: string, userId: string): Promise<LoginProfileRecord | undefined>;
  /** Replaces the user's profile (all but createdAt); false when it has none. */
  updateLoginProfile(profile: LoginProfileRecord): Promise<boolean>;
  /** False when the user has no profile. */
  deleteLoginProfile(accountId: string, userId: string): Promise<boolean>;
  /** The account's policy; undefined when none was ever set (the default applies). */
  getPasswordPolicy(accountId: string): Promise<PasswordPolicyRecord | undefined>;
  setPasswordPolicy(accountId: string, policy: PasswordPolicyRecord): Promise<void>;
}

/** Console sessions, the failed sign-ins that lock a login name, and where users last passed MFA. */
export interface ConsoleSessionStore {
  createConsoleSession(session: ConsoleSessionRecord): Promise<void>;
  getConsoleSession(tokenHash: string): Promise<ConsoleSessionRecord | undefined>;
  /** Moves the session's last activity forward (never back); false when it is gone. */
  touchConsoleSession(tokenHash: string, at: number): Promise<boolean>;
  deleteConsoleSession(tokenHash: string): Promise<boolean>;
  setConsoleSessionPasswordVerifiedAt(tokenHash: string, at: number): Promise<void>;
  /** Deletes sessions idle since before `before`; returns how many. */
  purgeConsoleSessions(before: number): Promise<number>;
  getSigninFailures(loginKey: string): Promise<SigninFailureRecord | undefined>;
  /**
   * Counts one failure atomically: a count whose window (`windowMs` from its first failure) has
   * passed starts again at 1; reaching `maxFailures` (0: never) locks the name until `at + lockMs`.
   * Returns the record as it now is.
   */
  recordSigninFailure(
    accountId: string,
    loginKey: string,
    at: number,
    rule: { windowMs: number; maxFailures: number; lockMs: number },
  ): Promise<SigninFailureRecord>;
  clearSigninFailures(loginKey: string): Promise<void>;
  /** Notes that the user passed MFA at sign-in from `sourceIp` at `at` (a later time is never moved back). */
  recordMfaSource(accountId: string, userId: string, sourceIp: string, at: number): Promise<void>;
  /** When the user last passed MFA at sign-in from `sourceIp`; undefined if never (or purged). */
  getMfaSourceVerifiedAt(accountId: string, userId: string, sourceIp: string): Promise<number | undefined>;
  /** Forgets the sources last verified before `before`; returns how many. */
  purgeMfaSources(before: number): Promise<number>;
}

/** What BindMFADevice found when it could not bind. */
export type MfaBindRefusal = 'no-device' | 'no-user' | 'device-bound' | 'user-bound';

/**
 * Virtual MFA devices (names unique per account regardless of case) and their binding to users (at
 * most one each). Binding takes the user's principal lock, as deleting the user does, so a user is
 * never deleted while a device is being bound to it.
 */
export interface MfaDeviceStore {
  /**
   * Adds an unbound device; false when the account has one of that name. Throws
   * RamkeyError('LimitExceeded.VirtualMFADevice') when the account already has `quota` devices.
   */
  createVirtualMfaDevice(device: VirtualMfaDeviceRecord, quota: number): Promise<boolean>;
  getVirtualMfaDevice(accountId: string, deviceName: string): Promise<VirtualMfaDeviceRecord | undefined>;
  /** The device bound to the user, if any. */
  getUserMfaDevice(accountId: string, userId: string): Promise<VirtualMfaDeviceRecord | undefined>;
  /** The account's devices in name order (lower-cased); `after` is a marker from a previous page. */
  listVirtualMfaDevices(
    accountId: string,
    options: { after?: string; limit: number },
  ): Promise<Page<VirtualMfaDeviceSummary>>;
  /** Binds the unbound device to the user (a live one, with no device yet) and records `step` as used. */
  bindMfaDevice(
    accountId: string,
    deviceName: string,
    userId: string,
    boundAt: number,
    step: number,
  ): Promise<MfaBindRefusal | undefined>;
  /** Unbinds the user's device and returns its name; undefined when the user had none. */
  unbindMfaDevice(accountId: string, userId: string): Promise<string | undefined>;
  /** Deletes an unbound device: 'deleted', 'missing', or 'bound' (refused). */
  deleteVirtualMfaDevice(accountId: string, deviceName: string): Promise<'deleted' | 'missing' | 'bound'>;
  /**
   * Records `step` as the last one used by the user's device `deviceName`, only if it is later than
   * the one recorded: false when that is not the user's device or the step (or a later one) was already used. One
   * conditional UPDATE, so two nodes accepting the same code race and exactly one wins.
   */
  acceptMfaStep(accountId: string, userId: string, deviceName: string, step: number): Promise<boolean>;
  /** How many devices the account has, and how many of them are bound. */
  countMfaDevices(accountId: string): Promise<{ devices: number; inUse: number }>;
}

/** Every aggregate, over one database. */
export interface Store
  extends
    AccountStore,
    UserStore,
    GroupStore,
    PolicyStore,
    AttachmentStore,
    AccessKeyStore,
    AccessKeyPolicyStore,
    AuditStore,
    CredentialReportStore,
    LoginProfileStore,
    ConsoleSessionStore,
    MfaDeviceStore,
    SecretIndexStore,
    UsedNonceStore,
    JobLeaseStore,
    LeakResponseStore,
    DirectoryStore,
    ServiceStore {
  readonly capabilities: StoreCapabilities;

  /** Creates or upgrades the schema. Idempotent. */
  migrate(): Promise<void>;
  /** The cheapest round trip to the database (`select 1`), for readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
