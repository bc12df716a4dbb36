// isPostgresUniqueViolation and friends: recognise PostgreSQL errors by SQLSTATE (node-postgres puts it on `code`).

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const DUPLICATE_SCHEMA = '42P06';

function sqlState(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

export function isPostgresUniqueViolation(error: unknown): boolean {
  return sqlState(error) === UNIQUE_VIOLATION;
}

export function isPostgresForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === FOREIGN_KEY_VIOLATION;
}

/**
 * True when CREATE SCHEMA IF NOT EXISTS lost a race with another process: PostgreSQL may then
 * report the schema as existing (42P06) or trip over the catalog's unique index (23505).
 */
export function isPostgresSchemaRace(error: unknown): boolean {
  const state = sqlState(error);
  return state === DUPLICATE_SCHEMA || state === UNIQUE_VIOLATION;
}
