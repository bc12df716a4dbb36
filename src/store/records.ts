// The store's record and value types: what every Store aggregate (see store.ts) takes and returns.
//
// Instants are milliseconds since the epoch (numbers). The store only ever sees sealed secrets (see
// sealer.ts); it cannot decrypt them.
import type { PasswordPolicy } from '../core/identity/password-policy.js';

export type AccessKeyStatus = 'Active' | 'Inactive';

export interface AccountRecord {
  accountId: string;
  loginName: string;
  /** scrypt hash of the console password, `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`. */
  passwordHash: string;
  createdAt: number;
}

/** An account as the operator's listing shows it: what it holds, counted, and never a secret. */
export interface AccountOverview {
  accountId: string;
  loginName: string;
  createdAt: number;
  users: number;
  /** Live AccessKeys (the recycle bin's are not counted), the root's included. */
  liveAccessKeys: number;
  hasRootAccessKey: boolean;
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

/**
 * Where an AccessKey is in its life. `live`: it authenticates (if Active) and counts against its
 * principal's limit. `recycled`: deleted into the recycle bin: it authenticates nothing and counts
 * toward no limit, but keeps its sealed secret and can be restored (Inactive) until its purge is due.
 * `purged`: gone for good, its sealed secret erased; the row stays so that the ID is never issued
 * again and the audit trail can still name its owner.
 */
export type AccessKeyState = 'live' | 'recycled' | 'purged';

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
  state: AccessKeyState;
  /** When the key left the live state; null while live. Only findAccessKey returns such a key. */
  deletedAt: number | null;
}

/**
 * A key to create: it starts live (`deletedAt` null), so the state is not the caller's to give. The
 * sealed secret is required here and erased when the key is purged.
 */
export type NewAccessKey = Omit<AccessKeyRecord, 'state'>;

/** A key in the recycle bin, as the bin's actions show it. */
export interface RecycledAccessKey {
  accessKeyId: string;
  accountId: string;
  /** null for a root key. */
  userId: string | null;
  createdAt: number;
  /** When it was deleted into the bin (IMS RecycleDate). */
  recycledAt: number;
  /** When it is purged for good (IMS DeleteDate). */
  purgeAt: number;
  /** True when it went to the bin because its user did: it comes back with the user. */
  withUser: boolean;
}

/** A RAM user in the recycle bin: the user as it was, and when it was recycled and is purged. */
export interface RecycledUserRecord extends UserRecord {
  recycledAt: number;
  purgeAt: number;
}

/** When something moves to the recycle bin, and when its purge falls due. */
export interface RecycleBinEntry {
  now: number;
  purgeAt: number;
}

/** Moving one key to the recycle bin: when, until when, and how many a principal may have there. */
export interface KeyRecycling extends RecycleBinEntry {
  /**
   * Keys deleted one by one that a principal may have in the bin; the oldest beyond it are purged.
   * Keys that went with their user do not count.
   */
  maxRecycledKeys: number;
}

/** A live, Active key that went unused for at least its account's MaxIdleDaysForAccessKeys. */
export interface IdleAccessKey {
  accessKeyId: string;
  accountId: string;
  userId: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  /** The account's MaxIdleDaysForAccessKeys when the key was found. */
  maxIdleDays: number;
}

export interface LastUsedUpdate {
  accessKeyId: string;
  lastUsedAt: number;
  lastUsedService: string;
  lastUsedIp: string;
}

/**
 * ActionTrail's userIdentity.type; empty when the call named no known key. `system`: Ramkey itself
 * (a maintenance job: the recycle bin's purge, idle-key disabling; a leak report), not a call; the
 * event's userName says which.
 */
export type AuditPrincipalType = 'root-account' | 'ram-user' | 'system' | '';

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
  /**
   * How many calls the event stands for; absent means 1. Calls that fail to authenticate are
   * aggregated per source, key and error between two flushes (see UsageRecorder).
   */
  callCount?: number;
  /**
   * Set when a network access policy in Audit mode would have denied the call (it was not refused for
   * it): the level of that policy. Absent otherwise.
   */
  accessKeyPolicyAudit?: 'AccessKey' | 'Account';
  /** What kind of event (ActionTrail's eventType); absent for an API call (`ApiCall`). */
  eventType?: ConsoleEventType;
}

/** ActionTrail's event types for what is done in the console. */
export type ConsoleEventType = 'ConsoleOperation' | 'ConsoleSignin' | 'ConsoleSignout';

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

/** A key's usage summed over one source IP, action or service: its rows of (service, action, IP). */
export interface KeyUsageGroup {
  /** The source IP, action or service. */
  name: string;
  firstUsedAt: number;
  lastUsedAt: number;
  callCount: number;
  /** The event of the group's latest call. */
  lastEventId: string;
}

/** A place in the order groups are listed in: most recent use first, then by name. */
export interface KeyUsagePosition {
  lastUsedAt: number;
  name: string;
}

export interface KeyUsageGroupQuery {
  /** Only calls to this service; every service without one. */
  serviceName?: string;
  /** Continue after this group (the last of the previous page). */
  after?: KeyUsagePosition;
  limit: number;
}

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
  /** Only events of calls an Audit-mode network access policy would have denied. */
  accessKeyPolicyAudit?: true;
  /** BACKWARD: newest first (ActionTrail's default); FORWARD: oldest first. */
  direction: 'BACKWARD' | 'FORWARD';
  /** Continue after this position (a page's `next`). */
  after?: AuditPosition;
  limit: number;
}

/** A place in the trail's order, (time, event ID): an event's, or where a scan stopped. */
export interface AuditPosition {
  eventTime: number;
  eventId: string;
}

/**
 * One call's worth of a lookup. A call examines a bounded number of events, so a sparse filter may
 * answer fewer than `limit` events (even none) before the range ends: `next` then says where to go on.
 */
export interface AuditEventPage {
  /** At most `limit` events, in the query's order. */
  events: AuditEventRecord[];
  /**
   * Where the next call continues (as `after`), absent once the range is exhausted: the last event
   * when the page is full (more may follow), else the last position examined, which need not match.
   */
  next?: AuditPosition;
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

/** IMS MFAOperationForLogin: when console sign-in asks for an MFA code. */
export type MfaOperationForLogin = 'mandatory' | 'independent' | 'adaptive';

export interface SecurityPreference {
  /** Whether RAM users may manage their own AccessKeys. Default false. */
  allowUserToManageAccessKeys: boolean;
  /** Days a key may go unused before it is disabled. Default 730. */
  maxIdleDaysForAccessKeys: number;
  /** Hours a console session lasts, 1 to 24. Default 6. */
  loginSessionDuration: number;
  /** Normalised masks console sign-in is allowed from (core/network/login-network-masks.ts); '' = anywhere. */
  loginNetworkMasks: string;
  /** Whether RAM users may change their own console password (ChangePassword). Default true. */
  allowUserToChangePassword: boolean;
  /** Whether console sign-in may remember a passed MFA check for 7 days. Default false. */
  enableSaveMFATicket: boolean;
  /** Whether RAM users may manage their own MFA devices. Default true. */
  allowUserToManageMFADevices: boolean;
  /**
   * 'mandatory': every RAM user signing in must pass MFA; 'independent' (default): users with a
   * bound device must; 'adaptive': only unusual sign-ins must.
   */
  mfaOperationForLogin: MfaOperationForLogin;
}

export const DEFAULT_SECURITY_PREFERENCE: Readonly<SecurityPreference> = {
  allowUserToManageAccessKeys: false,
  maxIdleDaysForAccessKeys: 730,
  loginSessionDuration: 6,
  loginNetworkMasks: '',
  allowUserToChangePassword: true,
  enableSaveMFATicket: false,
  allowUserToManageMFADevices: true,
  mfaOperationForLogin: 'independent',
};

/**
 * A virtual MFA device (TOTP). Its seed is sealed (AAD: the serial number) and opened only to check
 * a code; `userId` is null while the device is bound to nobody.
 */
export interface VirtualMfaDeviceRecord {
  accountId: string;
  /** VirtualMFADeviceName as created; unique in the account regardless of case. */
  deviceName: string;
  sealedSeed: string;
  userId: string | null;
  boundAt: number | null;
  /** The last TOTP time step accepted for it (bind or sign-in); a code of that step or an earlier one is refused. */
  lastUsedStep: number | null;
  createdAt: number;
}

/** A device as ListVirtualMFADevices shows it: no seed, the bound user's names. */
export interface VirtualMfaDeviceSummary {
  deviceName: string;
  createdAt: number;
  boundAt: number | null;
  user: { userId: string; userName: string; displayName: string } | null;
}

/** A live AccessKey as the credential report shows it: everything but the sealed secret and the state. */
export type AccessKeySummary = Omit<AccessKeyRecord, 'sealedSecret' | 'state'>;

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

/** One live key's entry in the secret index (see SecretIndexStore). */
export interface SecretFingerprint {
  accessKeyId: string;
  /** The master key version the index key that made the fingerprint derives from. */
  keyVersion: number;
  /** The keyed hash of the key's secret (Sealer.fingerprint); never the secret. */
  fingerprint: string;
}

/** A live key whose secret the index does not hold under the current version: to fingerprint. */
export interface UnindexedAccessKey {
  accessKeyId: string;
  sealedSecret: string;
}

/** A signature nonce used by an admitted request, as the store keeps it (see UsedNonceStore). */
export interface NonceRecord {
  /**
   * 32 lower-case hex digits (128 bits): a hash of the AccessKey ID and the nonce. The nonce itself
   * is never stored.
   */
  fingerprint: string;
  /** When the request leaves the time window (its timestamp + the window), ms. */
  expiresAt: number;
}

/**
 * A network access restriction policy (an AccessKeyPolicy document, see core/network) as stored: the
 * account's own, or one key's.
 */
export interface AccessKeyPolicyRecord {
  accountId: string;
  /** The key the policy is for; null for the account-level policy. */
  accessKeyId: string | null;
  /** The document as the API returns it (serializeAccessKeyPolicy); the store keeps it as opaque text. */
  document: string;
  updatedAt: number;
}

/** A key marked as suspected leaked (restrictive protection). Never lifted: the key is rotated away. */
export interface KeyRestrictionRecord {
  accessKeyId: string;
  accountId: string;
  restrictedAt: number;
  /** Why, as the reporter put it. */
  reason: string;
  /** Who: `user:<principal>`, `leak-report:<reporter>` or `scanner:<reporter>`. */
  reporter: string;
}

/** A party allowed to send leak reports, with its HMAC secret sealed. */
export interface LeakReporterRecord {
  reporterName: string;
  sealedSecret: string;
  createdAt: number;
}

/** Where an account's notifications are POSTed, with the secret they are signed with (sealed). */
export interface WebhookRecord {
  accountId: string;
  url: string;
  sealedSecret: string;
  updatedAt: number;
}

/** One notification in the outbox: delivered at least once to the account's webhook, if any. */
export interface NotificationRecord {
  /** Also the idempotency key receivers deduplicate by. */
  notificationId: string;
  accountId: string;
  kind: 'AccessKeyRestricted';
  /** The notification's body, JSON. */
  payload: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  deliveredAt: number | null;
  lastError: string;
}

/** An account's place in a resource directory. */
export interface DirectoryAccountRecord {
  accountId: string;
  /** The directory's management account (the account itself for the management account). */
  managementAccountId: string;
  joinedAt: number;
}

/**
 * A custom service: a platform team's own API, described by a service document (checked by the
 * services layer with core/service-definition before it is stored).
 */
export interface ServiceRecord {
  /** The account the service belongs to; null for a global service, which applies to every account. */
  accountId: string | null;
  /** The service code (lower case): its actions' policy prefix and its audit events' serviceName. */
  serviceName: string;
  description: string;
  /** The service document as sent (GetService returns it verbatim). */
  document: string;
  createdAt: number;
  updatedAt: number;
}

/** A (host, path prefix) pair a service claims; '' stands for any host, or any path. */
export interface ServiceRouteClaim {
  host: string;
  pathPrefix: string;
}

/** What UpdateService changes; a new document comes with the routes it claims. */
export interface ServicePatch {
  document?: { text: string; routes: readonly ServiceRouteClaim[] };
  description?: string;
}

/** A RAM user's console login: its password only as a scrypt hash (see core/keys/password.ts). */
export interface LoginProfileRecord {
  accountId: string;
  userId: string;
  passwordHash: string;
  /** The hashes the current one replaced, newest first (as many as reuse prevention may need). */
  previousPasswordHashes: string[];
  passwordResetRequired: boolean;
  mfaBindRequired: boolean;
  createdAt: number;
  updatedAt: number;
  /** When the password was last set (MaxPasswordAge counts from here). */
  passwordChangedAt: number;
}

/** A console session. Its token is never stored: only the token's SHA-256 (`tokenHash`). */
export interface ConsoleSessionRecord {
  tokenHash: string;
  /** The session's public name (audit events, logs); not a credential. */
  sessionId: string;
  accountId: string;
  /** Undefined for the account's root identity. */
  userId: string | undefined;
  /** Whether the sign-in passed an MFA check (`acs:MFAPresent`). */
  mfaPresent: boolean;
  createdAt: number;
  lastSeenAt: number;
  /** When the session last proved it knew the password (a later password change ends it). */
  passwordVerifiedAt: number;
}

/** Failed sign-ins of one login name since `firstFailedAt`, and the end of its lockout (0: none). */
export interface SigninFailureRecord {
  failures: number;
  firstFailedAt: number;
  lockedUntil: number;
}

/** An account's password policy (RAM SetPasswordPolicy). */
export type PasswordPolicyRecord = PasswordPolicy;
