// StoreContext: what every Kysely aggregate shares — the database, the engine adapter, and the one
// write path (transactions, catalog codes for unique violations, ordered locks, audit slots).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { ErrorCode } from '../../core/errors/catalog.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { Database } from '../database.js';
import type { EngineAdapter } from '../engine-adapter.js';
import type { AuditEventRecord, AuditSlot } from '../records.js';
import { insertAuditEvents } from './audit-queries.js';
import { compareText } from './support.js';

// Atomic checks. Every transaction that checks something and then writes (a count against a limit,
// "nothing still refers to it" before a delete) WRITES FIRST and checks after, rolling back by
// throwing when the check fails; where there is nothing to write yet it writes conditionally (an
// INSERT ... SELECT that inserts nothing when the user or the policy is missing, a DELETE ... WHERE
// NOT EXISTS) or touches the row it is about to change. On SQLite that first write takes the
// database's single writer lock, so no other writer (in this process or another) can interleave
// between the write and the check, and the transaction never has to upgrade a read lock (which fails
// with SQLITE_BUSY instead of waiting). On PostgreSQL concurrent transactions do not see each
// other's uncommitted rows, so each transaction first takes the adapter's locks (see lockOf): every
// transaction that adds what a check counts takes the lock that check's transaction takes.

/** The audit event of the request whose work is running (see runWithAuditEvent and write). */
interface AuditScope {
  slot: AuditSlot;
  /** False once the request's work settled: a timer it started must not carry its event. */
  open: boolean;
}
const auditScope = new AsyncLocalStorage<AuditScope>();

/**
 * Runs `work` so that the first write transaction it commits that changes something also inserts
 * `slot.event` (see StoreContext.write).
 */
export function runWithAuditEvent<T>(slot: AuditSlot, work: () => Promise<T>): Promise<T> {
  const scope: AuditScope = { slot, open: true };
  return auditScope.run(scope, async () => {
    try {
      return await work();
    } finally {
      scope.open = false;
    }
  });
}

/**
 * A named lock and its rank. A transaction takes its locks by ascending rank, so two transactions
 * never each hold a lock the other waits for: e.g. AddUserToGroup takes principal then group, and
 * nothing takes a group then a principal.
 */
export interface LockName {
  rank: number;
  name: string;
}

export const lockOf = {
  /** Creating a group (the account's group count). */
  accountGroups: (accountId: string): LockName => ({ rank: 0, name: `ramkey.groups:${accountId}` }),
  /** Creating a custom policy (the account's policy count). */
  accountPolicies: (accountId: string): LockName => ({ rank: 0, name: `ramkey.policies:${accountId}` }),
  /** Creating a virtual MFA device (the account's device count). */
  accountMfaDevices: (accountId: string): LockName => ({ rank: 0, name: `ramkey.mfa:${accountId}` }),
  /** Creating a custom service (its scope's service count); the scope is an account ID, or '' (global). */
  scopeServices: (scope: string): LockName => ({ rank: 0, name: `ramkey.services:${scope}` }),
  /** What hangs on one principal: its keys, groups, attached policies; deleting the user. */
  principal: (accountId: string, userId: string | null): LockName => ({
    rank: 1,
    name: `ramkey.principal:${accountId}:${userId ?? ''}`,
  }),
  /** What hangs on one group: its members and attached policies; deleting it. */
  group: (accountId: string, groupId: string): LockName => ({
    rank: 2,
    name: `ramkey.group:${accountId}:${groupId}`,
  }),
  /** One custom policy: its versions and default, attachments of it, deleting it. */
  policy: (accountId: string, policyNameKey: string): LockName => ({
    rank: 3,
    name: `ramkey.policy:${accountId}:${policyNameKey}`,
  }),
};

/**
 * Writes an engine does faster below Kysely, run inside a transaction the store already holds (they
 * join it). SQLite's single-row prepared inserts beat one multi-row INSERT by a few microseconds a
 * row: see src/store/sqlite.
 */
export interface EngineWrites {
  appendAuditEvents(events: readonly AuditEventRecord[]): void;
}

export class StoreContext {
  readonly db: Kysely<Database>;
  readonly adapter: EngineAdapter;
  private readonly engineWrites: EngineWrites | undefined;

  constructor(db: Kysely<Database>, adapter: EngineAdapter, engineWrites?: EngineWrites) {
    this.db = db;
    this.adapter = adapter;
    this.engineWrites = engineWrites;
  }

  /** Appends audit events within the transaction `trx` (whose connection the caller holds). */
  async insertAuditEvents(trx: Transaction<Database>, events: readonly AuditEventRecord[]): Promise<void> {
    if (this.engineWrites) this.engineWrites.appendAuditEvents(events);
    else await insertAuditEvents(trx, this.adapter.capabilities.engine, events);
  }

  /**
   * Every write a request makes goes through here: one transaction, which also inserts the request's
   * audit event (see runWithAuditEvent) if it is the first to commit a change (`changed` says whether
   * the work changed anything; a no-op commits no event).
   */
  async write<T>(
    work: (trx: Transaction<Database>) => Promise<T>,
    changed: (result: T) => boolean = () => true,
  ): Promise<T> {
    const scope = auditScope.getStore();
    const slot = scope?.open === true && !scope.slot.written ? scope.slot : undefined;
    const commit = { withEvent: false };
    const result = await this.db.transaction().execute(async (trx) => {
      const value = await work(trx);
      if (slot && changed(value)) {
        await this.insertAuditEvents(trx, [slot.event]);
        commit.withEvent = true;
      }
      return value;
    });
    // Only once the transaction committed: a rolled-back event leaves the slot to the next write.
    if (slot && commit.withEvent) slot.written = true;
    return result;
  }

  /** Runs `write`, turning a unique violation into the catalog code that means it to the caller. */
  async unique<T>(code: ErrorCode, detail: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      // The driver error stays out (no cause): it must not cross the interface, even into logs.
      if (this.adapter.isUniqueViolation(error)) throw new RamkeyError(code, { detail });
      throw error;
    }
  }

  /** Takes the locks in rank order (see lockOf), then by name for a stable order within a rank. */
  async lock(trx: Transaction<Database>, ...locks: LockName[]): Promise<void> {
    const ordered = [...locks].sort((a, b) => a.rank - b.rank || compareText(a.name, b.name));
    await this.adapter.lock(
      trx,
      ordered.map((l) => l.name),
    );
  }
}
