// Operator commands for the installation as a whole: backup, restore, migrate (SQLite to PostgreSQL).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  backupInstallation,
  migrateToPostgres,
  restoreInstallation,
  type CopyProgress,
  type MigrationReport,
  type SqliteBackupProgress,
} from '../services/operations.js';
import { printJson, printTable, shellArg } from './output.js';
import { dataDir, installationConfig, type DataOptions } from './server-commands.js';

interface JsonOption {
  json?: boolean;
}

const count = (n: number) => n.toLocaleString('en-US');

/** The rows a person checks first after a backup, restore or migration. */
function summary(rows: Readonly<Record<string, number>>): string {
  const part = (table: string, label: string) => `${label} ${count(rows[table] ?? 0)}`;
  return [
    part('accounts', 'accounts'),
    part('users', 'RAM users'),
    part('access_keys', 'AccessKeys'),
    part('audit_events', 'audit events'),
  ].join(', ');
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/**
 * Prints a progress line on stderr (with --json too: stdout stays one JSON object) each time a long task passes another tenth, for tasks of more than
 * `minSteps` steps (a small database is done before anyone would read it).
 */
function tenths(label: (done: number, total: number) => string, minSteps: number) {
  let lastTenth = 0;
  return (done: number, total: number, steps: number) => {
    if (steps <= minSteps || total === 0) return;
    const tenth = Math.floor((done / total) * 10);
    if (tenth <= lastTenth) return;
    lastTenth = tenth;
    process.stderr.write(`${label(done, total)} (${String(tenth * 10)}%)\n`);
  };
}

function masterKeyAdvice(masterKey: string): string {
  return (
    `The backup holds the AccessKey secrets sealed, not the master key that opens them (${masterKey}).\n` +
    'Back the master key up separately and keep it apart from the backups: a backup without its master\n' +
    'key cannot verify a single signature, and anyone holding both holds every secret.\n'
  );
}

async function backup(options: DataOptions & JsonOption & { to: string }): Promise<void> {
  const json = options.json ?? false;
  let pageSize = 0;
  const progress = tenths(
    (done, total) => `copied ${megabytes(done * pageSize)} of ${megabytes(total * pageSize)}`,
    1,
  );
  const report = await backupInstallation(
    installationConfig(dataDir(options)),
    resolve(options.to),
    ({ copiedPages, totalPages, pageSize: size }: SqliteBackupProgress) => {
      pageSize = size;
      progress(copiedPages, totalPages, Math.ceil(totalPages / 1024));
    },
  );
  if (json) {
    printJson({ File: report.file, Bytes: report.bytes, Rows: report.rows, MasterKey: report.masterKey });
    return;
  }
  process.stdout.write(
    `Backed up to ${report.file} (${megabytes(report.bytes)}): ${summary(report.rows)}.\n\n` +
      masterKeyAdvice(report.masterKey) +
      '\nRestore it, with the server stopped, with:\n' +
      `  ramkey restore --from ${shellArg(report.file)} --data ${shellArg(dataDir(options))}\n`,
  );
}

function restore(options: DataOptions & JsonOption & { from: string }): void {
  const dir = dataDir(options);
  const report = restoreInstallation(installationConfig(dir), resolve(options.from), Date.now());
  if (options.json) {
    printJson({
      File: report.file,
      Bytes: report.bytes,
      Rows: report.rows,
      Previous: report.previous,
      CarriedNonces: report.carriedNonces,
      MasterKey: report.masterKey,
    });
    return;
  }
  process.stdout.write(
    `Restored ${resolve(options.from)} into ${report.file}: ${summary(report.rows)}.\n` +
      (report.previous
        ? `The database it replaced is kept at ${report.previous}; ${count(report.carriedNonces)} ` +
          'nonces it had seen used in the last 15 minutes stay refused as replays.\n'
        : 'There was no database to replace: calls signed in the last 15 minutes that the backup does\n' +
          'not know of could be replayed once; wait 15 minutes before letting clients in where that matters.\n') +
      `Its secrets open with the master key ${report.masterKey}.\n` +
      `\nServe it with: ramkey serve --data ${dir}\n`,
  );
}

function printMigration(report: MigrationReport, dir: string, schema: string | undefined): void {
  printTable(
    ['Table', 'SQLite rows', 'PostgreSQL rows'],
    report.tables.map((t) => [t.table, count(t.source), count(t.target)]),
  );
  const url = schema === undefined ? report.target : withSearchPath(report.target, report.schema);
  process.stdout.write(
    `\nEvery table has the same number of rows on both sides, and the AccessKeys the same digest ` +
      `(${report.accessKeysDigest}).\n` +
      `Moved the installation in ${dir} to ${report.target}, schema "${report.schema}".\n` +
      `\nServe it from PostgreSQL with the same master key (${report.masterKey}):\n` +
      `  RAMKEY_DATABASE_URL='${url}' ramkey serve --data ${dir}\n` +
      '(or give the master key to every node as RAMKEY_MASTER_KEY). Do not serve the SQLite file any\n' +
      'more: what changes there does not reach PostgreSQL. Keep it as the backup of the moment.\n',
  );
}

/**
 * The URL with its search_path set to `schema` through the startup `options` parameter, which
 * node-postgres and libpq (psql, pg_dump) both read; percent-encoded, a space as %20 (libpq reads no
 * `+` as a space).
 */
function withSearchPath(url: string, schema: string): string {
  const separator = url.includes('?') ? '&' : '?';
  return `${url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

async function migrate(options: DataOptions & JsonOption & { to: string; schema?: string }): Promise<void> {
  const dir = dataDir(options);
  const json = options.json ?? false;
  const progress = new Map<string, ReturnType<typeof tenths>>();
  const report = await migrateToPostgres(
    installationConfig(dir),
    { url: options.to, ...(options.schema !== undefined && { schema: options.schema }) },
    ({ table, copied, total }: CopyProgress) => {
      let print = progress.get(table);
      if (print === undefined) {
        print = tenths((done, all) => `copying ${table}: ${count(done)} of ${count(all)} rows`, 10);
        progress.set(table, print);
      }
      print(copied, total, Math.ceil(total / 1000));
    },
  );
  if (json) {
    printJson({
      Target: report.target,
      Schema: report.schema,
      Tables: report.tables.map((t) => ({ Table: t.table, SqliteRows: t.source, PostgresRows: t.target })),
      AccessKeysDigest: report.accessKeysDigest,
      MasterKey: report.masterKey,
    });
    return;
  }
  printMigration(report, dir, options.schema);
}

export function registerOperationsCommands(program: Command): void {
  program
    .command('backup')
    .description('copy the SQLite installation into a new file, while the server serves')
    .requiredOption('--to <file>', 'the backup file to create (refused if it exists)')
    .option('--data <dir>', 'data directory (default $RAMKEY_DATA or ./ramkey-data)')
    .option('--json', 'print the outcome as one JSON object')
    .action(async (_options: unknown, command: Command) => {
      await backup(command.optsWithGlobals());
    });

  program
    .command('restore')
    .description('replace the SQLite installation by a backup (the server stopped)')
    .requiredOption('--from <file>', 'a file made by "ramkey backup"')
    .option('--data <dir>', 'data directory (default $RAMKEY_DATA or ./ramkey-data); may be new')
    .option('--json', 'print the outcome as one JSON object')
    .action((_options: unknown, command: Command) => {
      restore(command.optsWithGlobals());
    });

  program
    .command('migrate')
    .description('copy the SQLite installation into an empty PostgreSQL database (the server stopped)')
    .requiredOption('--to <url>', 'postgres://user:password@host:5432/database')
    .option('--schema <name>', "the schema to create the tables in (default: the server's search_path)")
    .option('--data <dir>', 'data directory (default $RAMKEY_DATA or ./ramkey-data)')
    .option('--json', 'print the outcome as one JSON object')
    .action(async (_options: unknown, command: Command) => {
      await migrate(command.optsWithGlobals());
    });
}
