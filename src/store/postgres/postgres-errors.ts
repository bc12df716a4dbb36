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

/** Socket errors of a server that is down, unreachable or gone mid-query. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** Server states that refuse work for now: shutting down, starting up, out of connections. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** node-postgres's own words for a connection that ended or could not be made in time. */
const DRIVER_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

/**
 * True when `error` says the server cannot be reached or will not serve now (as opposed to a
 * statement that failed): the call may succeed later, unchanged.
 */
export function isPostgresUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = sqlState(error);
  if (
    code !== undefined &&
    (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))
  ) {
    return true;
  }
  return DRIVER_MESSAGES.some((m) => error.message.startsWith(m));
}
