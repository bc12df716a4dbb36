// compileCondition: one operator + key + values of a Condition block, turned into a test of the request.
import {
  CONDITION_KEYS,
  CONDITION_OPERATORS,
  parseBoolValue,
  parseDateValue,
  parseNumericValue,
  type Comparison,
  type OperatorSpec,
} from './condition-operators.js';
import { FALSE, TRUE, UNKNOWN, type EvaluationState, type Tri } from './evaluation-state.js';
import { isInIpRange, parseIpRange, type IpAddressBytes, type IpRange } from './ip-range.js';
import type { ConditionKey, PolicyCondition } from './policy-document.js';
import { WildcardSet } from './wildcard-set.js';

/** `TRUE` when the condition holds, `FALSE` when it does not, `UNKNOWN` when the request lacks the key. */
export type CompiledCondition = (state: EvaluationState) => Tri;

/** A condition that can never be evaluated: treated like a missing key, so it fails closed. */
const ALWAYS_UNKNOWN: CompiledCondition = () => UNKNOWN;

/** Every operator/key pair of a Condition block, in document order; the block holds when all hold. */
export function compileConditionBlock(condition: PolicyCondition | undefined): CompiledCondition[] {
  const out: CompiledCondition[] = [];
  // Read as unknown: a hand-built document may hold anything, and compiling must not throw.
  const block: unknown = condition;
  if (typeof block !== 'object' || block === null) return out;
  const operators = Object.entries(block as Record<string, unknown>);
  // An empty block or operator (refused by the parser) restricts nothing it can name: fail closed.
  if (operators.length === 0) return [ALWAYS_UNKNOWN];
  for (const [operator, keys] of operators) {
    const entries =
      typeof keys === 'object' && keys !== null ? Object.entries(keys as Record<string, unknown>) : [];
    if (entries.length === 0) out.push(ALWAYS_UNKNOWN);
    for (const [key, values] of entries) {
      out.push(compileCondition(operator, key, Array.isArray(values) ? (values as unknown[]) : []));
    }
  }
  return out;
}

/**
 * Compiles one operator/key/values triple. Parsed documents always compile; for anything a parser
 * would have refused (a hand-built document), the result is ALWAYS_UNKNOWN rather than an exception.
 */
export function compileCondition(
  operator: string,
  key: string,
  values: readonly unknown[],
): CompiledCondition {
  const spec: OperatorSpec | undefined = Object.hasOwn(CONDITION_OPERATORS, operator)
    ? CONDITION_OPERATORS[operator as keyof typeof CONDITION_OPERATORS]
    : undefined;
  if (!spec || !Object.hasOwn(CONDITION_KEYS, key) || values.length === 0) {
    return ALWAYS_UNKNOWN;
  }
  const k = key as ConditionKey;
  if (!CONDITION_KEYS[k].includes(spec.kind)) return ALWAYS_UNKNOWN;
  const test = compileTest(spec, k, values);
  if (!test) return ALWAYS_UNKNOWN;
  const negated = spec.negated;
  return (state) => {
    const result = test(state);
    if (result === undefined) return UNKNOWN;
    // "Any value matches" for a positive operator; "no value matches" for a negated one.
    return result !== negated ? TRUE : FALSE;
  };
}

/** Whether the request's value matches any policy value; `undefined` when the request lacks it. */
type Test = (state: EvaluationState) => boolean | undefined;

function compileTest(spec: OperatorSpec, key: ConditionKey, values: readonly unknown[]): Test | undefined {
  switch (spec.kind) {
    case 'string':
      return stringTest(
        spec.comparison,
        values,
        key === 'ramkey:ActionAccess' ? (state) => state.actionAccess : (state) => state.userAgent,
      );
    case 'numeric': {
      const numbers = parseAll(values, parseNumericValue);
      if (!numbers) return undefined;
      const compare = ordered(spec.comparison);
      // acs:CurrentTime as a number is Unix epoch seconds (whole seconds, like aws:EpochTime).
      return (state) => {
        const ms = state.currentTimeMs;
        if (ms === undefined) return undefined;
        const seconds = Math.floor(ms / 1000);
        return numbers.some((n) => compare(seconds, n));
      };
    }
    case 'date': {
      const instants = parseAll(values, parseDateValue);
      if (!instants) return undefined;
      const compare = ordered(spec.comparison);
      return (state) => {
        const ms = state.currentTimeMs;
        return ms === undefined ? undefined : instants.some((t) => compare(ms, t));
      };
    }
    case 'bool': {
      const wanted = parseAll(values, parseBoolValue);
      if (!wanted) return undefined;
      const name = key === 'acs:SecureTransport' ? 'secureTransport' : 'mfaPresent';
      return (state) => {
        const b = state.boolean(name);
        return b === undefined ? undefined : wanted.includes(b);
      };
    }
    case 'ip': {
      const ranges = parseAll(values, parseIpRange);
      if (!ranges) return undefined;
      return (state) => {
        const ip = state.sourceIp;
        return ip === undefined ? undefined : inAnyRange(ip, ranges);
      };
    }
  }
}

function stringTest(
  comparison: Comparison,
  values: readonly unknown[],
  get: (state: EvaluationState) => string | undefined,
): Test | undefined {
  const strings = parseAll(values, (v) => v);
  if (!strings) return undefined;
  switch (comparison) {
    case 'eq': {
      const set = new Set(strings);
      return (state) => {
        const v = get(state);
        return v === undefined ? undefined : set.has(v);
      };
    }
    case 'eqIgnoreCase': {
      const set = new Set(strings.map((v) => v.toLowerCase()));
      return (state) => {
        const v = get(state);
        return v === undefined ? undefined : set.has(v.toLowerCase());
      };
    }
    case 'like': {
      // StringLike is case-sensitive (RAM "Conditional operators"), so nothing is folded here.
      const patterns = new WildcardSet(strings);
      return (state) => {
        const v = get(state);
        return v === undefined ? undefined : patterns.matches(v);
      };
    }
    default:
      return undefined;
  }
}

function ordered(comparison: Comparison): (v: number, p: number) => boolean {
  switch (comparison) {
    case 'lt':
      return (v, p) => v < p;
    case 'lte':
      return (v, p) => v <= p;
    case 'gt':
      return (v, p) => v > p;
    case 'gte':
      return (v, p) => v >= p;
    default:
      return (v, p) => v === p;
  }
}

function inAnyRange(ip: IpAddressBytes, ranges: readonly IpRange[]): boolean {
  for (const range of ranges) if (isInIpRange(ip, range)) return true;
  return false;
}

/** Parses every value, or `undefined` if any does not parse (the condition then fails closed). */
function parseAll<T>(values: readonly unknown[], parse: (text: string) => T | undefined): T[] | undefined {
  const out: T[] = [];
  for (const v of values) {
    const parsed = typeof v === 'string' ? parse(v) : undefined;
    if (parsed === undefined) return undefined;
    out.push(parsed);
  }
  return out;
}
