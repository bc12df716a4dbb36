// Authorization: a RAM user's call is allowed only when its effective policies (attached directly
// or through groups) allow the action on the resource and no explicit Deny applies. The root
// identity may do everything. Never allow by default.
import { asciiLower } from '../core/ascii-case.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import {
  compilePolicies,
  evaluate,
  parsePolicyDocument,
  systemPolicies,
  type CompiledPolicySet,
  type Decision,
  type PolicyDocument,
  type PolicyInput,
  type RequestContext,
} from '../core/policy/index.js';
import type { SecurityPreference, Store } from '../store/store.js';
import type { Principal } from './principal.js';

const MAX_CACHED_DOCUMENTS = 10_000;

export interface AuthorizationInput {
  /** e.g. `ram:CreateAccessKey`. */
  action: string;
  /** Other names of the action that a policy's Action may cover it by (see ActionFacts.authAliases). */
  actionAliases?: readonly string[];
  /** The resource ARN, or `*`. */
  resource: string;
  /**
   * The action's read/write flag, which `ramkey:ActionAccess` conditions test (ReadOnlyAccess grants
   * by it). Undefined only for an action no product or service has (the simulator may be asked
   * about one): such conditions then fail closed.
   */
  rw: 'Read' | 'Write' | undefined;
  /**
   * Whether the action is one a RAM user may perform on its own AccessKeys without a policy when the
   * account's AllowUserToManageAccessKeys preference is on (a fact of the action registry).
   */
  selfService: boolean;
  context: Omit<RequestContext, 'userName' | 'actionAccess'>;
}

/** Why a call was allowed or refused, for `NoPermission` details and the simulator. */
export interface Verdict {
  allowed: boolean;
  decision: Decision;
  /** True when the security preference, not a policy, allowed an own-key action. */
  byPreference: boolean;
}

/** A value as cached: the promise while it loads, the value itself once loaded (no await when warm). */
type Loaded<T> = T | Promise<T>;

type UserPrincipal = Extract<Principal, { kind: 'user' }>;

export class Authorizer {
  // Compiled once per principal; any change to attachments, memberships or default versions in an
  // account drops that account's entries (such changes are rare; the hot path only reads).
  private readonly compiled = new Map<string, Map<string, Loaded<CompiledPolicySet>>>();
  private readonly preferences = new Map<string, Loaded<SecurityPreference>>();
  // Parsed custom documents by their text: the same object for every user that has the policy, so
  // compilePolicies compiles its statements once (parsing and compiling is ~5 ms; reuse ~0.1 ms).
  private readonly documents = new Map<string, PolicyDocument>();
  private bypassed = false;

  constructor(private readonly store: Store) {}

  /**
   * Undefined when `principal` may perform the call, else the NoPermission refusal (with
   * AccessDeniedDetail). Synchronous once the principal's policies are cached. Fails closed: an
   * error while loading or compiling policies propagates (rejects), and nothing is executed.
   */
  check(principal: Principal, input: AuthorizationInput): Loaded<RamkeyError | undefined> {
    if (principal.kind === 'root') return undefined;
    const verdict = this.verdictOf(principal, input);
    return verdict instanceof Promise
      ? verdict.then((v) => refusalOf(principal, input, v))
      : refusalOf(principal, input, verdict);
  }

  /** The decision for a RAM user, with the statement that made it. */
  async verdict(principal: UserPrincipal, input: AuthorizationInput): Promise<Verdict> {
    return this.verdictOf(principal, input);
  }

  /** Drops everything cached for the account: call after any permission-relevant change. */
  invalidateAccount(accountId: string): void {
    this.compiled.delete(accountId);
    this.preferences.delete(accountId);
  }

  /**
   * Drops every account's policies and preferences; while `bypassed` (the change bus is down), every
   * check reads them from the store and nothing is kept. Parsed documents stay: they are keyed by
   * their own text, which no change can make stale. See keepFresh.
   */
  setBypassed(bypassed: boolean): void {
    this.bypassed = bypassed;
    this.compiled.clear();
    this.preferences.clear();
  }

  private verdictOf(principal: UserPrincipal, input: AuthorizationInput): Loaded<Verdict> {
    const set = this.policiesOf(principal.accountId, principal.userId);
    return set instanceof Promise
      ? set.then((s) => this.decide(principal, input, s))
      : this.decide(principal, input, set);
  }

  private decide(
    principal: UserPrincipal,
    input: AuthorizationInput,
    set: CompiledPolicySet,
  ): Loaded<Verdict> {
    const decision = evaluate(set, {
      action: input.action,
      ...(input.actionAliases && { actionAliases: input.actionAliases }),
      resource: input.resource,
      // Undefined rw leaves the key unknown (EvaluationState reads only Read and Write).
      context: { ...input.context, userName: principal.userName, actionAccess: input.rw },
    });
    if (decision.effect === 'allow') return { allowed: true, decision, byPreference: false };
    if (decision.effect !== 'noMatch' || !this.isOwnKeyAction(principal, input)) {
      return { allowed: false, decision, byPreference: false };
    }
    const byPreference = (preference: SecurityPreference): Verdict => ({
      allowed: preference.allowUserToManageAccessKeys,
      decision,
      byPreference: preference.allowUserToManageAccessKeys,
    });
    const preference = this.preferenceOf(principal.accountId);
    return preference instanceof Promise ? preference.then(byPreference) : byPreference(preference);
  }

  private isOwnKeyAction(principal: UserPrincipal, input: AuthorizationInput): boolean {
    return (
      input.selfService &&
      asciiLower(input.resource) === asciiLower(`acs:ram:*:${principal.accountId}:user/${principal.userName}`)
    );
  }

  private preferenceOf(accountId: string): Loaded<SecurityPreference> {
    if (this.bypassed) return this.store.getSecurityPreference(accountId);
    const cached = this.preferences.get(accountId);
    if (cached !== undefined) return cached;
    return settle(this.preferences, accountId, this.store.getSecurityPreference(accountId));
  }

  private policiesOf(accountId: string, userId: string): Loaded<CompiledPolicySet> {
    if (this.bypassed) return this.load(accountId, userId);
    let account = this.compiled.get(accountId);
    if (!account) {
      account = new Map();
      this.compiled.set(accountId, account);
    }
    const cached = account.get(userId);
    if (cached !== undefined) return cached;
    return settle(account, userId, this.load(accountId, userId));
  }

  private parsed(policyName: string, text = ''): PolicyDocument {
    const cached = this.documents.get(text);
    if (cached) return cached;
    const parsed = parsePolicyDocument(text);
    // A stored document that no longer parses might hold a Deny: refuse rather than skip it.
    if (!parsed.ok) throw new Error(`stored policy ${policyName} does not parse: ${parsed.code}`);
    if (this.documents.size >= MAX_CACHED_DOCUMENTS) this.documents.clear();
    this.documents.set(text, parsed.value);
    return parsed.value;
  }

  private async load(accountId: string, userId: string): Promise<CompiledPolicySet> {
    const inputs: PolicyInput[] = [];
    for (const p of await this.store.loadEffectivePolicies(accountId, userId)) {
      if (p.policyType === 'System') {
        const builtIn = systemPolicies.get(p.policyName);
        // An attachment of an unknown system policy grants nothing (and can deny nothing: none exist).
        if (builtIn)
          inputs.push({ policyName: p.policyName, policyType: 'System', document: builtIn.document });
        continue;
      }
      inputs.push({
        policyName: p.policyName,
        policyType: 'Custom',
        document: this.parsed(p.policyName, p.document),
      });
    }
    return compilePolicies(inputs);
  }
}

/**
 * Caches `loading` under `key` and replaces it with its value once loaded, unless the entry was
 * dropped or replaced meanwhile (an invalidation wins); a failed load is forgotten, so the next call
 * retries rather than failing forever.
 */
function settle<K, V>(entries: Map<K, Loaded<V>>, key: K, loading: Promise<V>): Promise<V> {
  const promise = loading.then(
    (value) => {
      if (entries.get(key) === promise) entries.set(key, value);
      return value;
    },
    (err: unknown) => {
      if (entries.get(key) === promise) entries.delete(key);
      throw err;
    },
  );
  entries.set(key, promise);
  return promise;
}

function refusalOf(
  principal: UserPrincipal,
  input: AuthorizationInput,
  verdict: Verdict,
): RamkeyError | undefined {
  if (verdict.allowed) return undefined;
  return new RamkeyError('NoPermission', {
    detail: `${principal.userName} lacks ${input.action} on ${input.resource}`,
    extra: {
      AccessDeniedDetail: {
        AuthAction: input.action,
        // Ramkey extension: which resource the action was refused on.
        AuthResource: input.resource,
        AuthPrincipalType: 'SubUser',
        AuthPrincipalOwnerId: principal.accountId,
        AuthPrincipalDisplayName: principal.userName,
        NoPermissionType: verdict.decision.effect === 'deny' ? 'ExplicitDeny' : 'ImplicitDeny',
        PolicyType: 'AccountLevelIdentityBasedPolicy',
        ...(verdict.decision.statement && { PolicyName: verdict.decision.statement.policyName }),
      },
    },
  });
}
