// WildcardSet and matchesWildcard: `*` and `?` semantics, checked against a regular-expression reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesWildcard, WildcardSet } from './wildcard-set.js';

/** The reference: the same semantics as a RegExp (fine in a test; never built from policy text at runtime). */
function reference(pattern: string, value: string): boolean {
  const source = Array.from(pattern)
    .map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(value);
}

const alphabet = fc.constantFrom('a', 'b', ':', '/');
const patternArb = fc
  .array(fc.oneof(alphabet, fc.constantFrom('*', '?')), { maxLength: 8 })
  .map((cs) => cs.join(''));
const valueArb = fc.array(alphabet, { maxLength: 10 }).map((cs) => cs.join(''));

describe('matchesWildcard', () => {
  it.each([
    ['ram:List*', 'ram:ListUsers', true],
    ['ram:List*', 'ram:Lis', false],
    ['*', '', true],
    ['?', '', false],
    ['ram:Get?ser', 'ram:GetUser', true],
    ['ram:Get?ser', 'ram:GetUUser', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['*:*', 'ram:x', true],
    ['acs:ram:*:*:user/app-*', 'acs:ram::1:user/app-', true],
  ])('%s against %s is %s', (pattern, value, expected) => {
    expect(matchesWildcard(pattern, value)).toBe(expected);
  });

  it('agrees with a regular-expression reference on every pattern and value', () => {
    fc.assert(
      fc.property(patternArb, valueArb, (pattern, value) => {
        expect(matchesWildcard(pattern, value)).toBe(reference(pattern, value));
      }),
      { numRuns: 5000 },
    );
  });

  it('WildcardSet matches when any of its patterns does', () => {
    fc.assert(
      fc.property(fc.array(patternArb, { maxLength: 4 }), valueArb, (patterns, value) => {
        expect(new WildcardSet(patterns).matches(value)).toBe(patterns.some((p) => reference(p, value)));
      }),
      { numRuns: 3000 },
    );
  });

  // Security property: policy text cannot make matching slow (no backtracking blow-up).
  it('stays fast on a hostile pattern and a long value', () => {
    const pattern = `${'a*'.repeat(1000)}b`;
    const value = 'a'.repeat(6000);
    const started = performance.now();
    expect(matchesWildcard(pattern, value)).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
