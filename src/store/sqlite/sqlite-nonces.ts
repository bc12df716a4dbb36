// Used nonces on SQLite: appended to a journal file per batch, merged into the `nonces` table in
// sorted chunks.
//
// Why not insert each batch into `nonces` directly: its key (expiry, fingerprint) is random within
// the current second, so a batch of n nonces dirtied about n different pages of it, and a SQLite
// commit writes every page it dirtied to the WAL whole (4 KB each, two system calls). Profiled under
// the bench's load, a 10-nonce commit took ~230 us: ~30 us of server CPU per signed call. A journal
// table instead (one page per commit) still cost ~13 us, most of it the commit itself. A batch is
// now one write(2) of 24 bytes per nonce to an append-only file, which survives a crash of the
// process exactly as a WAL commit under `synchronous=NORMAL` does (not a power loss). Every few
// thousand nonces the journal is merged into `nonces` sorted, each page written once per merge.
//
// Replays are looked up in memory (the journal's nonces, a few thousand) and in `nonces`. That memory
// is this process's alone, so one process at a time may record nonces on a database file: it holds
// an exclusive SQLite lock on `<file>-nonces.lock` (released by the OS when the process dies, even by
// kill -9), and a second server on the same file is refused at start-up.
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { NonceRecord, UsedNonceStore } from '../store.js';
import { lazy } from './lazy.js';

export interface SqliteNonceOptions {
  /** The database file; undefined for an in-memory database (no journal file, no lock). */
  file: string | undefined;
  /** Journal entries that start a merge into `nonces` (default 4,000). */
  mergeAt?: number;
  /** Rows per merge transaction (default 1,000): bounds how long one holds the event loop (~3 ms). */
  mergeChunk?: number;
}

/** Another process records nonces on this database file: one server per SQLite installation. */
export class NonceJournalBusyError extends Error {
  constructor(lockFile: string, options?: ErrorOptions) {
    super(
      `another Ramkey server is using this database (${lockFile} is locked): run one server per ` +
        'SQLite installation, or PostgreSQL for several',
      options,
    );
    this.name = 'NonceJournalBusyError';
  }
}

/**
 * Takes the lock a serving process holds on a SQLite database file (`<file>-nonces.lock`), for as long
 * as the process lives or until the returned function releases it. Throws NonceJournalBusyError when
 * another process holds it: a server, or an operator command (restore, migrate) that must not run
 * beside one.
 */
export function lockServing(file: string): () => void {
  const lockFile = `${file}-nonces.lock`;
  closeSync(openSync(lockFile, 'a', 0o600));
  const connection = new BetterSqlite3(lockFile, { timeout: 0 });
  try {
    // In exclusive locking mode a connection keeps the lock of its first write until closed.
    connection.pragma('locking_mode = exclusive');
    connection.exec('begin exclusive; commit');
  } catch (error) {
    connection.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY')
      throw new NonceJournalBusyError(lockFile, { cause: error });
    throw error;
  }
  return () => {
    connection.close();
  };
}

/** One journal entry: expiry (float64, little-endian) then the 16-byte fingerprint. */
const ENTRY_BYTES = 24;

/** An entry as the merge handles it (made only then: memory holds the journal as bytes). */
export interface JournalEntry {
  expiresAt: number;
  fingerprint: Buffer;
}

/**
 * A journal file and what was written to it, until it is merged and deleted: the bytes of each
 * batch, and the entries' identities (also in `pending`). No object per nonce stays alive for the
 * garbage collector to trace and move.
 */
interface Segment {
  readonly path: string | undefined;
  fd: number | undefined;
  readonly batches: Buffer[];
  readonly keys: string[];
}

/** A batch being recorded: its fresh nonces' identities, and their entries encoded in `bytes`. */
interface Batch {
  readonly keys: string[];
  readonly bytes: Buffer;
}

const identity = (expiresAt: number, fingerprint: string): string => `${String(expiresAt)}:${fingerprint}`;

export function sqliteNonceStore(
  db: Kysely<Database>,
  raw: BetterSqlite3.Database,
  options: SqliteNonceOptions,
): UsedNonceStore & { closeNonces: () => void } {
  const mergeAt = options.mergeAt ?? 4000;
  const mergeChunk = options.mergeChunk ?? 1000;
  const prefix = options.file === undefined ? undefined : `${basename(options.file)}-nonces.`;
  const dir = options.file === undefined ? undefined : dirname(options.file);
  /** The journal's nonces not yet merged, by identity. */
  const pending = new Set<string>();
  /** Oldest first; the last one is being appended to. */
  const segments: Segment[] = [];
  let unlock: (() => void) | undefined;
  let nextSequence = 1;
  let claimed = false;
  let merging: Promise<void> | undefined;

  const statements = lazy(() => ({
    known: raw
      .prepare<[number, Buffer]>('select 1 from nonces where expires_at = ? and fingerprint = ?')
      .pluck(),
    merge: raw.prepare<[number, Buffer]>(
      'insert into nonces (expires_at, fingerprint) values (?, ?) on conflict do nothing',
    ),
    // One read transaction for a batch's lookups: outside one, every statement takes and releases
    // SQLite's WAL read lock on its own (system calls), which cost more than the lookup itself.
    lookUp: raw.transaction((nonces: readonly NonceRecord[], batch: Batch) =>
      nonces.map((n) => check(n, batch)),
    ),
    mergeChunk: raw.transaction((entries: readonly JournalEntry[]) => {
      const merge = statements().merge;
      for (const e of entries) merge.run(e.expiresAt, e.fingerprint);
    }),
    purge: raw.prepare<[number, number]>(
      `delete from nonces where (expires_at, fingerprint) in (
         select expires_at, fingerprint from nonces where expires_at < ? order by expires_at limit ?)`,
    ),
  }));

  function openSegment(): Segment {
    const path =
      prefix === undefined || dir === undefined ? undefined : join(dir, `${prefix}${String(nextSequence)}`);
    nextSequence++;
    const segment: Segment = {
      path,
      fd: path === undefined ? undefined : openSync(path, 'a', 0o600),
      batches: [],
      keys: [],
    };
    segments.push(segment);
    return segment;
  }

  /**
   * Takes the lock, merges what a previous process left in journal files (a crash, or a stop before
   * the merge) and opens a new journal file. Synchronous: it runs once, before the first batch.
   */
  function claim(): void {
    if (claimed) return;
    if (options.file !== undefined && prefix !== undefined && dir !== undefined) {
      unlock = lockServing(options.file);
      for (const sequence of journalSequences(dir, prefix)) {
        const path = join(dir, `${prefix}${String(sequence)}`);
        const entries = readJournal(readFileSync(path));
        for (let i = 0; i < entries.length; i += mergeChunk)
          statements().mergeChunk(entries.slice(i, i + mergeChunk));
        unlinkSync(path);
        nextSequence = sequence + 1;
      }
    }
    openSegment();
    claimed = true;
  }

  /** Whether `n` is fresh; if so it is taken at once and added to the batch. */
  function check(n: NonceRecord, batch: Batch): boolean {
    const key = identity(n.expiresAt, n.fingerprint);
    if (pending.has(key)) return false;
    const at = batch.keys.length * ENTRY_BYTES;
    batch.bytes.writeDoubleLE(n.expiresAt, at);
    batch.bytes.write(n.fingerprint, at + 8, 16, 'hex');
    const fingerprint = batch.bytes.subarray(at + 8, at + ENTRY_BYTES);
    if (statements().known.get(n.expiresAt, fingerprint) !== undefined) return false;
    // Taken at once: the same nonce later in the batch is its replay.
    pending.add(key);
    batch.keys.push(key);
    return true;
  }

  function record(nonces: readonly NonceRecord[]): boolean[] {
    claim();
    const segment = segments[segments.length - 1] as Segment;
    const batch: Batch = { keys: [], bytes: Buffer.allocUnsafe(nonces.length * ENTRY_BYTES) };
    let fresh: boolean[];
    try {
      fresh = statements().lookUp(nonces, batch);
    } catch (error) {
      for (const key of batch.keys) pending.delete(key);
      throw error;
    }
    if (batch.keys.length === 0) return fresh;
    const bytes = batch.bytes.subarray(0, batch.keys.length * ENTRY_BYTES);
    try {
      if (segment.fd !== undefined) writeAll(segment.fd, bytes);
    } catch (error) {
      // Not written: none of them may be remembered. A write cut short may have left part of an
      // entry at the file's end, where reading it ignores it; nothing more goes after it.
      for (const key of batch.keys) pending.delete(key);
      retire(segment);
      throw error;
    }
    segment.batches.push(bytes);
    segment.keys.push(...batch.keys);
    if (segment.keys.length >= mergeAt) {
      openSegment();
      // A merge error surfaces on the next purge; the journal just waits longer.
      merge().catch(() => undefined);
    }
    return fresh;
  }

  /** A journal file that failed a write: later batches go to a new one (it is merged as usual). */
  function retire(segment: Segment): void {
    if (segments[segments.length - 1] === segment) openSegment();
  }

  /**
   * Merges every journal file but the one being appended to, oldest first, in chunks of
   * `mergeChunk` (each its own transaction, the event loop turning in between); a file is deleted
   * and its entries forgotten once all of them are in `nonces`.
   */
  function merge(): Promise<void> {
    // Cleared in a callback, never synchronously: a merge with nothing to do must not leave its
    // settled promise behind as the one in progress.
    merging ??= mergeSealed().finally(() => {
      merging = undefined;
    });
    return merging;
  }

  async function mergeSealed(): Promise<void> {
    while (segments.length > 1) {
      const segment = segments[0] as Segment;
      const sorted = readJournal(Buffer.concat(segment.batches)).sort(byKey);
      for (let i = 0; i < sorted.length; i += mergeChunk) {
        const chunk = sorted.slice(i, i + mergeChunk);
        await db.connection().execute(() => {
          statements().mergeChunk(chunk);
          return Promise.resolve();
        });
        await turn();
      }
      if (segment.fd !== undefined) closeSync(segment.fd);
      if (segment.path !== undefined) unlinkSync(segment.path);
      segments.shift();
      for (const key of segment.keys) pending.delete(key);
    }
  }

  return {
    claimNonces() {
      return Promise.resolve().then(claim);
    },

    closeNonces() {
      for (const segment of segments) if (segment.fd !== undefined) closeSync(segment.fd);
      segments.length = 0;
      pending.clear();
      unlock?.();
      unlock = undefined;
      claimed = false;
    },

    recordNonces(nonces) {
      if (nonces.length === 0) return Promise.resolve([]);
      // Kysely's SQLite driver lends its one connection to one user at a time: holding it keeps the
      // lookups out of a transaction the store has open.
      return db.connection().execute(() => Promise.resolve(record(nonces)));
    },

    async purgeNonces(before, limit) {
      // What the journal holds is merged first, so that the purge sees every record.
      await db.connection().execute(() => {
        claim();
        return Promise.resolve();
      });
      await merging;
      if ((segments[segments.length - 1] as Segment).keys.length > 0) openSegment();
      await merge();
      return db.connection().execute(() => Promise.resolve(statements().purge.run(before, limit).changes));
    },
  };
}

/** The sequence numbers of the journal files named `<prefix><n>` in `dir`, oldest first. */
function journalSequences(dir: string, prefix: string): number[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => a - b);
}

/**
 * The nonces in the journal files of the database `file`: what its server recorded and has not merged
 * into `nonces` yet. Read without the lock, beside a running server: a file it merges and deletes
 * meanwhile is skipped, and a partial entry at a file's end (a write under way) is ignored.
 */
export function journalNonces(file: string): JournalEntry[] {
  const prefix = `${basename(file)}-nonces.`;
  const dir = dirname(file);
  return journalSequences(dir, prefix).flatMap((sequence) => {
    try {
      return readJournal(readFileSync(join(dir, `${prefix}${String(sequence)}`)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  });
}

/** Expiry, then fingerprint: the primary key's order, so that a merge writes each page once. */
function byKey(a: JournalEntry, b: JournalEntry): number {
  return a.expiresAt - b.expiresAt || Buffer.compare(a.fingerprint, b.fingerprint);
}

/** The whole entries of a journal file; a partial one at its end (a write cut short) is ignored. */
function readJournal(bytes: Buffer): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (let at = 0; at + ENTRY_BYTES <= bytes.length; at += ENTRY_BYTES) {
    entries.push({
      expiresAt: bytes.readDoubleLE(at),
      fingerprint: bytes.subarray(at + 8, at + ENTRY_BYTES),
    });
  }
  return entries;
}

function writeAll(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written);
}
