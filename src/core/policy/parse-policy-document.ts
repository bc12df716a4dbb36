// parsePolicyDocument: turns untrusted policy text into a normalized PolicyDocument or a catalog error.
//
// The grammar is RAM's ("Policy structure and syntax"; reference/alibaba-api.md section 1.3), checked
// completely at write time so that evaluation never meets a surprise. It fails closed: any key Ramkey
// does not know, anywhere, is refused rather than ignored, because an ignored `Sid`-like key is harmless
// but an ignored `Conditon` or `NotPrincipal` would look like a restriction that is not there.
import { fail, ok, type Result } from '../errors/ramkey-error.js';
import {
  CONDITION_KEY_VALUES,
  CONDITION_KEYS,
  CONDITION_OPERATORS,
  normalizeConditionValue,
  toConditionKey,
  toConditionOperator,
} from './condition-operators.js';
import {
  MAX_POLICY_DOCUMENT_LENGTH,
  USER_NAME_VARIABLE,
  type ConditionKey,
  type ConditionOperator,
  type PolicyCondition,
  type PolicyDocument,
  type PolicyStatement,
} from './policy-document.js';
import { isJsonObject, parseStrictJson, quote, type JsonObject, type JsonValue } from './strict-json.js';

const TOP_LEVEL_KEYS = new Set(['Version', 'Statement']);
const STATEMENT_KEYS = new Set(['Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

/**
 * `service:ActionName` with `*`/`?` wildcards in either part, or `*` alone. Service codes are letters,
 * digits, `-`, `_`; action names add `.` (kept narrow: widening later is compatible, narrowing is not).
 */
const ACTION = /^(?:\*|[A-Za-z0-9_*?-]+:[A-Za-z0-9_.*?-]+)$/;
/** `acs:<service>:<region>:<account>:` — the ARN head; the relative ID follows (RAM "Policy elements"). */
const ARN_HEAD = /^acs:[A-Za-z0-9_*?-]+:[A-Za-z0-9_*?-]*:[0-9*?]*:/i;

class Malformed extends Error {}

function malformed(message: string): never {
  throw new Malformed(message);
}

/**
 * Parses and validates a policy document (`CreatePolicy`/`CreatePolicyVersion`'s `PolicyDocument`).
 *
 * Accepted beyond the strict grammar, as RAM's own syntax page allows, and normalized away: a single
 * string wherever a list is allowed, a single statement object as `Statement`, operator and condition
 * key names in any letter case. Refused: anything longer than {@link MAX_POLICY_DOCUMENT_LENGTH}
 * (`InvalidParameter.PolicyDocument.Length`, also for empty text); everything else that is not exactly
 * the grammar (`MalformedPolicyDocument`, with a message naming the element).
 *
 * Store the text as the caller sent it (GetPolicyVersion returns it verbatim); the parsed value is what
 * evaluation uses.
 *
 * @example
 * const r = parsePolicyDocument('{"Version":"1","Statement":{"Effect":"Allow","Action":"ram:List*","Resource":"*"}}');
 * // r.ok && r.value.Statement[0].Action => ['ram:List*']
 */
export function parsePolicyDocument(text: string): Result<PolicyDocument> {
  if (typeof text !== 'string') return fail('MalformedPolicyDocument', 'the document must be a string.');
  const length = codePointLength(text);
  if (length === 0 || length > MAX_POLICY_DOCUMENT_LENGTH) {
    return fail('InvalidParameter.PolicyDocument.Length');
  }
  const json = parseStrictJson(text);
  if (!json.ok) return fail('MalformedPolicyDocument', `invalid JSON: ${json.message}.`);
  try {
    return ok(toDocument(json.value));
  } catch (e) {
    if (e instanceof Malformed) return fail('MalformedPolicyDocument', e.message);
    throw e;
  }
}

/**
 * Length in code points, as RAM counts characters. Text of more than twice the limit in UTF-16 units
 * is plainly too long and is not counted.
 */
function codePointLength(text: string): number {
  if (text.length > 2 * MAX_POLICY_DOCUMENT_LENGTH) return text.length;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

function toDocument(value: JsonValue): PolicyDocument {
  if (!isJsonObject(value)) malformed('the document must be a JSON object.');
  rejectUnknownKeys(value, TOP_LEVEL_KEYS, 'the document', 'Version, Statement');
  const version = value.get('Version');
  if (version === undefined) malformed('Version is required.');
  if (version !== '1') malformed('Version must be "1".');
  const statement = value.get('Statement');
  if (statement === undefined) malformed('Statement is required.');
  let statements: PolicyStatement[];
  if (isJsonObject(statement)) {
    statements = [toStatement(statement, 'Statement')];
  } else if (Array.isArray(statement)) {
    const list = statement as readonly JsonValue[];
    if (list.length === 0) malformed('Statement must not be empty.');
    statements = list.map((s, i) => toStatement(s, `Statement[${i}]`));
  } else {
    malformed('Statement must be an array of statement objects.');
  }
  return Object.freeze({ Version: '1', Statement: Object.freeze(statements) });
}

function toStatement(value: JsonValue, path: string): PolicyStatement {
  if (!isJsonObject(value)) malformed(`${path} must be an object.`);
  rejectUnknownKeys(
    value,
    STATEMENT_KEYS,
    path,
    'Effect, Action, NotAction, Resource, NotResource, Condition',
  );
  const effect = value.get('Effect');
  if (effect !== 'Allow' && effect !== 'Deny') malformed(`${path}.Effect must be "Allow" or "Deny".`);

  const [actionName, actions] = exactlyOne(value, 'Action', 'NotAction', path);
  actions.forEach((a, i) => {
    if (!ACTION.test(a)) {
      malformed(
        `${path}.${actionName}[${i}] ${quote(a)} is not an action; use service:ActionName (wildcards * and ?) or *.`,
      );
    }
  });
  const [resourceName, resources] = exactlyOne(value, 'Resource', 'NotResource', path);
  resources.forEach((r, i) => {
    const problem = resourceProblem(r);
    if (problem) malformed(`${path}.${resourceName}[${i}] ${quote(r)} ${problem}.`);
  });

  const statement: Record<string, unknown> = { Effect: effect };
  statement[actionName] = Object.freeze(actions);
  statement[resourceName] = Object.freeze(resources);
  const condition = value.get('Condition');
  if (condition !== undefined) statement.Condition = toCondition(condition, `${path}.Condition`);
  return Object.freeze(statement) as PolicyStatement;
}

function exactlyOne<A extends string, B extends string>(
  statement: JsonObject,
  a: A,
  b: B,
  path: string,
): [A | B, string[]] {
  const va = statement.get(a);
  const vb = statement.get(b);
  if ((va === undefined) === (vb === undefined)) malformed(`${path} must have exactly one of ${a} and ${b}.`);
  return va !== undefined ? [a, toStringList(va, `${path}.${a}`)] : [b, toStringList(vb, `${path}.${b}`)];
}

/** A string, or a non-empty array of strings (RAM: `"Action": "x"` equals `"Action": ["x"]`). */
function toStringList(value: JsonValue | undefined, path: string): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) malformed(`${path} must be a string or an array of strings.`);
  const list = value as readonly JsonValue[];
  if (list.length === 0) malformed(`${path} must not be empty.`);
  return list.map((item, i) => {
    if (typeof item !== 'string') malformed(`${path}[${i}] must be a string.`);
    return item;
  });
}

/** Why `resource` is not `*` or an `acs:` ARN, or `undefined` when it is one. */
function resourceProblem(resource: string): string | undefined {
  if (resource === '*') return undefined;
  const head = ARN_HEAD.exec(resource);
  if (!head) return 'is not a resource; use * or acs:<service>:<region>:<account>:<relative-id>';
  const relative = resource.slice(head[0].length);
  if (relative === '') return 'has an empty relative ID';
  if (hasControlChars(relative)) return 'contains a control character';
  // Only the one known variable may appear; anything else that looks like a variable is refused
  // rather than matched literally, so a typo never silently changes what a statement covers.
  for (let at = relative.indexOf('${'); at >= 0; at = relative.indexOf('${', at + 2)) {
    if (!relative.startsWith(USER_NAME_VARIABLE, at)) {
      return `uses an unknown policy variable; only ${USER_NAME_VARIABLE} is supported`;
    }
  }
  return undefined;
}

function hasControlChars(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

function toCondition(value: JsonValue, path: string): PolicyCondition {
  // An empty block, operator or value list would look like a restriction and restrict nothing.
  if (!isJsonObject(value)) malformed(`${path} must be an object of operator → { key → value(s) }.`);
  if (value.size === 0) malformed(`${path} must not be empty.`);
  const condition: Partial<Record<ConditionOperator, Record<string, readonly string[]>>> = {};
  for (const [name, block] of value) {
    const operator = toConditionOperator(name);
    if (!operator) malformed(`${path} has an unknown operator ${quote(name)}.`);
    if (condition[operator]) malformed(`${path} has the operator ${operator} more than once.`);
    const opPath = `${path}.${operator}`;
    if (!isJsonObject(block)) malformed(`${opPath} must be an object of key → value(s).`);
    if (block.size === 0) malformed(`${opPath} must not be empty.`);
    const spec = CONDITION_OPERATORS[operator];
    const keys: Partial<Record<ConditionKey, readonly string[]>> = {};
    for (const [keyName, raw] of block) {
      const key = toConditionKey(keyName);
      if (!key) {
        malformed(
          `${opPath} has an unknown condition key ${quote(keyName)}; supported: ${Object.keys(CONDITION_KEYS).join(', ')}.`,
        );
      }
      if (keys[key]) malformed(`${opPath} has the key ${key} more than once.`);
      if (!CONDITION_KEYS[key].includes(spec.kind)) malformed(`${opPath} cannot test ${key}.`);
      const keyPath = `${opPath}["${key}"]`;
      const rawValues: readonly JsonValue[] = Array.isArray(raw) ? (raw as readonly JsonValue[]) : [raw];
      if (rawValues.length === 0) malformed(`${keyPath} must not be empty.`);
      keys[key] = Object.freeze(
        rawValues.map((v, i) => {
          const normalized = normalizeConditionValue(spec.kind, v);
          const valuePath = Array.isArray(raw) ? `${keyPath}[${i}]` : keyPath;
          if (!normalized.ok) malformed(`${valuePath} ${normalized.reason}.`);
          const allowed = CONDITION_KEY_VALUES[key];
          if (allowed && !allowed.includes(normalized.text)) {
            malformed(`${valuePath} must be ${allowed.map((a) => `"${a}"`).join(' or ')} (case-sensitive).`);
          }
          return normalized.text;
        }),
      );
    }
    condition[operator] = Object.freeze(keys);
  }
  return Object.freeze(condition);
}

function rejectUnknownKeys(
  value: JsonObject,
  allowed: ReadonlySet<string>,
  where: string,
  list: string,
): void {
  for (const key of value.keys()) {
    if (!allowed.has(key)) {
      malformed(`${where} has an unknown key ${quote(key)}; allowed (case-sensitive): ${list}.`);
    }
  }
}
