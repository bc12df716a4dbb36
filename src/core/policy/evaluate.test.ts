// evaluate: deny-first decisions, fail-closed handling of what a request lacks, and the invariants as properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contextArb,
  documentArb,
  NOW_MS,
  requestArb,
  statementArb,
} from '../../../test/vectors/policy/policy-arbitraries.js';
import {
  compilePolicies,
  evaluate,
  parsePolicyDocument,
  type AuthorizationRequest,
  type Decision,
  type PolicyDocument,
  type PolicyInput,
  type RequestContext,
} from './index.js';

const CONTEXT: RequestContext = {
  sourceIp: '203.0.113.7',
  currentTime: NOW_MS,
  secureTransport: true,
  mfaPresent: false,
  userAgent: 'aliyun-cli/3.0.200',
  userName: 'alice',
};

function custom(document: PolicyDocument, policyName = 'p'): PolicyInput {
  return { policyName, policyType: 'Custom', document };
}

function parsed(text: string): PolicyDocument {
  const r = parsePolicyDocument(text);
  if (!r.ok) throw new Error(`${r.code}: ${String(r.params)}`);
  return r.value;
}

function decide(docs: readonly PolicyDocument[], request: AuthorizationRequest): Decision {
  return evaluate(compilePolicies(docs.map((d, i) => custom(d, `p${i}`))), request);
}

const listUsers: AuthorizationRequest = { action: 'ram:ListUsers', resource: '*', context: CONTEXT };

describe('evaluate: properties', () => {
  // Security property: a Deny can only take permissions away.
  it('adding a Deny statement never turns deny or noMatch into allow, and never lifts a deny', () => {
    fc.assert(
      fc.property(
        fc.array(documentArb, { maxLength: 3 }),
        statementArb('Deny'),
        fc.nat(),
        requestArb,
        (docs, deny, at, request) => {
          const before = decide(docs, request).effect;
          const withDeny =
            docs.length === 0
              ? [{ Version: '1' as const, Statement: [deny] }]
              : docs.map((d, i) =>
                  i === at % docs.length ? { ...d, Statement: [...d.Statement, deny] } : d,
                );
          const after = decide(withDeny, request).effect;
          if (before !== 'allow') expect(after).not.toBe('allow');
          if (before === 'deny') expect(after).toBe('deny');
        },
      ),
    );
  });

  // Security property: no policies, no access (RAM's implicit deny).
  it('an empty policy set decides noMatch for every request', () => {
    const empty = compilePolicies([]);
    fc.assert(
      fc.property(requestArb, (request) => {
        expect(evaluate(empty, request)).toEqual({ effect: 'noMatch' });
      }),
    );
  });

  it('no statement covering the action decides noMatch', () => {
    fc.assert(
      fc.property(fc.array(documentArb, { minLength: 1, maxLength: 3 }), requestArb, (docs, request) => {
        // Statements with Action (not NotAction) never cover a service that no pattern names.
        const onlyActions = docs.map((d) => ({
          ...d,
          Statement: d.Statement.map((s) => ({ ...s, Action: ['zzz:Nothing'], NotAction: undefined })),
        }));
        expect(decide(onlyActions as PolicyDocument[], request)).toEqual({ effect: 'noMatch' });
      }),
    );
  });

  it('documents without Deny statements never decide deny', () => {
    fc.assert(
      fc.property(
        fc.array(statementArb('Allow'), { minLength: 1, maxLength: 5 }),
        requestArb,
        (sts, request) => {
          expect(decide([{ Version: '1', Statement: sts }], request).effect).not.toBe('deny');
        },
      ),
    );
  });

  it('the effect does not depend on the order of policies', () => {
    fc.assert(
      fc.property(fc.array(documentArb, { minLength: 2, maxLength: 4 }), requestArb, (docs, request) => {
        expect(decide([...docs].reverse(), request).effect).toBe(decide(docs, request).effect);
      }),
    );
  });

  it('the decision does not depend on the letter case of the action or the resource', () => {
    fc.assert(
      fc.property(fc.array(documentArb, { minLength: 1, maxLength: 3 }), requestArb, (docs, request) => {
        const shouted = {
          ...request,
          action: request.action.toUpperCase(),
          resource: request.resource.toUpperCase(),
        };
        expect(decide(docs, shouted)).toEqual(decide(docs, request));
      }),
    );
  });

  it('the deciding statement exists, has the decided effect, and applies alone', () => {
    fc.assert(
      fc.property(fc.array(documentArb, { minLength: 1, maxLength: 3 }), requestArb, (docs, request) => {
        const d = decide(docs, request);
        if (d.effect === 'noMatch') return;
        const s = d.statement;
        if (!s) throw new Error('allow/deny without a statement');
        expect(s.effect.toLowerCase()).toBe(d.effect);
        const doc = docs[Number(s.policyName.slice(1))];
        const statement = doc?.Statement[s.index];
        if (!statement) throw new Error('deciding statement not found');
        const alone = decide([{ Version: '1', Statement: [statement] }], request);
        expect(alone.effect).toBe(d.effect);
      }),
    );
  });

  it('a compiled set answers the same as a fresh one after many different actions (memo is transparent)', () => {
    fc.assert(
      fc.property(documentArb, fc.array(requestArb, { minLength: 1, maxLength: 30 }), (doc, requests) => {
        const shared = compilePolicies([custom(doc)]);
        for (let i = 0; i < 600; i++) evaluate(shared, { ...listUsers, action: `zzz:Filler${i}` });
        for (const request of requests) {
          expect(evaluate(shared, request)).toEqual(evaluate(compilePolicies([custom(doc)]), request));
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('evaluate: deny first', () => {
  it('returns the same Decision object for the same statement (no allocation per call)', () => {
    const set = compilePolicies([
      custom(parsed('{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')),
    ]);
    expect(evaluate(set, listUsers)).toBe(evaluate(set, { ...listUsers, action: 'ram:GetUser' }));
  });

  it('reports System policies as System', () => {
    const doc = parsed('{"Version":"1","Statement":[{"Effect":"Deny","Action":"ram:*","Resource":"*"}]}');
    const set = compilePolicies([{ policyName: 'Guard', policyType: 'System', document: doc }]);
    expect(evaluate(set, listUsers)).toEqual({
      effect: 'deny',
      statement: { policyName: 'Guard', policyType: 'System', index: 0, effect: 'Deny' },
    });
  });

  it('matches * across : and / in resources', () => {
    const doc = parsed(
      '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"acs:ram:*"}]}'.replace(
        'acs:ram:*',
        'acs:*:*:*:*',
      ),
    );
    expect(decide([doc], { ...listUsers, resource: 'acs:ram::1234567890123456:user/a/b:c' }).effect).toBe(
      'allow',
    );
  });
});

describe('evaluate: fails closed on what the request lacks or garbles', () => {
  const guarded = parsed(
    JSON.stringify({
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { NotIpAddress: { 'acs:SourceIp': '10.0.0.0/8' } },
        },
      ],
    }),
  );

  it.each([
    ['an empty source IP', ''],
    ['a source IP with a zone', 'fe80::1%eth0'],
    ['a shorthand IPv4 source', '10.1'],
    ['a hostname', 'office.example.com'],
  ])('a Deny on NotIpAddress applies to %s', (_what, sourceIp) => {
    expect(decide([guarded], { ...listUsers, context: { ...CONTEXT, sourceIp } }).effect).toBe('deny');
  });

  it('never throws for requests of the wrong shape, and never allows them under a conditional Allow', () => {
    const conditional = parsed(
      '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"0.0.0.0/0"}}}]}',
    );
    const set = compilePolicies([custom(conditional)]);
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        const d = evaluate(set, junk as AuthorizationRequest);
        expect(d.effect).not.toBe('allow');
        const d2 = evaluate(set, {
          action: 'ram:ListUsers',
          resource: '*',
          context: junk,
        } as AuthorizationRequest);
        expect(d2.effect).not.toBe('allow');
      }),
    );
  });

  it('a hand-built document with unknown operators or bad values compiles, and fails closed', () => {
    const bad = (condition: unknown, effect: 'Allow' | 'Deny'): PolicyDocument =>
      ({
        Version: '1',
        Statement: [{ Effect: effect, Action: ['*'], Resource: ['*'], Condition: condition }],
      }) as PolicyDocument;
    const conditions: unknown[] = [
      { StringEqualsIfExists: { 'acs:UserAgent': ['x'] } },
      { IpAddress: { 'acs:SourceIp': ['not-a-cidr'] } },
      { IpAddress: { 'acs:UserAgent': ['10.0.0.0/8'] } },
      { Bool: { 'acs:SecureTransport': [5] } },
      { NumericEquals: { 'acs:CurrentTime': 'not-a-list' } },
      { DateLessThan: null },
      { StringEquals: { 'acs:UserAgent': [] } },
      { IpAddress: {} },
      {},
    ];
    for (const condition of conditions) {
      expect(decide([bad(condition, 'Allow')], listUsers).effect).toBe('noMatch');
      expect(decide([bad(condition, 'Deny')], listUsers).effect).toBe('deny');
    }
  });

  it('a hand-built statement with an unknown Effect counts as a Deny', () => {
    const doc = {
      Version: '1',
      Statement: [{ Effect: 'allow', Action: ['*'], Resource: ['*'] }],
    } as unknown as PolicyDocument;
    expect(decide([doc], listUsers)).toMatchObject({ effect: 'deny', statement: { effect: 'Deny' } });
  });

  it('gives noMatch, not allow, to a request without an action or resource, even under Allow *', () => {
    const set = compilePolicies([
      custom(parsed('{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')),
    ]);
    for (const request of [
      { ...listUsers, action: '' },
      { ...listUsers, resource: '' },
      { ...listUsers, action: 42 },
      { context: CONTEXT },
      null,
    ]) {
      expect(evaluate(set, request as AuthorizationRequest)).toEqual({ effect: 'noMatch' });
    }
  });

  it('recompiles a hand-built document that is not frozen, since it may have changed', () => {
    const statement = { Effect: 'Allow', Action: ['*'], Resource: ['*'] };
    const doc = { Version: '1', Statement: [statement] } as unknown as PolicyDocument;
    expect(decide([doc], listUsers).effect).toBe('allow');
    statement.Effect = 'Deny';
    expect(decide([doc], listUsers).effect).toBe('deny');
  });

  it('shares the compiled statements of one parsed document between sets, names kept apart', () => {
    const doc = parsed(
      '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:List*","Resource":"*"}]}',
    );
    const a = evaluate(compilePolicies([custom(doc, 'first')]), listUsers);
    const b = evaluate(compilePolicies([custom(doc, 'second')]), listUsers);
    expect(a.statement?.policyName).toBe('first');
    expect(b.statement?.policyName).toBe('second');
  });

  it('evaluates arbitrary contexts without throwing', () => {
    fc.assert(
      fc.property(documentArb, contextArb, (doc, context) => {
        expect(['allow', 'deny', 'noMatch']).toContain(decide([doc], { ...listUsers, context }).effect);
      }),
    );
  });
});
