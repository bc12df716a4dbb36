// Network access restriction policies: get and set them at key and account level (refusing, unless the
// caller accepts it, one that would lock out the very key setting it), and replay a key's source
// addresses against a proposed policy to see what it would deny before it is set.
import { DAY_MS, type Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import {
  compileAccessKeyPolicy,
  decideNetworkAccess,
  NO_ACCESS_KEY_POLICY,
  parseAccessKeyPolicy,
  serializeAccessKeyPolicy,
  type AccessKeyPolicy,
  type AccessKeyPolicyLevel,
  type CompiledAccessKeyPolicy,
} from '../core/network/access-key-policy.js';
import { parseIpAddress } from '../core/policy/ip-range.js';
import type { KeyUsagePosition, Store } from '../store/store.js';
import type { KeyOwner } from './access-key-service.js';
import type { ChangeBus } from './change-bus.js';
import type { UsageRecorder } from './usage-recorder.js';

/** What the self-lockout guard needs to know of the call that sets a policy. */
export interface LockoutGuard {
  /** The AccessKey the call was signed with (undefined for a call not signed with one). */
  readonly callerAccessKeyId: string | undefined;
  /** The call's source address, as the gate judged it. */
  readonly sourceIp: string;
  /** The caller said it accepts locking that key out (AcceptSelfLockout=true). */
  readonly accepted: boolean;
}

/** One source address a simulated policy would deny. */
export interface SimulatedDenial {
  sourceIp: string;
  /** Calls from that address since the key's first use from it. */
  callCount: number;
  firstUsedAt: number;
  lastUsedAt: number;
}

export interface NetworkSimulation {
  accessKeyId: string;
  /** The level the proposed policy was simulated at. */
  level: AccessKeyPolicyLevel;
  /** Which policy would decide for this key: its own, the account's, or none (everything allowed). */
  decidingLevel: AccessKeyPolicyLevel | undefined;
  /** The addresses replayed: those the key was used from in [since, until]. */
  since: number;
  until: number;
  /** How many addresses were replayed. */
  sourceIpCount: number;
  /** True when the key had more addresses in the range than one simulation replays. */
  truncated: boolean;
  /** The replayed addresses the policy would deny, most recently used first. */
  denied: SimulatedDenial[];
}

/** Addresses one simulation replays at most (a page of key usage per query). */
export const MAX_SIMULATED_SOURCE_IPS = 10_000;
const USAGE_PAGE = 500;

export class NetworkPolicyService {
  constructor(
    private readonly store: Store,
    private readonly changes: ChangeBus,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
  ) {}

  /** The key's own policy; "no policy" (Inactive, no rules) for a key that never had one. */
  async getForKey(owner: KeyOwner, accessKeyId: string): Promise<AccessKeyPolicy> {
    await this.requireKey(owner, accessKeyId);
    return this.stored(owner.accountId, accessKeyId);
  }

  /** The account-level policy; "no policy" when never set. */
  getForAccount(accountId: string): Promise<AccessKeyPolicy> {
    return this.stored(accountId, null);
  }

  /**
   * Sets the key's policy, in force from the next request. Refuses with AccessKeyPolicy.SelfLockout a
   * policy under which the key signing this call could no longer call from where it calls now.
   */
  async setForKey(
    owner: KeyOwner,
    accessKeyId: string,
    policy: AccessKeyPolicy,
    guard: LockoutGuard,
  ): Promise<AccessKeyPolicy> {
    await this.requireKey(owner, accessKeyId);
    if (guard.callerAccessKeyId === accessKeyId) {
      const account = await this.stored(owner.accountId, null);
      this.checkLockout(policy, account, guard);
    }
    const document = serializeAccessKeyPolicy(policy);
    const done = await this.store.putAccessKeyPolicy(owner, accessKeyId, document, this.clock.now());
    // Deleted between the check and the write.
    if (!done) throw new RamkeyError('EntityNotExist.User.AccessKey');
    this.changes.publish({ kind: 'networkPolicy', accountId: owner.accountId });
    return policy;
  }

  /** Sets the account-level policy, guarded like setForKey for the caller's own key. */
  async setForAccount(
    accountId: string,
    policy: AccessKeyPolicy,
    guard: LockoutGuard,
  ): Promise<AccessKeyPolicy> {
    if (guard.callerAccessKeyId !== undefined) {
      const key = await this.stored(accountId, guard.callerAccessKeyId);
      this.checkLockout(key, policy, guard);
    }
    await this.store.putAccountAccessKeyPolicy(accountId, serializeAccessKeyPolicy(policy), this.clock.now());
    this.changes.publish({ kind: 'networkPolicy', accountId });
    return policy;
  }

  /**
   * Replays the source addresses the key was used from in the last `days` days against `proposed`
   * set at `level` (the other level as it is now), and lists those it would deny. Audit is simulated
   * as Active: the question is what the policy would refuse once enforced.
   */
  async simulate(
    owner: KeyOwner,
    accessKeyId: string,
    proposed: AccessKeyPolicy,
    level: AccessKeyPolicyLevel,
    days: number,
  ): Promise<NetworkSimulation> {
    await this.requireKey(owner, accessKeyId);
    // Uses still in memory count too.
    await this.usage.flush();
    const until = this.clock.now();
    const since = until - days * DAY_MS;
    const [keyNow, accountNow] = await Promise.all([
      this.stored(owner.accountId, accessKeyId),
      this.stored(owner.accountId, null),
    ]);
    const key = enforcedForm(level === 'AccessKey' ? proposed : keyNow, 'AccessKey');
    const account = enforcedForm(level === 'Account' ? proposed : accountNow, 'Account');
    const decidingLevel = key ? 'AccessKey' : account ? 'Account' : undefined;

    const denied: SimulatedDenial[] = [];
    let sourceIpCount = 0;
    let truncated = false;
    let after: KeyUsagePosition | undefined;
    pages: for (;;) {
      const page = await this.store.keyUsageByIp(owner.accountId, accessKeyId, {
        limit: USAGE_PAGE,
        ...(after && { after }),
      });
      for (const group of page) {
        // Most recent use first: the rest of the key's addresses were last used before the range.
        if (group.lastUsedAt < since) break pages;
        if (sourceIpCount === MAX_SIMULATED_SOURCE_IPS) {
          truncated = true;
          break pages;
        }
        sourceIpCount++;
        if (decideNetworkAccess(key, account, parseIpAddress(group.name)).outcome === 'deny') {
          denied.push({
            sourceIp: group.name,
            callCount: group.callCount,
            firstUsedAt: group.firstUsedAt,
            lastUsedAt: group.lastUsedAt,
          });
        }
      }
      const last = page.at(-1);
      if (page.length < USAGE_PAGE || last === undefined) break;
      after = { lastUsedAt: last.lastUsedAt, name: last.name };
    }
    return { accessKeyId, level, decidingLevel, since, until, sourceIpCount, truncated, denied };
  }

  /**
   * Security: an administrator who pins the key they are using to the wrong network cannot undo it
   * with that key. Only the calling key is guarded: setting another key's policy from elsewhere is the
   * normal case (the application runs in another network than its administrator).
   */
  private checkLockout(key: AccessKeyPolicy, account: AccessKeyPolicy, guard: LockoutGuard): void {
    if (guard.accepted) return;
    const decision = decideNetworkAccess(
      compileAccessKeyPolicy(key, 'AccessKey'),
      compileAccessKeyPolicy(account, 'Account'),
      parseIpAddress(guard.sourceIp),
    );
    if (decision.outcome === 'deny') {
      throw new RamkeyError('AccessKeyPolicy.SelfLockout', { params: [guard.sourceIp] });
    }
  }

  private async stored(accountId: string, accessKeyId: string | null): Promise<AccessKeyPolicy> {
    const record = await this.store.getAccessKeyPolicy(accountId, accessKeyId);
    if (record === undefined) return NO_ACCESS_KEY_POLICY;
    const parsed = parseAccessKeyPolicy(record.document);
    if (!parsed.ok) throw new Error(`stored network access policy does not parse (${parsed.code})`);
    return parsed.value;
  }

  /** A live key of the owner; any other (another principal's, account's, or none) answers as missing. */
  private async requireKey(owner: KeyOwner, accessKeyId: string): Promise<void> {
    const key = await this.store.getAccessKey(accessKeyId);
    if (key?.accountId !== owner.accountId || key.userId !== owner.userId) {
      throw new RamkeyError('EntityNotExist.User.AccessKey');
    }
  }
}

/** The policy compiled as if enforced: Audit simulated as Active. */
function enforcedForm(
  policy: AccessKeyPolicy,
  level: AccessKeyPolicyLevel,
): CompiledAccessKeyPolicy | undefined {
  return compileAccessKeyPolicy(policy.status === 'Audit' ? { ...policy, status: 'Active' } : policy, level);
}
