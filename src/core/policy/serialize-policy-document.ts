// serializePolicyDocument: the canonical JSON text of a parsed policy document.
import type { PolicyDocument, PolicyStatement } from './policy-document.js';

export interface SerializeOptions {
  /** Indent with two spaces, as the console and GetPolicyVersion show system policies. */
  readonly pretty?: boolean;
}

/**
 * Writes `doc` as JSON in a fixed element order (Version, Statement; Effect, Action/NotAction,
 * Resource/NotResource, Condition), lists always as arrays. `parsePolicyDocument` of the result
 * deep-equals `doc` for every parsed document.
 *
 * @example
 * serializePolicyDocument({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['ram:Get*'], Resource: ['*'] }] });
 * // => '{"Version":"1","Statement":[{"Effect":"Allow","Action":["ram:Get*"],"Resource":["*"]}]}'
 */
export function serializePolicyDocument(doc: PolicyDocument, options: SerializeOptions = {}): string {
  const canonical = { Version: doc.Version, Statement: doc.Statement.map(canonicalStatement) };
  return options.pretty ? JSON.stringify(canonical, null, 2) : JSON.stringify(canonical);
}

function canonicalStatement(s: PolicyStatement): Record<string, unknown> {
  const out: Record<string, unknown> = { Effect: s.Effect };
  if (s.Action) out.Action = s.Action;
  else out.NotAction = s.NotAction;
  if (s.Resource) out.Resource = s.Resource;
  else out.NotResource = s.NotResource;
  if (s.Condition) out.Condition = s.Condition;
  return out;
}
