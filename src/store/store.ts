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

/** ActionTrail's userIdentity.type; empty when the call named no known key. */
export type AuditPrincipalType = 'root-account' | 'ram-user' | '';

/** One API call, as the audit trail keeps it (ActionTrail's event fields, flattened). */
export interface AuditEventRecord {
  eventId: string;
  eventTime: number;
  /** The account of the key the call named; null when it named no known key (operators only). */
  accountId: string | null;
  /** The key the call named, even one whose signature failed; '' when it named none. */
  accessKeyId: string;
  principalType: AuditPrincipalType;
  /** The user ID, or the account ID for root; '' when unknown. */
  principalId: string;
  /** The RAM user's name, `root` for the account, '' when unknown. */
  userName: string;
  eventName: string;
  eventRw: 'Read' | 'Write';
  serviceName: string;
  apiVersion: string;
  /** The host the call was sent to. */
  eventSource: string;
  requestId: string;
  sourceIp: string;
  userAgent: string;
  /** '' for a call that succeeded. */
  errorCode: string;
  errorMessage: string;
  /** The request's parameters, without signatures, secrets or passwords (see core/audit). */
  requestParameters: Readonly<Record<string, string>>;
}

/**
 * An event to be committed with the change it records: the first write transaction committed while
 * Store.withAuditEvent runs inserts it, and sets `written`.
 */
export interface AuditSlot {
  readonly event: AuditEventRecord;
  written: boolean;
}

/** What one flush adds to a key's usage for one (service, action, source IP). */
export interface KeyUsageUpdate {
  accessKeyId: string;
  accountId: string;
  serviceName: string;
  eventName: string;
  sourceIp: string;
  firstUsedAt: number;
  lastUsedAt: number;
  callCount: number;
  /** The event of the latest of these calls (ActionTrail's `Detail`). */
  lastEventId: string;
}

/** A key's usage for one (service, action, source IP), as accumulated so far. */
export type KeyUsageRecord = KeyUsageUpdate;

/** Everything the usage recorder writes at once, in one transaction. */
export interface ActivityBatch {
  events: readonly AuditEventRecord[];
  lastUsed: readonly LastUsedUpdate[];
  keyUsage: readonly KeyUsageUpdate[];
}

export interface AuditEventQuery {
  /** null selects the events recorded against no account. */
  accountId: string | null;
  /** Inclusive bounds, ms. */
  startTime: number;
  endTime: number;
  accessKeyId?: string;
  eventName?: string;
  serviceName?: string;
  userName?: string;
  eventRw?: 'Read' | 'Write';
  eventId?: string;
  /** BACKWARD: newest first (ActionTrail's default); FORWARD: oldest first. */
  direction: 'BACKWARD' | 'FORWARD';
  /** Continue after this event (the last one of the previous page). */
  after?: { eventTime: number; eventId: string };
  limit: number;
}

export type PolicyType = 'System' | 'Custom';

/** A policy attached to a user. */
export interface PolicyAttachment {
  accountId: string;
  userId: string;
  policyType: PolicyType;
  /** For a Custom policy, its name as created (whatever case the caller attached it with). */
  policyName: string;
  attachedAt: number;
}

/** A policy attached to a group. */
export interface GroupPolicyAttachment {
  accountId: string;
  groupId: string;
  policyType: PolicyType;
  /** For a Custom policy, its name as created (whatever case the caller attached it with). */
  policyName: string;
  attachedAt: number;
}

/** How many policies of each type one user, or one group, may have attached. */
export type PolicyAttachmentLimits = Readonly<Record<PolicyType, number>>;

/** RAM's quota: 20 System and 10 Custom policies per user and per group (reference section 6.2). */
export const RAM_POLICY_ATTACHMENT_LIMITS: PolicyAttachmentLimits = { System: 20, Custom: 10 };

export interface GroupRecord {
  accountId: string;
  /** Generated by the service, unique installation-wide. */
  groupId: string;
  groupName: string;
  comments: string;
  createdAt: number;
  updatedAt: number;
}

export type GroupPatch = Partial<Pick<GroupRecord, 'groupName' | 'comments'>> & { updatedAt: number };

/** One group a user belongs to. */
export interface GroupMembership {
  group: GroupRecord;
  joinedAt: number;
}

/** One member of a group. */
export interface GroupMember {
  user: UserRecord;
  joinedAt: number;
}

/** A custom policy (system policies are built into the code; the store only records their attachments). */
export interface PolicyRecord {
  accountId: string;
  /** As created; names are unique per account case-insensitively, and found in any case. */
  policyName: string;
  description: string;
  /** `v1`, `v2`, ... */
  defaultVersion: string;
  /** Users and groups it is attached to. */
  attachmentCount: number;
  createdAt: number;
  /** The last change to the policy or its versions (a version created or deleted, a new default). */
  updatedAt: number;
}

export interface NewPolicy {
  accountId: string;
  policyName: string;
  description: string;
  /** The document of version v1, which becomes the default. The store keeps the text as given. */
  document: string;
  createdAt: number;
}

export interface PolicyVersionRecord {
  accountId: string;
  /** The policy's name as created. */
  policyName: string;
  /** `v1`, `v2`, ...: numbered per policy, never reused within it, even after a version is deleted. */
  versionId: string;
  document: string;
  isDefault: boolean;
  createdAt: number;
}

export interface NewPolicyVersion {
  document: string;
  setAsDefault: boolean;
  /**
   * At the version limit: true deletes the oldest version that is not the default (the default as it
   * was before this call, so the previous default survives as a way back); false refuses.
   */
  rotate: boolean;
  createdAt: number;
}

/** The users and groups one policy is attached to, oldest attachment first. */
export interface PolicyEntities {
  users: { user: UserRecord; attachedAt: number }[];
  groups: { group: GroupRecord; attachedAt: number }[];
}

/** One attachment that applies to a user, for the authorizer. */
export interface EffectivePolicy {
  policyType: PolicyType;
  policyName: string;
  /** The default version's document: present for every Custom policy, absent for System ones. */
  document?: string;
  /** Attached to the user itself, or to a group it belongs to (named as the group is now). */
  via: 'user' | { group: string };
}

export interface SecurityPreference {
  /** Whether RAM users may manage their own AccessKeys. Default false. */
  allowUserToManageAccessKeys: boolean;
  /** Days a key may go unused before it is disabled. Default 730. */
  maxIdleDaysForAccessKeys: number;
}

export const DEFAULT_SECURITY_PREFERENCE: Readonly<SecurityPreference> = {
  allowUserToManageAccessKeys: false,
  maxIdleDaysForAccessKeys: 730,
};

/** An AccessKey as the credential report shows it: everything but the sealed secret. */
export type AccessKeySummary = Omit<AccessKeyRecord, 'sealedSecret'>;

/** Everything a credential report is built from, read in one go. */
export interface CredentialReportSource {
  accountId: string;
  /** When the account (its root identity) was created. */
  accountCreatedAt: number;
  /** Every user of the account, in name order (as listUsers). */
  users: UserRecord[];
  /** The live keys of the account, root's and every user's, oldest first. */
  accessKeys: AccessKeySummary[];
}

/** The last credential report generated for an account. */
export interface CredentialReportRecord {
  accountId: string;
  generatedAt: number;
  /** The whole report, CSV. */
  content: string;
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
   * Deletes the user, as RAM does only once nothing hangs on it. Refuses, changing nothing, with
   * RamkeyError('DeleteConflict.User.AccessKey') while it has live AccessKeys, then
   * ('DeleteConflict.User.Group') while it belongs to a group, then ('DeleteConflict.User.Policy')
   * while policies are attached to it, all checked atomically with the delete. Returns false when no
   * such user.
   */
  deleteUser(accountId: string, userId: string): Promise<boolean>;

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
  attachPolicyToUser(attachment: PolicyAttachment, limits?: PolicyAttachmentLimits): Promise<boolean>;
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

  // Security preferences (one set per account)
  /** The account's preferences, DEFAULT_SECURITY_PREFERENCE for what was never set. */
  getSecurityPreference(accountId: string): Promise<SecurityPreference>;
  /** Applies the patch (an upsert) and returns the resulting preferences. */
  setSecurityPreference(accountId: string, patch: Partial<SecurityPreference>): Promise<SecurityPreference>;

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
  /**
   * The account's key with that ID, live or deleted (the audit trail answers for deleted keys too);
   * undefined for another account's key or an unknown ID.
   */
  findAccessKey(accountId: string, accessKeyId: string): Promise<AccessKeyRecord | undefined>;

  // Usage and the audit trail
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
  /** Events matching the query, in its direction, at most `limit`. */
  lookupAuditEvents(query: AuditEventQuery): Promise<AuditEventRecord[]>;
  /** The account's events with these IDs (any order); IDs purged or of another account are skipped. */
  getAuditEvents(accountId: string, eventIds: readonly string[]): Promise<AuditEventRecord[]>;
  /** The key's usage rows within the account, most recent use first. */
  listKeyUsage(accountId: string, accessKeyId: string): Promise<KeyUsageRecord[]>;
  /** Deletes up to `limit` events older than `before` (oldest first); returns how many. */
  purgeAuditEvents(before: number, limit: number): Promise<number>;

  // Credential reports (one per account)
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
