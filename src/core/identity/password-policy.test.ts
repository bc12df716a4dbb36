import { describe, expect, it } from 'vitest';
import { checkPassword, DEFAULT_PASSWORD_POLICY, MAX_PASSWORD_LENGTH } from './password-policy.js';

const strict = {
  ...DEFAULT_PASSWORD_POLICY,
  minimumPasswordLength: 10,
  requireLowercaseCharacters: true,
  requireUppercaseCharacters: true,
  requireNumbers: true,
  requireSymbols: true,
};

/** The rule a password breaks, or 'ok'. */
function verdict(password: string, policy = strict): string {
  const checked = checkPassword(policy, password);
  return checked.ok ? 'ok' : `${checked.code}: ${checked.params?.[0] ?? ''}`;
}

describe('checkPassword', () => {
  it('accepts a password that meets every rule, and any printable one of 8 under the default policy', () => {
    expect(verdict('Abcdefgh1!')).toBe('ok');
    expect(verdict('aaaaaaaa', DEFAULT_PASSWORD_POLICY)).toBe('ok');
    expect(verdict('a'.repeat(MAX_PASSWORD_LENGTH), DEFAULT_PASSWORD_POLICY)).toBe('ok');
  });

  it('names the first rule broken, never the password', () => {
    expect(verdict('Abcdef1!')).toContain('at least 10 characters long (MinimumPasswordLength)');
    expect(verdict('ABCDEFGH1!')).toContain('(RequireLowercaseCharacters)');
    expect(verdict('abcdefgh1!')).toContain('(RequireUppercaseCharacters)');
    expect(verdict('Abcdefghi!')).toContain('(RequireNumbers)');
    expect(verdict('Abcdefghi1')).toContain('(RequireSymbols)');
    expect(verdict('Abcdefghi1')).not.toContain('Abcdefghi1');
    expect(verdict('a'.repeat(MAX_PASSWORD_LENGTH + 1), DEFAULT_PASSWORD_POLICY)).toContain('at most 128');
  });

  it('refuses spaces, control characters and non-ASCII', () => {
    for (const password of ['Abcde fgh1!', 'Abcdefgh1!\n', 'Abcdéfgh1!']) {
      expect(verdict(password)).toMatch(/^InvalidParameter\.Password: it may contain only printable ASCII/);
    }
  });
});
