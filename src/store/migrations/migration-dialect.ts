// MigrationDialect: the few facts about an engine that the shared migrations need to stay portable.

export interface MigrationDialect {
  /**
   * A collation under which text compares byte by byte, for columns the store orders and pages by.
   * SQLite's default (BINARY) already does, so it leaves this unset; PostgreSQL's default follows the
   * database locale (en_US sorts `a-b` after `a_c`), so it names "C". With it, both engines list
   * users in the same order and a marker means the same thing on either.
   */
  readonly bytewiseCollation?: string;
  /** The column type of raw bytes: `blob` on SQLite, `bytea` on PostgreSQL. */
  readonly binaryType: 'blob' | 'bytea';
  /**
   * True where a table keyed by its primary key alone can be stored clustered on that key (SQLite
   * `WITHOUT ROWID`): one B-tree instead of a rowid table plus an index, about half the bytes.
   */
  readonly withoutRowid: boolean;
}
