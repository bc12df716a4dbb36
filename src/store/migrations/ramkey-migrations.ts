// ramkeyMigrations: every migration, in order, handed to Kysely's Migrator from code (no file globbing,
// so the bundle and the tests see exactly the same list).
import type { Migration, MigrationProvider } from 'kysely';
import { credentialReportsSchema } from './credential-reports-schema.js';
import { initialSchema } from './initial-schema.js';
import type { MigrationDialect } from './migration-dialect.js';
import { permissionsSchema } from './permissions-schema.js';
import { accessKeyStateSchema } from './access-key-state.js';
import { auditSchema } from './audit-schema.js';
import { noncesSchema } from './nonces-schema.js';
import { secretIndexSchema } from './secret-index-schema.js';
import { auditCallCountSchema } from './audit-call-count.js';
import { keyUsageIndexSchema } from './key-usage-index.js';
import { recycleBinSchema } from './recycle-bin-schema.js';
import { accessKeyPoliciesSchema } from './access-key-policies-schema.js';
import { leakResponseSchema } from './leak-response-schema.js';
import { resourceDirectorySchema } from './resource-directory-schema.js';
import { servicesSchema } from './services-schema.js';
import { loginProfilesSchema } from './login-profiles-schema.js';
import { consoleSecuritySchema } from './console-security-schema.js';
import { consoleSessionsSchema } from './console-sessions-schema.js';
import { consoleMfaSourcesSchema } from './console-mfa-sources-schema.js';

/**
 * The migrations by name. Kysely runs them in name order, so names start with a zero-padded number;
 * a released name never changes, or installed databases would see an unknown migration.
 */
export function ramkeyMigrations(dialect: MigrationDialect): Record<string, Migration> {
  return {
    '0001_initial_schema': initialSchema(dialect),
    '0002_permissions': permissionsSchema(dialect),
    '0003_audit': auditSchema(),
    '0004_credential_reports': credentialReportsSchema(),
    '0005_access_key_state': accessKeyStateSchema(),
    '0006_nonces': noncesSchema(dialect),
    '0007_secret_index': secretIndexSchema(),
    '0008_key_usage_index': keyUsageIndexSchema(),
    '0009_audit_call_count': auditCallCountSchema(),
    '0010_recycle_bin': recycleBinSchema(dialect),
    '0011_access_key_policies': accessKeyPoliciesSchema(),
    '0014_leak_response': leakResponseSchema(),
    '0015_resource_directory': resourceDirectorySchema(),
    '0016_services': servicesSchema(dialect),
    '0017_login_profiles': loginProfilesSchema(),
    '0018_console_security': consoleSecuritySchema(),
    '0019_console_sessions': consoleSessionsSchema(),
    '0020_console_mfa_sources': consoleMfaSourcesSchema(),
  };
}

export function ramkeyMigrationProvider(dialect: MigrationDialect): MigrationProvider {
  return { getMigrations: () => Promise.resolve(ramkeyMigrations(dialect)) };
}
