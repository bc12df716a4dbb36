// Authorization: a RAM user's call is allowed only when its effective policies (attached directly
// or through groups) allow the action on the resource and no explicit Deny applies. The root
// identity may do everything. Never allow by default.
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
  /** The resource ARN, or `*`. */
  resource: string;
  /**
   * Whether the action is one a RAM user may perform on its own AccessKeys without a policy when the
   * account's AllowUserToManageAccessKeys preference is on (a fact of the action registry).
   */
  selfService: boolean;
  context: Omit<RequestContext, 'userName'>;
}

/** Why a call was allowed or refused, for `NoPermission` details and the simulator. */
export interface Verdict {
  allowed: boolean;
  decision: Decision;
  /** True when the security preference, not a policy, allowed an own-key action. */
  byPreference: boolean;
}

export class Authorizer {
  // Compiled once per principal; any change to attachments, memberships or default versions in an
  // account drops that account's entries (such changes are rare; the hot path only reads).
  private readonly compiled = new Map<string, Map<string, Promise<CompiledPolicySet>>>();
  private readonly preferences = new Map<string, Promise<SecurityPreference>>();
  // Parsed custom documents by their text: the same object for every user that has the policy, so
  // compilePolicies compiles its statements once (parsing and compiling is ~5 ms; reuse ~0.1 ms).
  private readonly documents = new Map<string, PolicyDocument>();

  constructor(private readonly store: Store) {}

  /** Resolves when `principal` may perform the call; throws NoPermission (with AccessDeniedDetail) otherwise. */
  async authorize(principal: Principal, input: AuthorizationInput): Promise<void> {
    if (principal.kind === 'root') return;
    // Fail closed: an error while loading or compiling policies propagates and nothing is executed.
    const verdict = await this.verdict(principal, input);
    if (verdict.allowed) return;
    throw new RamkeyError('NoPermission', {
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
          ...(verdict.decision.statement && {
            PolicyName: verdict.decision.statement.policyName,
          }),
        },
      },
    });
  }

  /** The decision for a RAM user, with the statement that made it. */
  async verdict(
    principal: Extract<Principal, { kind: 'user' }>,
    input: AuthorizationInput,
  ): Promise<Verdict> {
    const set = await this.policiesOf(principal.accountId, principal.userId);
    const decision = evaluate(set, {
      action: input.action,
      resource: input.resource,
      context: { ...input.context, userName: principal.userName },
    });
    if (decision.effect === 'allow') return { allowed: true, decision, byPreference: false };
    if (decision.effect === 'noMatch' && this.isOwnKeyAction(principal, input)) {
      const preference = await this.preferenceOf(principal.accountId);
      if (preference.allowUserToManageAccessKeys) return { allowed: true, decision, byPreference: true };
    }
    return { allowed: false, decision, byPreference: false };
  }

  /** Drops everything cached for the account: call after any permission-relevant change. */
  invalidateAccount(accountId: string): void {
    this.compiled.delete(accountId);
    this.preferences.delete(accountId);
  }

  private isOwnKeyAction(
    principal: Extract<Principal, { kind: 'user' }>,
    input: AuthorizationInput,
  ): boolean {
    return (
      input.selfService &&
      input.resource.toLowerCase() ===
        `acs:ram:*:${principal.accountId}:user/${principal.userName}`.toLowerCase()
    );
  }

  private preferenceOf(accountId: string): Promise<SecurityPreference> {
    let cached = this.preferences.get(accountId);
    if (!cached) {
      cached = this.store.getSecurityPreference(accountId);
      cached.catch(() => this.preferences.delete(accountId));
      this.preferences.set(accountId, cached);
    }
    return cached;
  }

  private policiesOf(accountId: string, userId: string): Promise<CompiledPolicySet> {
    let account = this.compiled.get(accountId);
    if (!account) {
      account = new Map();
      this.compiled.set(accountId, account);
    }
    let cached = account.get(userId);
    if (!cached) {
      const entries = account;
      cached = this.load(accountId, userId);
      cached.catch(() => entries.delete(userId));
      account.set(userId, cached);
    }
    return cached;
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
