// The condition vocabulary: which operators and keys exist, which keys each operator may test, value shapes.
import { isValidIpRangeText } from './ip-range.js';
import type { ConditionKey, ConditionOperator } from './policy-document.js';
import { asciiLower } from '../ascii-case.js';

/** The type of value an operator compares. */
export type ValueKind = 'string' | 'numeric' | 'date' | 'bool' | 'ip';

/** How an operator compares the request's value `v` with one policy value `p`. */
export type Comparison = 'eq' | 'eqIgnoreCase' | 'like' | 'lt' | 'lte' | 'gt' | 'gte' | 'inRange';

export interface OperatorSpec {
  readonly kind: ValueKind;
  readonly comparison: Comparison;
  /**
   * A negated operator holds when the request's value matches none of the policy values
   * (`StringNotEquals`: equal to none; `NotIpAddress`: in none of the ranges).
   */
  readonly negated: boolean;
}

function op(kind: ValueKind, comparison: Comparison, negated = false): OperatorSpec {
  return Object.freeze({ kind, comparison, negated });
}

/** Every supported operator (RAM's "Conditional operators" page: string, number, date, Boolean, IP). */
export const CONDITION_OPERATORS: Readonly<Record<ConditionOperator, OperatorSpec>> = Object.freeze({
  StringEquals: op('string', 'eq'),
  StringNotEquals: op('string', 'eq', true),
  StringEqualsIgnoreCase: op('string', 'eqIgnoreCase'),
  StringNotEqualsIgnoreCase: op('string', 'eqIgnoreCase', true),
  StringLike: op('string', 'like'),
  StringNotLike: op('string', 'like', true),
  NumericEquals: op('numeric', 'eq'),
  NumericNotEquals: op('numeric', 'eq', true),
  NumericLessThan: op('numeric', 'lt'),
  NumericLessThanEquals: op('numeric', 'lte'),
  NumericGreaterThan: op('numeric', 'gt'),
  NumericGreaterThanEquals: op('numeric', 'gte'),
  DateEquals: op('date', 'eq'),
  DateNotEquals: op('date', 'eq', true),
  DateLessThan: op('date', 'lt'),
  DateLessThanEquals: op('date', 'lte'),
  DateGreaterThan: op('date', 'gt'),
  DateGreaterThanEquals: op('date', 'gte'),
  Bool: op('bool', 'eq'),
  IpAddress: op('ip', 'inRange'),
  NotIpAddress: op('ip', 'inRange', true),
});

/**
 * Every supported key and the kinds of operator that may test it. Anything else is refused at write
 * time: an operator that can never sensibly apply to a key (IpAddress on acs:UserAgent) would make a
 * statement silently always-false or always-true, which is worse than an error.
 * `acs:CurrentTime` takes Date operators (ISO 8601 values) and Numeric ones (Unix epoch seconds).
 */
export const CONDITION_KEYS: Readonly<Record<ConditionKey, readonly ValueKind[]>> = Object.freeze({
  'acs:SourceIp': Object.freeze(['ip'] as const),
  'acs:CurrentTime': Object.freeze(['date', 'numeric'] as const),
  'acs:SecureTransport': Object.freeze(['bool'] as const),
  'acs:MFAPresent': Object.freeze(['bool'] as const),
  'acs:UserAgent': Object.freeze(['string'] as const),
  'ramkey:ActionAccess': Object.freeze(['string'] as const),
});

/**
 * The only values some keys can ever have. A value outside them is refused at write time: a
 * misspelt `"write"` under StringEquals would never match, and a Deny written with it would quietly
 * deny nothing.
 */
export const CONDITION_KEY_VALUES: Readonly<Partial<Record<ConditionKey, readonly string[]>>> = Object.freeze(
  {
    'ramkey:ActionAccess': Object.freeze(['Read', 'Write']),
  },
);

function byLowerCase<K extends string>(names: readonly K[]): ReadonlyMap<string, K> {
  return new Map(names.map((n) => [asciiLower(n), n]));
}

const OPERATOR_BY_LOWER = byLowerCase(Object.keys(CONDITION_OPERATORS) as ConditionOperator[]);
const KEY_BY_LOWER = byLowerCase(Object.keys(CONDITION_KEYS) as ConditionKey[]);

/** The canonical operator for a name in any letter case (`stringequals` → `StringEquals`). */
export function toConditionOperator(name: string): ConditionOperator | undefined {
  return OPERATOR_BY_LOWER.get(asciiLower(name));
}

/** The canonical key for a name in any letter case (`ACS:SOURCEIP` → `acs:SourceIp`). */
export function toConditionKey(name: string): ConditionKey | undefined {
  return KEY_BY_LOWER.get(asciiLower(name));
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2})))?$/;

/** A decimal number (`42`, `-1.5`, `1e3`); no hex, no `Infinity`, no blanks. */
export function parseNumericValue(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * An ISO 8601 instant in milliseconds: `2026-01-01`, `2026-01-01T08:00Z`, `2026-01-01T08:00:00+08:00`,
 * `2026-01-01T08:00:00.123Z`. A time needs a zone (`Z` or `±hh:mm`): a local time is ambiguous. Every
 * field is range-checked (no 31 April, no hour 24), unlike `Date.parse`.
 */
export function parseDateValue(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4] ?? '0');
  const minute = Number(m[5] ?? '0');
  const second = Number(m[6] ?? '0');
  const ms = Number(((m[7] ?? '') + '000').slice(0, 3));
  const offsetHours = Number(m[10] ?? '0');
  const offsetMinutes = Number(m[11] ?? '0');
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000 * (m[9] === '-' ? -1 : 1);
  return date.getTime() - offsetMs;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** `true` or `false`, any letter case. */
export function parseBoolValue(text: string): boolean | undefined {
  const lower = asciiLower(text);
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

export type ConditionValueResult = { ok: true; text: string } | { ok: false; reason: string };

/**
 * Checks one raw condition value from the JSON document against the operator's kind and returns its
 * normalized text. Strings everywhere; a JSON number is accepted for Numeric operators and a JSON
 * boolean for Bool, both kept as their text.
 */
export function normalizeConditionValue(kind: ValueKind, raw: unknown): ConditionValueResult {
  if (kind === 'numeric' && typeof raw === 'number') raw = String(raw);
  if (kind === 'bool' && typeof raw === 'boolean') raw = String(raw);
  if (typeof raw !== 'string') return { ok: false, reason: `must be ${KIND_NAMES[kind]}` };
  // Policy variables are resolved in Resource only; a `${...}` here would be compared literally,
  // which is never what its author meant (and for a Deny would quietly never match).
  if (raw.includes('${')) return { ok: false, reason: 'may not contain a policy variable' };
  switch (kind) {
    case 'string':
      return { ok: true, text: raw };
    case 'numeric':
      return parseNumericValue(raw) === undefined ? bad(kind) : { ok: true, text: raw };
    case 'date':
      return parseDateValue(raw) === undefined ? bad(kind) : { ok: true, text: raw };
    case 'bool': {
      const b = parseBoolValue(raw);
      return b === undefined ? bad(kind) : { ok: true, text: String(b) };
    }
    case 'ip':
      return isValidIpRangeText(raw) ? { ok: true, text: raw } : bad(kind);
  }
}

const KIND_NAMES: Readonly<Record<ValueKind, string>> = {
  string: 'a string',
  numeric: 'a decimal number',
  date: 'an ISO 8601 date-time with a zone, such as 2026-01-01T00:00:00Z',
  bool: '"true" or "false"',
  ip: 'an IPv4/IPv6 address or CIDR block',
};

function bad(kind: ValueKind): ConditionValueResult {
  return { ok: false, reason: `must be ${KIND_NAMES[kind]}` };
}
