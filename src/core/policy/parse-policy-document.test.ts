// parsePolicyDocument and serializePolicyDocument: normalization, refusals as values, and the round trip as a property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { documentArb, looseTextArb, requestArb } from '../../../test/vectors/policy/policy-arbitraries.js';
import { isErrorCode } from '../errors/catalog.js';
import {
  compilePolicies,
  evaluate,
  parsePolicyDocument,
  serializePolicyDocument,
  type PolicyDocument,
} from './index.js';

function parsed(text: string): PolicyDocument {
  const r = parsePolicyDocument(text);
  if (!r.ok) throw new Error(`${r.code}: ${String(r.params)}`);
  return r.value;
}

describe('parsePolicyDocument: normalization', () => {
  it('turns single strings and a single statement object into lists', () => {
    expect(
      parsed('{"Version":"1","Statement":{"Effect":"Deny","NotAction":"ram:*","NotResource":"*"}}'),
    ).toEqual({
      Version: '1',
      Statement: [{ Effect: 'Deny', NotAction: ['ram:*'], NotResource: ['*'] }],
    });
  });

  it('spells operators and keys canonically, and keeps values as text', () => {
    const doc = parsed(
      JSON.stringify({
        Version: '1',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'ram:*',
            Resource: '*',
            Condition: {
              numericlessthan: { 'ACS:CURRENTTIME': [1772366400, '1.5'] },
              BOOL: { 'acs:mfapresent': false, 'acs:SecureTransport': 'TRUE' },
              StringLike: { 'acs:useragent': 'Aliyun-*' },
            },
          },
        ],
      }),
    );
    expect(doc.Statement[0]?.Condition).toEqual({
      NumericLessThan: { 'acs:CurrentTime': ['1772366400', '1.5'] },
      Bool: { 'acs:MFAPresent': ['false'], 'acs:SecureTransport': ['true'] },
      StringLike: { 'acs:UserAgent': ['Aliyun-*'] },
    });
  });

  it('keeps action and resource text as written (matching folds case, storage does not)', () => {
    const doc = parsed(
      '{"Version":"1","Statement":[{"Effect":"Allow","Action":"RAM:ListUsers","Resource":"ACS:RAM:*:*:user/Bob"}]}',
    );
    expect(doc.Statement[0]).toMatchObject({ Action: ['RAM:ListUsers'], Resource: ['ACS:RAM:*:*:user/Bob'] });
  });

  it('returns a frozen document', () => {
    const doc = parsed('{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}');
    expect(Object.isFrozen(doc)).toBe(true);
    expect(Object.isFrozen(doc.Statement)).toBe(true);
    expect(Object.isFrozen(doc.Statement[0])).toBe(true);
    expect(Object.isFrozen(doc.Statement[0]?.Action)).toBe(true);
  });

  it('refuses input that is not a string, as a value', () => {
    expect(parsePolicyDocument(42 as unknown as string)).toEqual({
      ok: false,
      code: 'MalformedPolicyDocument',
      params: ['the document must be a string.'],
    });
  });

  it('names the element at fault, as the example in the grammar does', () => {
    const r = parsePolicyDocument(
      '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Maybe","Action":"*","Resource":"*"}]}',
    );
    expect(r).toEqual({
      ok: false,
      code: 'MalformedPolicyDocument',
      params: ['Statement[1].Effect must be "Allow" or "Deny".'],
    });
  });

  it('cuts long keys short in messages', () => {
    const key = 'K'.repeat(500);
    const r = parsePolicyDocument(`{"Version":"1","${key}":1,"Statement":[]}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.params?.[0]?.length).toBeLessThan(200);
  });
});

describe('serializePolicyDocument', () => {
  it('writes elements in a fixed order and lists as arrays', () => {
    const doc = parsed(
      '{"Statement":{"Condition":{"Bool":{"acs:SecureTransport":true}},"Resource":"*","Action":"ram:Get*","Effect":"Allow"},"Version":"1"}',
    );
    expect(serializePolicyDocument(doc)).toBe(
      '{"Version":"1","Statement":[{"Effect":"Allow","Action":["ram:Get*"],"Resource":["*"],"Condition":{"Bool":{"acs:SecureTransport":["true"]}}}]}',
    );
  });

  it('pretty-prints on request', () => {
    const doc = parsed('{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}');
    expect(serializePolicyDocument(doc, { pretty: true })).toContain('\n  "Statement": [\n');
  });
});

describe('parsePolicyDocument: properties', () => {
  it('parse(serialize(p)) deep-equals p for generated valid documents', () => {
    fc.assert(
      fc.property(documentArb, fc.boolean(), (doc, pretty) => {
        expect(parsePolicyDocument(serializePolicyDocument(doc, { pretty }))).toEqual({
          ok: true,
          value: doc,
        });
      }),
    );
  });

  it("RAM's looser spellings parse to the same document as the canonical one", () => {
    fc.assert(
      fc.property(
        documentArb.chain((doc) => fc.tuple(fc.constant(doc), looseTextArb(doc))),
        ([doc, text]) => {
          expect(parsePolicyDocument(text)).toEqual({ ok: true, value: doc });
        },
      ),
    );
  });

  // Security property: whatever arrives, the parser answers with a catalog code or a document that
  // evaluates; it never throws and never yields something evaluation chokes on.
  it('arbitrary JSON either fails to parse with a catalog code or evaluates without throwing', () => {
    const outcomes = { parsed: 0, refused: 0 };
    const policyish = fc.dictionary(
      fc.constantFrom(
        'Version',
        'Statement',
        'Effect',
        'Action',
        'Resource',
        'Condition',
        'Sid',
        'NotAction',
      ),
      fc.oneof(
        fc.constantFrom('1', 'Allow', 'Deny', '*', 'ram:*', 'acs:ram:*:*:user/*'),
        fc.array(
          fc.dictionary(
            fc.constantFrom('Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'),
            fc.oneof(
              fc.constantFrom('Allow', 'Deny', '*', 'ram:List*', 'acs:ram:*:*:user/${ram:UserName}'),
              fc.json().map((j) => JSON.parse(j) as unknown),
              fc.constant({ IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } }),
            ),
          ),
          { maxLength: 3 },
        ),
        fc.json().map((j) => JSON.parse(j) as unknown),
      ),
    );
    // Valid documents with one element swapped for arbitrary JSON: these parse often enough to
    // exercise evaluation, and fail in every place the grammar can fail.
    const mutated = fc
      .tuple(
        documentArb,
        fc.nat(),
        fc.constantFrom('Effect', 'Action', 'NotAction', 'Resource', 'Condition', 'Sid'),
        fc.oneof(
          fc.json().map((j) => JSON.parse(j) as unknown),
          fc.constantFrom('Deny', 'Allow', ['ram:*'], '*', 'ram:Get*', { Bool: { 'acs:MFAPresent': true } }),
        ),
      )
      .map(([doc, at, key, value]) => {
        const statements: Record<string, unknown>[] = doc.Statement.map((st) => ({ ...st }));
        const target = statements[at % statements.length];
        if (target) target[key] = value;
        return JSON.stringify({ Version: '1', Statement: statements });
      });
    const texts = fc.oneof(
      fc.json(),
      fc.anything().map((v) => (JSON.stringify(v) as string | undefined) ?? 'undefined'),
      policyish.map((v) => JSON.stringify(v)),
      fc.string(),
      { arbitrary: mutated, weight: 4 },
      documentArb.map((doc) => serializePolicyDocument(doc)),
    );
    fc.assert(
      fc.property(texts, fc.array(requestArb, { minLength: 1, maxLength: 3 }), (text, requests) => {
        const r = parsePolicyDocument(text);
        outcomes[r.ok ? 'parsed' : 'refused']++;
        if (!r.ok) {
          expect(isErrorCode(r.code)).toBe(true);
          expect(['MalformedPolicyDocument', 'InvalidParameter.PolicyDocument.Length']).toContain(r.code);
          return;
        }
        const set = compilePolicies([{ policyName: 'p', policyType: 'Custom', document: r.value }]);
        for (const request of requests) {
          expect(['allow', 'deny', 'noMatch']).toContain(evaluate(set, request).effect);
        }
      }),
      { numRuns: 1000 },
    );
    // Both branches of the property must actually run.
    expect(outcomes.parsed).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  it('accepts the same documents whatever the JSON whitespace', () => {
    fc.assert(
      fc.property(documentArb, fc.constantFrom(' ', '\n', '\t', '\r\n  '), (doc, ws) => {
        const spaced = JSON.stringify(doc, null, ws.includes('\t') ? '\t' : 2).replace(
          /\n/g,
          ws === ' ' ? '\n' : ws,
        );
        expect(parsePolicyDocument(` ${spaced} `)).toEqual({ ok: true, value: doc });
      }),
    );
  });
});
