// evaluate: the Decision for one request against a compiled policy set (deny first, then allow).
import type { CompiledPolicySet } from './compile-policies.js';
import type { AuthorizationRequest, Decision } from './decision.js';
import { EvaluationState } from './evaluation-state.js';

const NO_MATCH: Decision = Object.freeze({ effect: 'noMatch' });

/**
 * Decides a request as RAM does, in the order of minio/pkg's `Decide`: any applicable Deny statement
 * wins; otherwise any applicable Allow; otherwise `noMatch`, which the caller must treat as a deny.
 * The deciding statement is the first applicable one in policy order, then statement order.
 *
 * Fails closed throughout: a statement that needs what the request lacks (a condition key such as an
 * unparseable `sourceIp`, or `userName` for `${ram:UserName}`) applies if it is a Deny and does not if it
 * is an Allow. A request without a non-empty action and resource gets `noMatch`. Never throws for a
 * compiled set, whatever the request holds.
 *
 * @example
 * const d = evaluate(set, {
 *   action: 'ram:CreateAccessKey',
 *   resource: 'acs:ram::1234567890123456:user/alice',
 *   context: { sourceIp: '203.0.113.7', currentTime: Date.now(), secureTransport: true, mfaPresent: false, userAgent: 'sdk', userName: 'alice' },
 * });
 * if (d.effect !== 'allow') throw new RamkeyError('NoPermission');
 */
export function evaluate(set: CompiledPolicySet, request: AuthorizationRequest): Decision {
  const state = new EvaluationState(request);
  if (!state.isWellFormed) return NO_MATCH;
  const { denies, allows } = set.covering(state.actionNames);
  // Explicit Deny first: an Allow anywhere never outweighs it.
  for (const s of denies) if (s.matcher.appliesToCoveredAction(state)) return s.decision;
  for (const s of allows) if (s.matcher.appliesToCoveredAction(state)) return s.decision;
  return NO_MATCH;
}
