import { describe, expect, it } from 'vitest';
import { cryptoRandom, type Random } from '../random.js';
import {
  checkPassword,
  DEFAULT_PASSWORD_POLICY,
  generatePassword,
  MAX_PASSWORD_LENGTH,
  type PasswordPolicy,
} from './password-policy.js';

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

/** Randomness that repeats `bytes` over and over. */
function repeating(...bytes: number[]): Random {
  return {
    bytes: (n) => Buffer.from(Array.from({ length: n }, (_, i) => bytes[i % bytes.length] ?? 0)),
    uuid: () => '00000000-0000-4000-8000-000000000000',
  };
}

describe('generatePassword', () => {
  const flags = [
    'requireLowercaseCharacters',
    'requireUppercaseCharacters',
    'requireNumbers',
    'requireSymbols',
  ] as const;
  /** Every combination of the four character-class rules, at the shortest and longest minimum length. */
  const policies: PasswordPolicy[] = [8, 32].flatMap((minimumPasswordLength) =>
    Array.from({ length: 16 }, (_, mask) => ({
      ...DEFAULT_PASSWORD_POLICY,
      minimumPasswordLength,
      ...Object.fromEntries(flags.map((flag, bit) => [flag, (mask & (1 << bit)) !== 0])),
    })),
  );

  it('satisfies every policy, at least 20 characters long, and differs each time', () => {
    for (const policy of policies) {
      const password = generatePassword(policy, cryptoRandom);
      expect(checkPassword(policy, password).ok, JSON.stringify(policy)).toBe(true);
      expect(password).toHaveLength(Math.max(20, policy.minimumPasswordLength));
      if (!policy.requireSymbols) expect(password).toMatch(/^[A-Za-z0-9]+$/);
    }
    expect(generatePassword(DEFAULT_PASSWORD_POLICY, cryptoRandom)).not.toBe(
      generatePassword(DEFAULT_PASSWORD_POLICY, cryptoRandom),
    );
  });

  it('places a character of each required class even when the randomness favours none', () => {
    // Zero bytes pick the first character of every alphabet: 'a' for the rest of the password.
    for (const policy of policies) {
      expect(checkPassword(policy, generatePassword(policy, repeating(0))).ok).toBe(true);
    }
    const all = { ...DEFAULT_PASSWORD_POLICY, ...Object.fromEntries(flags.map((f) => [f, true])) };
    expect(
      Array.from(generatePassword(all, repeating(0)))
        .sort()
        .join(''),
    ).toBe(`!0A${'a'.repeat(17)}`);
  });

  it('drops the bytes that would bias the choice instead of folding them in', () => {
    // 62 characters: bytes from 248 up would favour the first 8 if taken modulo 62.
    expect(generatePassword(DEFAULT_PASSWORD_POLICY, repeating(255, 61))).toBe('9'.repeat(20));
    expect(generatePassword(DEFAULT_PASSWORD_POLICY, repeating(248, 0))).toBe('a'.repeat(20));
  });
});
