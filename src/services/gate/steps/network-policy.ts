// Gate step: the call's source address is allowed by the network access policy in force for its key
// (the key's own when Active, else the account's). Runs after the key status and the nonce, so a call
// refused here still counts as use of the key: whoever sent it holds the secret.
import { RamkeyError } from '../../../core/errors/ramkey-error.js';
import {
  decideNetworkAccess,
  type AccessKeyPolicyLevel,
  type CompiledAccessKeyPolicy,
} from '../../../core/network/access-key-policy.js';
import { parseIpAddress } from '../../../core/policy/ip-range.js';
import type { CheckOutcome, GateCheck, GateFinding, KeyedRequest } from '../gate-check.js';

/** An account's network access policies that are on (Active or Audit), compiled. */
export interface AccountNetworkPolicies {
  /** The account-level policy; undefined when Inactive or never set. */
  readonly account: CompiledAccessKeyPolicy | undefined;
  /** The key-level policies that are on, by AccessKey ID. */
  readonly keys: ReadonlyMap<string, CompiledAccessKeyPolicy>;
}

/** Where the step finds an account's policies: a value when cached, a promise while loading. */
export interface NetworkPolicySource {
  forAccount(accountId: string, now: number): AccountNetworkPolicies | Promise<AccountNetworkPolicies>;
}

const FINDINGS: Readonly<Record<AccessKeyPolicyLevel, GateFinding>> = Object.freeze({
  AccessKey: Object.freeze({ kind: 'accessKeyPolicyAudit', level: 'AccessKey' }),
  Account: Object.freeze({ kind: 'accessKeyPolicyAudit', level: 'Account' }),
});

export function networkPolicyCheck(source: NetworkPolicySource): GateCheck {
  return {
    name: 'networkPolicy',
    check(request) {
      const policies = source.forAccount(request.key.principal.accountId, request.now);
      return policies instanceof Promise ? policies.then((p) => judge(p, request)) : judge(policies, request);
    },
  };
}

function judge(policies: AccountNetworkPolicies, request: KeyedRequest): CheckOutcome {
  // The common case, no policy for this key or its account, costs two lookups and allocates nothing.
  const key = policies.keys.size === 0 ? undefined : policies.keys.get(request.key.accessKeyId);
  if (key === undefined && policies.account === undefined) return undefined;
  const decision = decideNetworkAccess(key, policies.account, parseIpAddress(request.connection.sourceIp));
  switch (decision.outcome) {
    case 'allow':
      return undefined;
    case 'audit':
      return FINDINGS[decision.level];
    case 'deny':
      return new RamkeyError('InvalidAccessKeyId.AccessPolicyDenied', {
        detail: `${request.connection.sourceIp} is outside the ${decision.level === 'AccessKey' ? 'AccessKey' : 'account'}-level network access policy`,
      });
  }
}
