// The gate: one call admits a request. Its checks are named steps in one ordered list; the first that
// refuses decides, and the decision is a value (the admitted caller, or the refusal and how far the
// request got). Every RPC call passes here before any handler runs.
import type { Clock } from '../../core/clock.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import { isAccessKeyId } from '../../core/keys/key-id.js';
import type { Authorizer } from '../authorizer.js';
import type { Principal } from '../principal.js';
import type {
  Admission,
  AdmissionRequest,
  ConsoleAdmissionRequest,
  GateStepName,
  Refused,
} from './admission.js';
import type { CheckOutcome, GateCheck, GateFinding, KeyedRequest } from './gate-check.js';
import type { CachedKey, KeyCache } from './key-cache.js';
import type { NonceStore } from './nonce-store.js';
import { authorizationCheck, authorize } from './steps/authorization.js';
import { freshnessCheck } from './steps/freshness.js';
import { keyStatusCheck } from './steps/key-status.js';
import { networkPolicyCheck, type NetworkPolicySource } from './steps/network-policy.js';
import { leakRestrictionCheck } from './steps/leak-restriction.js';
import { nonceCheck } from './steps/nonce.js';
import { signatureCheck } from './steps/signature.js';

export interface GateDeps {
  keys: KeyCache;
  /** The network access policies of each account and its keys, compiled (see NetworkPolicyCache). */
  networkPolicies: NetworkPolicySource;
  nonces: NonceStore;
  authorizer: Authorizer;
  clock: Clock;
  maxClockSkewMs: number;
  /**
   * Actions refused to a leak-restricted key besides every RAM and IMS action, by their
   * authorization name in ASCII lower case (`actiontrail:lookupevents`).
   */
  highRiskActions: ReadonlySet<string>;
}

/**
 * The checks after the key lookup, in order. A key in the recycle bin (or purged) is not found at all,
 * at the lookup (the key cache reads live keys only). Then the key's status, its network
 * access policy, leak restriction, and the principal's permissions.
 */
export function gateChecks(deps: GateDeps): readonly GateCheck[] {
  return [
    // Time and nonce come after the signature: a caller who cannot sign learns nothing of them.
    signatureCheck,
    freshnessCheck(deps.maxClockSkewMs),
    nonceCheck(deps.nonces, deps.maxClockSkewMs),
    // From here on a refused call still counts as use of its key: the caller holds the secret.
    keyStatusCheck,
    // After the key's status: a disabled key says so whatever its source (as Alibaba's order has it).
    networkPolicyCheck(deps.networkPolicies),
    // Before the policies: a suspected-leaked key is refused what its policies would allow.
    leakRestrictionCheck(deps.highRiskActions),
    authorizationCheck(deps.authorizer),
  ];
}

export class Gate {
  private readonly checks: readonly GateCheck[];
  /** Checks after this index refuse calls that already count as use of the key. */
  private readonly nonceIndex: number;

  constructor(private readonly deps: GateDeps) {
    this.checks = gateChecks(deps);
    this.nonceIndex = this.checks.findIndex((c) => c.name === 'nonce');
  }

  /** Every step's name, in the order the gate runs them. */
  get steps(): readonly GateStepName[] {
    return ['keyLookup', ...this.checks.map((c) => c.name)];
  }

  /**
   * Admits the request or refuses it. Synchronous when every step can answer from memory (a cached
   * key and policies, and a nonce store that answers at once; the durable one answers once the
   * nonce is committed). Throws only for
   * infrastructure failures (a store error while loading a key or policies), never to refuse.
   */
  admit(input: AdmissionRequest): Admission | Promise<Admission> {
    const id = input.request.accessKeyId;
    // A malformed or checksum-failing ID cannot exist: answer without touching the cache or store.
    const key = isAccessKeyId(id) ? this.deps.keys.get(id) : undefined;
    return key instanceof Promise ? key.then((k) => this.withKey(input, k)) : this.withKey(input, key);
  }

  /**
   * The owner of a live key, as the key lookup step finds it; `undefined` for any other ID. For
   * deciding what a call is about before admitting it: a forwarded request's service depends on the
   * caller's account. Reveals nothing the gate's own answer would not (an unknown key is refused as
   * not found either way).
   */
  keyOwner(accessKeyId: string): Principal | undefined | Promise<Principal | undefined> {
    if (!isAccessKeyId(accessKeyId)) return undefined;
    const key = this.deps.keys.get(accessKeyId);
    return key instanceof Promise ? key.then((k) => k?.principal) : key?.principal;
  }

  /**
   * Admits a console call: the session was resumed already (its principal is live, the sign-in
   * network masks allow the address); what is left is the principal's permissions, as for a key. No
   * key means no key status, network access policy or leak restriction to check.
   */
  admitConsole(input: ConsoleAdmissionRequest): Admission | Promise<Admission> {
    const { principal, session } = input;
    const outcome = authorize(this.deps.authorizer, principal, {
      ...input,
      now: this.deps.clock.now(),
      mfaPresent: session.mfaPresent,
    });
    const decide = (o: CheckOutcome): Admission =>
      o instanceof RamkeyError
        ? { admitted: false, refusal: o, refusedAt: 'authorization', principal, used: false }
        : {
            admitted: true,
            caller: { principal, credential: { kind: 'ConsoleSession', id: session.sessionId } },
            principal,
            used: true,
          };
    return outcome instanceof Promise ? outcome.then(decide) : decide(outcome);
  }

  private withKey(input: AdmissionRequest, key: CachedKey | undefined): Admission | Promise<Admission> {
    if (!key) return notFound();
    return this.run({ ...input, key, now: this.deps.clock.now() }, 0);
  }

  private run(request: KeyedRequest, from: number, noted?: GateFinding): Admission | Promise<Admission> {
    let finding = noted;
    for (let i = from; i < this.checks.length; i++) {
      const check = this.checks[i] as GateCheck;
      const outcome = check.check(request);
      if (outcome instanceof Promise) {
        const found = finding;
        return outcome.then((o: CheckOutcome) =>
          o instanceof RamkeyError ? this.refuse(request, i, o, found) : this.run(request, i + 1, o ?? found),
        );
      }
      if (outcome instanceof RamkeyError) return this.refuse(request, i, outcome, finding);
      if (outcome) finding = outcome;
    }
    const principal = request.key.principal;
    const caller = { principal, credential: { kind: 'AccessKey', id: request.key.accessKeyId } } as const;
    // Two literals rather than a spread: this is every admitted call's path, and the common one has no finding.
    return finding
      ? { admitted: true, caller, principal, used: true, finding }
      : { admitted: true, caller, principal, used: true };
  }

  private refuse(
    request: KeyedRequest,
    index: number,
    refusal: RamkeyError,
    finding: GateFinding | undefined,
  ): Refused {
    return {
      admitted: false,
      refusal,
      refusedAt: (this.checks[index] as GateCheck).name,
      // From here the call is audited under the key's account, whatever the refusal.
      principal: request.key.principal,
      used: index > this.nonceIndex,
      ...(finding && { finding }),
    };
  }
}

/** Unknown, malformed and deleted keys look alike: nothing beyond "not found" is revealed. */
function notFound(): Refused {
  return {
    admitted: false,
    refusal: new RamkeyError('InvalidAccessKeyId.NotFound'),
    refusedAt: 'keyLookup',
    principal: undefined,
    used: false,
  };
}
