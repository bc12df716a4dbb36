// Database: the table shapes Kysely types its queries with (snake_case, as the migrations create them).
//
// Instants are bigint milliseconds in the database and numbers here: SQLite returns INTEGER as a
// number, and the PostgreSQL pool parses int8 into a number (see postgres-store.ts).

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

export interface AccessKeysTable {
  access_key_id: string;
  account_id: string;
  user_id: string | null;
  status: string;
  sealed_secret: string;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  last_used_service: string | null;
  last_used_ip: string | null;
  deleted_at: number | null;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  user_policies: UserPoliciesTable;
  access_keys: AccessKeysTable;
}
