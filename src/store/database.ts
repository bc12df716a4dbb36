// Database: the table shapes Kysely types its queries with (snake_case, as the migrations create them).
//
// Instants are bigint milliseconds in the database and numbers here: SQLite returns INTEGER as a
// number, and the PostgreSQL pool parses int8 into a number (see postgres-store.ts).
import type { Generated } from 'kysely';

export interface AccountsTable {
  account_id: string;
  login_name: string;
  password_hash: string;
  created_at: number;
}

export interface UsersTable {
  account_id: string;
  user_id: string;
  user_name: string;
  /** user_name lower-cased by the store: the unique index on it makes names case-insensitively unique. */
  user_name_key: string;
  display_name: string;
  email: string;
  mobile_phone: string;
  comments: string;
  created_at: number;
  updated_at: number;
}

export interface UserPoliciesTable {
  account_id: string;
  user_id: string;
  policy_type: string;
  policy_name: string;
  attached_at: number;
}

export interface GroupsTable {
  account_id: string;
  group_id: string;
  group_name: string;
  /** group_name lower-cased by the store, unique per account (see users.user_name_key). */
  group_name_key: string;
  comments: string;
  created_at: number;
  updated_at: number;
}

export interface GroupMembersTable {
  account_id: string;
  group_id: string;
  user_id: string;
  joined_at: number;
}

export interface GroupPoliciesTable {
  account_id: string;
  group_id: string;
  policy_type: string;
  policy_name: string;
  attached_at: number;
}

export interface PoliciesTable {
  account_id: string;
  /** As created; attachments and versions refer to a custom policy by this exact name. */
  policy_name: string;
  /** policy_name lower-cased by the store, unique per account. */
  policy_name_key: string;
  description: string;
  /** The number n of the default version `v<n>`. */
  default_version: number;
  /** The highest version number ever issued for this policy, so that none is issued twice. */
  last_version: number;
  created_at: number;
  updated_at: number;
}

export interface PolicyVersionsTable {
  account_id: string;
  policy_name: string;
  version_number: number;
  document: string;
  created_at: number;
}

export interface SecurityPreferencesTable {
  account_id: string;
  /** 0 or 1: SQLite has no boolean type (and better-sqlite3 binds no booleans). */
  allow_user_to_manage_access_keys: number;
  max_idle_days_for_access_keys: number;
  login_session_duration: Generated<number>;
  login_network_masks: Generated<string>;
  allow_user_to_change_password: Generated<number>;
  enable_save_mfa_ticket: Generated<number>;
  allow_user_to_manage_mfa_devices: Generated<number>;
  mfa_operation_for_login: Generated<string>;
}

export interface VirtualMfaDevicesTable {
  account_id: string;
  device_name: string;
  /** Lower-cased device_name: names are unique in an account regardless of case. */
  device_name_key: string;
  sealed_seed: string;
  user_id: string | null;
  bound_at: number | null;
  last_used_step: number | null;
  created_at: number;
}

export interface AccessKeysTable {
  access_key_id: string;
  account_id: string;
  user_id: string | null;
  status: string;
  /** An AccessKeyState; the store tests it only through isLiveKey (see access-key-state.ts). */
  state: string;
  /** Empty once the key is purged. */
  sealed_secret: string;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  last_used_service: string | null;
  last_used_ip: string | null;
  /** When the key left the live state. */
  deleted_at: number | null;
  /** When a recycled key is purged for good (its DeleteDate); null in every other state. */
  purge_at: number | null;
  /** 1 when the key went to the recycle bin with its user (it comes back with the user), else 0. */
  recycled_with_user: Generated<number>;
}

/** A user in the recycle bin: its users row as it was, and when it was recycled and is purged. */
export interface RecycledUsersTable extends UsersTable {
  recycled_at: number;
  purge_at: number;
}

/** Which node runs a maintenance job, until when. */
export interface JobLeasesTable {
  job_name: string;
  holder: string;
  expires_at: number;
}

export interface AuditEventsTable {
  event_id: string;
  event_time: number;
  /** null for a call whose key (or lack of one) names no account: operators see it, no tenant does. */
  account_id: string | null;
  access_key_id: string;
  principal_type: string;
  principal_id: string;
  user_name: string;
  event_name: string;
  event_rw: string;
  service_name: string;
  api_version: string;
  event_source: string;
  request_id: string;
  source_ip: string;
  user_agent: string;
  error_code: string;
  error_message: string;
  /** JSON object of the request's parameters, secrets and signatures removed. */
  request_parameters: string;
  /** How many calls the event stands for (more than 1 only for aggregated unauthenticated failures). */
  call_count: number;
  /**
   * '' unless an Audit-mode network access policy would have denied the call: then its level,
   * 'AccessKey' or 'Account' (see the 0011 migration).
   */
  access_key_policy_audit: string;
  /** '' for an API call; ConsoleOperation, ConsoleSignin or ConsoleSignout (see the 0019 migration). */
  event_type: string;
}

export interface AccessKeyUsageTable {
  access_key_id: string;
  account_id: string;
  service_name: string;
  event_name: string;
  source_ip: string;
  first_used_at: number;
  last_used_at: number;
  call_count: number;
  last_event_id: string;
}

/** A key's usage grouped one way (see the 0008 migration): the rows of access_key_usage it sums up. */
export interface AccessKeyUsageGroupsTable {
  access_key_id: string;
  account_id: string;
  /** What the rows are grouped by: 'ip' (source IP), 'event' (action) or 'service'. */
  dimension: string;
  /** The service the group counts calls to; '' for every service (always, by service). */
  service_name: string;
  /** The source IP, action or service. */
  group_name: string;
  first_used_at: number;
  last_used_at: number;
  call_count: number;
  last_event_id: string;
}

export interface LoginProfilesTable {
  user_id: string;
  account_id: string;
  password_hash: string;
  /** JSON array of the hashes the current one replaced, newest first. */
  previous_hashes: string;
  password_reset_required: number;
  mfa_bind_required: number;
  created_at: number;
  updated_at: number;
  password_changed_at: number;
}

/** A console session; only the SHA-256 of its token is kept. */
export interface ConsoleSessionsTable {
  token_hash: string;
  session_id: string;
  account_id: string;
  /** '' for the account's root identity. */
  user_id: string;
  mfa_present: number;
  created_at: number;
  last_seen_at: number;
  password_verified_at: number;
}

/** Failed console sign-ins of one login name (lower case), and until when it is locked. */
export interface ConsoleSigninFailuresTable {
  login_key: string;
  account_id: string;
  failures: number;
  first_failed_at: number;
  locked_until: number;
}

/** When a RAM user last passed MFA at console sign-in from a source address (for adaptive MFA). */
export interface ConsoleMfaSourcesTable {
  account_id: string;
  user_id: string;
  source_ip: string;
  verified_at: number;
}

export interface PasswordPoliciesTable {
  account_id: string;
  minimum_password_length: number;
  require_lowercase_characters: number;
  require_uppercase_characters: number;
  require_numbers: number;
  require_symbols: number;
  hard_expiry: number;
  max_login_attempts: number;
  password_reuse_prevention: number;
  max_password_age: number;
}

export interface CredentialReportsTable {
  account_id: string;
  generated_at: number;
  /** The whole report, CSV. */
  content: string;
}

export interface SecretIndexTable {
  access_key_id: string;
  /** The master key version the fingerprint's index key derives from. */
  key_version: number;
  /** base64url HMAC-SHA256 of the key's secret under the index key. */
  fingerprint: string;
}

export interface NoncesTable {
  /** When the nonce's request leaves the time window (its timestamp + the window), ms. */
  expires_at: number;
  /** 16 bytes: a hash of the AccessKey ID and the nonce (never the nonce itself). */
  fingerprint: Buffer;
}

/** Network access restriction policies (see the 0011 migration). */
export interface AccessKeyPoliciesTable {
  account_id: string;
  /** The key the policy is for; '' for the account-level policy. */
  access_key_id: string;
  /** The AccessKeyPolicy document, as the API returns it. */
  document: string;
  updated_at: number;
}

export interface AccessKeyRestrictionsTable {
  access_key_id: string;
  account_id: string;
  restricted_at: number;
  reason: string;
  /** Who reported it: `user:<principal>`, `leak-report:<reporter>` or `scanner:<reporter>`. */
  reporter: string;
}

export interface LeakReportersTable {
  reporter_name: string;
  /** The reporter's HMAC secret, sealed by the Sealer (AAD `leak-reporter:<name>`). */
  sealed_secret: string;
  created_at: number;
}

export interface AccountWebhooksTable {
  account_id: string;
  url: string;
  /** The webhook's signing secret, sealed by the Sealer (AAD `webhook:<accountId>`). */
  sealed_secret: string;
  updated_at: number;
}

export interface NotificationsTable {
  notification_id: string;
  account_id: string;
  kind: string;
  /** The notification as JSON. */
  payload: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  delivered_at: number | null;
  last_error: string;
}

export interface DirectoryAccountsTable {
  account_id: string;
  /** The directory's management account; equal to account_id on the management account's own row. */
  management_account_id: string;
  joined_at: number;
}

export interface ServicesTable {
  /** The owning account's ID, or '' for a global service (see migration 0016). */
  scope: string;
  service_name: string;
  description: string;
  /** The service document as sent. */
  document: string;
  created_at: number;
  updated_at: number;
}

export interface ServiceRoutesTable {
  scope: string;
  /** '' for any host. */
  host: string;
  /** '' for any path. */
  path_prefix: string;
  service_name: string;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  user_policies: UserPoliciesTable;
  access_keys: AccessKeysTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_policies: GroupPoliciesTable;
  policies: PoliciesTable;
  policy_versions: PolicyVersionsTable;
  security_preferences: SecurityPreferencesTable;
  audit_events: AuditEventsTable;
  access_key_usage: AccessKeyUsageTable;
  access_key_usage_groups: AccessKeyUsageGroupsTable;
  credential_reports: CredentialReportsTable;
  login_profiles: LoginProfilesTable;
  virtual_mfa_devices: VirtualMfaDevicesTable;
  password_policies: PasswordPoliciesTable;
  console_sessions: ConsoleSessionsTable;
  console_signin_failures: ConsoleSigninFailuresTable;
  console_mfa_sources: ConsoleMfaSourcesTable;
  secret_index: SecretIndexTable;
  nonces: NoncesTable;
  recycled_users: RecycledUsersTable;
  job_leases: JobLeasesTable;
  access_key_policies: AccessKeyPoliciesTable;
  access_key_restrictions: AccessKeyRestrictionsTable;
  leak_reporters: LeakReportersTable;
  account_webhooks: AccountWebhooksTable;
  notifications: NotificationsTable;
  directory_accounts: DirectoryAccountsTable;
  services: ServicesTable;
  service_routes: ServiceRoutesTable;
}
