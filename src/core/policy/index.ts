// The policy module: parse, serialize, compile and evaluate RAM policy documents; the built-in policies.
export {
  MAX_POLICY_DOCUMENT_LENGTH,
  USER_NAME_VARIABLE,
  type ConditionKey,
  type ConditionOperator,
  type Effect,
  type PolicyCondition,
  type PolicyDocument,
  type PolicyStatement,
} from './policy-document.js';
export { CONDITION_KEYS, CONDITION_OPERATORS } from './condition-operators.js';
export { parsePolicyDocument } from './parse-policy-document.js';
export { serializePolicyDocument, type SerializeOptions } from './serialize-policy-document.js';
export { compilePolicies, type CompiledPolicySet, type PolicyInput } from './compile-policies.js';
export { evaluate } from './evaluate.js';
export type { AuthorizationRequest, DecidingStatement, Decision, RequestContext } from './decision.js';
export { systemPolicies, type SystemPolicy } from './system-policies.js';
