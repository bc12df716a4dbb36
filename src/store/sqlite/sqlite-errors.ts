// isSqliteUniqueViolation and friends: recognise better-sqlite3's constraint errors.

// better-sqlite3 puts SQLite's extended result code name on `code`.
const UNIQUE_CODES: ReadonlySet<string> = new Set([
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
]);
const FOREIGN_KEY_CODE = 'SQLITE_CONSTRAINT_FOREIGNKEY';

function resultCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** A UNIQUE or PRIMARY KEY constraint failed: both mean "that key exists". */
export function isSqliteUniqueViolation(error: unknown): boolean {
  const code = resultCode(error);
  return code !== undefined && UNIQUE_CODES.has(code);
}

export function isSqliteForeignKeyViolation(error: unknown): boolean {
  return resultCode(error) === FOREIGN_KEY_CODE;
}
