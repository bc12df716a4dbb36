// The policy vectors and corpus: every vector decides as reviewed, every accepted shape parses, every refusal refuses.
import { describe, expect, it } from 'vitest';
import {
  loadAcceptedCorpus,
  loadMalformedCorpus,
  loadPolicyVectors,
  toRequestContext,
  type PolicyVector,
} from '../../../test/vectors/policy/load-policy-vectors.js';
import { formatMessage, isErrorCode } from '../errors/catalog.js';
import {
  CONDITION_OPERATORS,
  compilePolicies,
  evaluate,
  MAX_POLICY_DOCUMENT_LENGTH,
  parsePolicyDocument,
  serializePolicyDocument,
  systemPolicies,
  type AuthorizationRequest,
  type PolicyInput,
} from './index.js';

const vectors = loadPolicyVectors();
const accepted = loadAcceptedCorpus();
const malformed = loadMalformedCorpus();

function toInputs(v: PolicyVector): PolicyInput[] {
  return v.policies.map((p) => {
    if (p.document === undefined) {
      const system = systemPolicies.get(p.policyName);
      if (!system) throw new Error(`${v.id}: no system policy ${p.policyName}`);
      return { policyName: p.policyName, policyType: p.policyType, document: system.document };
    }
    const parsed = parsePolicyDocument(JSON.stringify(p.document));
    if (!parsed.ok) throw new Error(`${v.id}: ${p.policyName} does not parse: ${String(parsed.params)}`);
    return { policyName: p.policyName, policyType: p.policyType, document: parsed.value };
  });
}

function toRequest(v: PolicyVector): AuthorizationRequest {
  // The context may lack fields on purpose (missing condition keys), so it is cast, not checked.
  return {
    ...v.request,
    context: toRequestContext(v.request.context) as unknown as AuthorizationRequest['context'],
  };
}

describe('policy vectors', () => {
  it('has a vector for every condition operator, allowing and not', () => {
    for (const operator of Object.keys(CONDITION_OPERATORS)) {
      const using = vectors.filter((v) =>
        v.policies.some((p) =>
          JSON.stringify(p.document ?? {})
            .toLowerCase()
            .includes(`"${operator.toLowerCase()}"`),
        ),
      );
      const effects = new Set(using.map((v) => v.expected.effect));
      expect([operator, effects.has('allow') || effects.has('deny')]).toEqual([operator, true]);
      expect([operator, effects.has('noMatch') || effects.size > 1]).toEqual([operator, true]);
    }
  });

  describe.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    it(`decides ${v.expected.effect}`, () => {
      const decision = evaluate(compilePolicies(toInputs(v)), toRequest(v));
      expect(decision).toEqual(v.expected);
    });
  });
});

describe('policy corpus: accepted documents keep parsing', () => {
  it('has documents', () => {
    expect(accepted.length).toBeGreaterThanOrEqual(10);
  });

  describe.each(accepted.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    it('parses, and its canonical form parses to the same document', () => {
      const parsed = parsePolicyDocument(c.text);
      if (!parsed.ok) throw new Error(`${c.id}: ${parsed.code} ${String(parsed.params)}`);
      expect(parsePolicyDocument(serializePolicyDocument(parsed.value))).toEqual(parsed);
    });
  });

  it('accepts a document of exactly MAX_POLICY_DOCUMENT_LENGTH characters, and refuses one more', () => {
    const base = '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
    const atLimit = base + ' '.repeat(MAX_POLICY_DOCUMENT_LENGTH - base.length);
    expect(parsePolicyDocument(atLimit).ok).toBe(true);
    expect(parsePolicyDocument(atLimit + ' ')).toEqual({
      ok: false,
      code: 'InvalidParameter.PolicyDocument.Length',
    });
  });

  it('counts characters, not UTF-16 units: 6144 CJK characters are within the limit', () => {
    const base =
      '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"acs:ram:*:*:user/"}]}';
    const name = '𠀀'.repeat(MAX_POLICY_DOCUMENT_LENGTH - base.length); // astral: 2 UTF-16 units each
    const text = base.replace('user/', `user/${name}`);
    expect(text.length).toBeGreaterThan(MAX_POLICY_DOCUMENT_LENGTH);
    expect(parsePolicyDocument(text).ok).toBe(true);
  });
});

describe('policy corpus: malformed documents are refused', () => {
  it('has cases', () => {
    expect(malformed.length).toBeGreaterThanOrEqual(50);
  });

  describe.each(malformed.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    it(`is refused with ${c.code}`, () => {
      const result = parsePolicyDocument(c.text);
      if (result.ok) throw new Error(`${c.id} was accepted (${c.why})`);
      expect(result.code).toBe(c.code);
      expect(isErrorCode(result.code)).toBe(true);
      expect(formatMessage(result.code, result.params)).toContain(c.messageIncludes);
    });
  });
});
