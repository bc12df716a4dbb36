// fast-check generators for policy documents, requests and contexts, drawn from small pools so that they match often.
import fc from 'fast-check';
import type {
  AuthorizationRequest,
  ConditionKey,
  ConditionOperator,
  PolicyCondition,
  PolicyDocument,
  PolicyStatement,
  RequestContext,
} from '../../../src/core/policy/index.js';

export const ACCOUNT = '1234567890123456';
/** 2026-03-01T12:00:00Z. */
export const NOW_MS = 1_772_366_400_000;

const SERVICES = ['ram', 'ims', 'sts'] as const;
const ACTION_NAMES = [
  'GetUser',
  'ListUsers',
  'CreateAccessKey',
  'DeleteUser',
  'ListAccessKeys',
  'AssumeRole',
];
const USER_NAMES = ['alice', 'bob', 'app-1', 'app-12', 'admin'];

/** A random letter case of `s`. */
export function anyCase(s: string): fc.Arbitrary<string> {
  return fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((upper) =>
    Array.from(s)
      .map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase()))
      .join(''),
  );
}

/** Concrete actions a request names, in any letter case. */
export const requestActionArb: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...SERVICES), fc.constantFrom(...ACTION_NAMES))
  .chain(([svc, name]) => anyCase(`${svc}:${name}`));

/** Action patterns: concrete names, prefixes with `*`, `?` in place of a letter, `*` alone. */
export const actionPatternArb: fc.Arbitrary<string> = fc.oneof(
  fc.constant('*'),
  fc.tuple(fc.constantFrom('ram', 'ims', 'sts', '*'), fc.constantFrom(...ACTION_NAMES)).chain(([svc, name]) =>
    fc
      .oneof(
        fc.constant(name),
        fc.integer({ min: 1, max: name.length }).map((n) => `${name.slice(0, n)}*`),
        fc.integer({ min: 0, max: name.length - 1 }).map((i) => `${name.slice(0, i)}?${name.slice(i + 1)}`),
        fc.constant(`*${name.slice(-4)}`),
      )
      .map((n) => `${svc}:${n}`),
  ),
);

export const requestResourceArb: fc.Arbitrary<string> = fc.oneof(
  fc.constant('*'),
  fc.constantFrom(...USER_NAMES).map((n) => `acs:ram::${ACCOUNT}:user/${n}`),
  fc.constantFrom(...USER_NAMES).map((n) => `acs:ram::6543210987654321:user/${n}`),
);

export const resourcePatternArb: fc.Arbitrary<string> = fc.oneof(
  fc.constant('*'),
  fc
    .tuple(
      fc.constantFrom(ACCOUNT, '*', ''),
      fc.constantFrom('alice', 'app-*', 'app-?', '*', '${ram:UserName}', 'ADMIN', 'b?b'),
    )
    .map(([acct, name]) => `acs:ram:*:${acct}:user/${name}`),
);

const STRING_VALUES = ['aliyun-cli/3.0.200', 'aliyun-cli/*', 'ALIYUN-CLI/3.0.200', 'curl/?.0', '', 'Tea*'];
const NUMERIC_VALUES = ['1772366400', '1772366399', '1772366401', '0', '1e10', '-5.5'];
const DATE_VALUES = ['2026-03-01T12:00:00Z', '2026-03-01', '2026-03-01T20:00:00+08:00', '2100-01-01T00:00Z'];
const BOOL_VALUES = ['true', 'false'];
const IP_VALUES = [
  '203.0.113.0/24',
  '10.0.0.0/8',
  '2001:db8::/32',
  '::ffff:10.0.0.0/104',
  '203.0.113.7',
  '::/0',
];

type Kind = 'string' | 'numeric' | 'date' | 'bool' | 'ip';
const OPERATORS: readonly [ConditionOperator, Kind][] = [
  ['StringEquals', 'string'],
  ['StringNotEquals', 'string'],
  ['StringEqualsIgnoreCase', 'string'],
  ['StringNotEqualsIgnoreCase', 'string'],
  ['StringLike', 'string'],
  ['StringNotLike', 'string'],
  ['NumericEquals', 'numeric'],
  ['NumericNotEquals', 'numeric'],
  ['NumericLessThan', 'numeric'],
  ['NumericLessThanEquals', 'numeric'],
  ['NumericGreaterThan', 'numeric'],
  ['NumericGreaterThanEquals', 'numeric'],
  ['DateEquals', 'date'],
  ['DateNotEquals', 'date'],
  ['DateLessThan', 'date'],
  ['DateLessThanEquals', 'date'],
  ['DateGreaterThan', 'date'],
  ['DateGreaterThanEquals', 'date'],
  ['Bool', 'bool'],
  ['IpAddress', 'ip'],
  ['NotIpAddress', 'ip'],
];
const KEYS_BY_KIND: Readonly<Record<Kind, readonly ConditionKey[]>> = {
  string: ['acs:UserAgent'],
  numeric: ['acs:CurrentTime'],
  date: ['acs:CurrentTime'],
  bool: ['acs:SecureTransport', 'acs:MFAPresent'],
  ip: ['acs:SourceIp'],
};
const VALUES_BY_KIND: Readonly<Record<Kind, readonly string[]>> = {
  string: STRING_VALUES,
  numeric: NUMERIC_VALUES,
  date: DATE_VALUES,
  bool: BOOL_VALUES,
  ip: IP_VALUES,
};

/** A Condition block in normalized form (canonical names, values as non-empty string lists). */
export const conditionArb: fc.Arbitrary<PolicyCondition> = fc
  .uniqueArray(fc.constantFrom(...OPERATORS), { minLength: 1, maxLength: 3, selector: ([op]) => op })
  .chain((ops) =>
    fc.tuple(
      ...ops.map(([op, kind]) =>
        fc
          .uniqueArray(fc.constantFrom(...KEYS_BY_KIND[kind]), { minLength: 1, maxLength: 2 })
          .chain((keys) =>
            fc.tuple(
              ...keys.map((key) =>
                fc
                  .array(fc.constantFrom(...VALUES_BY_KIND[kind]), { minLength: 1, maxLength: 3 })
                  .map((values) => [key, values] as const),
              ),
            ),
          )
          .map((entries) => [op, Object.fromEntries(entries)] as const),
      ),
    ),
  )
  .map((entries) => Object.fromEntries(entries) as PolicyCondition);

/** One statement in normalized form. */
export function statementArb(effect?: 'Allow' | 'Deny'): fc.Arbitrary<PolicyStatement> {
  return fc
    .record(
      {
        Effect: effect ? fc.constant(effect) : fc.constantFrom('Allow' as const, 'Deny' as const),
        negateAction: fc.boolean(),
        actions: fc.array(actionPatternArb, { minLength: 1, maxLength: 3 }),
        negateResource: fc.boolean(),
        resources: fc.array(resourcePatternArb, { minLength: 1, maxLength: 3 }),
        Condition: conditionArb,
      },
      { requiredKeys: ['Effect', 'negateAction', 'actions', 'negateResource', 'resources'] },
    )
    .map(({ Effect, negateAction, actions, negateResource, resources, Condition }) => {
      const s: Record<string, unknown> = { Effect };
      s[negateAction ? 'NotAction' : 'Action'] = actions;
      s[negateResource ? 'NotResource' : 'Resource'] = resources;
      if (Condition) s.Condition = Condition;
      return s as PolicyStatement;
    });
}

/** A valid, normalized document: what `parsePolicyDocument` returns for some text. */
export const documentArb: fc.Arbitrary<PolicyDocument> = fc
  .array(statementArb(), { minLength: 1, maxLength: 5 })
  .map((Statement) => ({ Version: '1', Statement }));

export const contextArb: fc.Arbitrary<RequestContext> = fc.record(
  {
    sourceIp: fc.constantFrom(
      '203.0.113.7',
      '10.1.2.3',
      '::ffff:10.1.2.3',
      '2001:db8::1',
      '198.51.100.1',
      '',
      'garbage',
      '::1',
    ),
    currentTime: fc.integer({ min: NOW_MS - 2000, max: NOW_MS + 2000 }),
    secureTransport: fc.boolean(),
    mfaPresent: fc.boolean(),
    userAgent: fc.constantFrom('aliyun-cli/3.0.200', 'curl/8.0', 'AlibabaCloud TeaDSL/2', ''),
    userName: fc.constantFrom('alice', 'Alice', 'bob', 'app-1', '*', ''),
    actionAccess: fc.constantFrom('Read' as const, 'Write' as const),
  },
  { requiredKeys: ['sourceIp', 'currentTime', 'secureTransport', 'mfaPresent', 'userAgent'] },
);

export const requestArb: fc.Arbitrary<AuthorizationRequest> = fc.record({
  action: requestActionArb,
  resource: requestResourceArb,
  context: contextArb,
});

/**
 * Text in the looser shapes RAM accepts (single strings for lists, one statement object, any case in
 * condition names), derived from a normalized document: it must parse back to that document.
 */
export function looseTextArb(doc: PolicyDocument): fc.Arbitrary<string> {
  const statements = doc.Statement.map((s) =>
    fc.record({ single: fc.boolean(), opCase: fc.boolean() }).map(({ single, opCase }) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s)) {
        if (Array.isArray(v) && v.length === 1 && single) out[k] = v[0];
        else if (k === 'Condition' && opCase) {
          out[k] = Object.fromEntries(
            Object.entries(v as Record<string, Record<string, string[]>>).map(([op, keys]) => [
              op.toUpperCase(),
              Object.fromEntries(Object.entries(keys).map(([key, values]) => [key.toLowerCase(), values])),
            ]),
          );
        } else out[k] = v;
      }
      return out;
    }),
  );
  return fc
    .tuple(fc.boolean(), ...statements)
    .map(([singleStatement, ...sts]) =>
      JSON.stringify({ Version: '1', Statement: singleStatement && sts.length === 1 ? sts[0] : sts }),
    );
}
