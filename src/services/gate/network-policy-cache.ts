// The gate's view of network access policies: each account's policies (its own and its keys'), loaded
// in one query and compiled once, cached until a change to them is published. A time-to-live bounds how
// long an entry can outlive a change that was missed, and a node whose change bus is down bypasses the
// cache, as the key cache does.
import type { Clock } from '../../core/clock.js';
import {
  compileAccessKeyPolicy,
  parseAccessKeyPolicy,
  type AccessKeyPolicyLevel,
  type CompiledAccessKeyPolicy,
} from '../../core/network/access-key-policy.js';
import type { AccessKeyPolicyRecord, Store } from '../../store/store.js';
import type { Change } from '../change-bus.js';
import type { AccountNetworkPolicies, NetworkPolicySource } from './steps/network-policy.js';

interface Entry {
  policies: AccountNetworkPolicies;
  expiresAt: number;
}

export interface NetworkPolicyCacheOptions {
  /** Accounts kept (default 10,000); the oldest loaded goes first. */
  maxEntries?: number;
  /** How long an entry is trusted without a change event (a backstop; default 60 s). */
  ttlMs?: number;
}

/** What an account without any policy that is on compiles to: shared, so caching it costs nothing. */
const NONE: AccountNetworkPolicies = Object.freeze({ account: undefined, keys: new Map() });

export class NetworkPolicyCache implements NetworkPolicySource {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<AccountNetworkPolicies>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private generation = 0;
  private bypassed = false;

  constructor(
    private readonly store: Pick<Store, 'listAccessKeyPolicies'>,
    private readonly clock: Clock,
    options: NetworkPolicyCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.ttlMs = options.ttlMs ?? 60_000;
  }

  forAccount(accountId: string, now: number): AccountNetworkPolicies | Promise<AccountNetworkPolicies> {
    const entry = this.entries.get(accountId);
    if (entry && entry.expiresAt > now) return entry.policies;
    return this.load(accountId);
  }

  /** Drops what a change makes stale; subscribe it to the change bus. */
  apply(change: Change): void {
    if (change.kind !== 'networkPolicy') return;
    this.generation++;
    this.entries.delete(change.accountId);
  }

  /** Drops every entry and the loads under way (a node that can no longer trust its change feed starts afresh). */
  clear(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }

  /** Clears; while `bypassed`, every lookup reads the store and nothing is kept. See keepFresh. */
  setBypassed(bypassed: boolean): void {
    this.bypassed = bypassed;
    this.clear();
  }

  private load(accountId: string): Promise<AccountNetworkPolicies> {
    const inFlight = this.loading.get(accountId);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const promise: Promise<AccountNetworkPolicies> = this.store
      .listAccessKeyPolicies(accountId)
      .then((records) => {
        const policies = compileAll(records);
        // A change that raced with this load wins: don't cache what may already be stale.
        if (generation === this.generation && !this.bypassed) this.put(accountId, policies);
        return policies;
      })
      .finally(() => {
        if (this.loading.get(accountId) === promise) this.loading.delete(accountId);
      });
    this.loading.set(accountId, promise);
    return promise;
  }

  private put(accountId: string, policies: AccountNetworkPolicies): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(accountId)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(accountId, { policies, expiresAt: this.clock.now() + this.ttlMs });
  }
}

/** Compiles the account's policies, once per change. Inactive ones play no part and are left out. */
export function compileAll(records: readonly AccessKeyPolicyRecord[]): AccountNetworkPolicies {
  let account: CompiledAccessKeyPolicy | undefined;
  const keys = new Map<string, CompiledAccessKeyPolicy>();
  for (const record of records) {
    const level: AccessKeyPolicyLevel = record.accessKeyId === null ? 'Account' : 'AccessKey';
    const compiled = compileStored(record, level);
    if (compiled === undefined) continue;
    if (record.accessKeyId === null) account = compiled;
    else keys.set(record.accessKeyId, compiled);
  }
  return account === undefined && keys.size === 0 ? NONE : Object.freeze({ account, keys });
}

function compileStored(
  record: AccessKeyPolicyRecord,
  level: AccessKeyPolicyLevel,
): CompiledAccessKeyPolicy | undefined {
  const parsed = parseAccessKeyPolicy(record.document);
  // Only parsed documents are stored: one that no longer parses is a broken database. Failing the
  // load refuses the account's calls (InternalError) rather than letting them through unchecked.
  if (!parsed.ok) throw new Error(`stored network access policy does not parse (${parsed.code})`);
  return compileAccessKeyPolicy(parsed.value, level);
}
