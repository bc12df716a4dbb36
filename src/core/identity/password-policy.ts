// RAM password policies: the account's rules for console passwords, checking a password against
// them, and generating one that satisfies them. The password itself never appears in a result or an error.
import { fail, ok, type Result } from '../errors/ramkey-error.js';
import type { Random } from '../random.js';

/** An account's password policy (RAM SetPasswordPolicy). */
export interface PasswordPolicy {
  minimumPasswordLength: number;
  requireLowercaseCharacters: boolean;
  requireUppercaseCharacters: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
  hardExpiry: boolean;
  maxLoginAttempts: number;
  /** How many previous passwords a new one may not repeat (0: none). */
  passwordReusePrevention: number;
  /** Days a password is valid (0: forever). */
  maxPasswordAge: number;
}

/** The policy of an account that never set one (RAM's defaults). */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minimumPasswordLength: 8,
  requireLowercaseCharacters: false,
  requireUppercaseCharacters: false,
  requireNumbers: false,
  requireSymbols: false,
  hardExpiry: false,
  maxLoginAttempts: 5,
  passwordReusePrevention: 0,
  maxPasswordAge: 0,
};

/** The ranges SetPasswordPolicy accepts. */
export const PASSWORD_POLICY_LIMITS = {
  minimumPasswordLength: { min: 8, max: 32 },
  maxLoginAttempts: { min: 0, max: 32 },
  passwordReusePrevention: { min: 0, max: 24 },
  maxPasswordAge: { min: 0, max: 1095 },
} as const;

/** Longest password accepted, whatever the policy. */
export const MAX_PASSWORD_LENGTH = 128;

/** A password is printable ASCII without spaces; a symbol is any such character but a letter or digit. */
const PRINTABLE = /^[\x21-\x7e]*$/;

/**
 * The password, if it satisfies the policy; otherwise InvalidParameter.Password with the rule it
 * breaks (never the password).
 */
export function checkPassword(policy: PasswordPolicy, password: string): Result<string> {
  const broken = (rule: string) => fail<string>('InvalidParameter.Password', rule);
  if (!PRINTABLE.test(password)) {
    return broken('it may contain only printable ASCII characters, without spaces');
  }
  if (password.length < policy.minimumPasswordLength) {
    return broken(
      `it must be at least ${policy.minimumPasswordLength} characters long (MinimumPasswordLength)`,
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return broken(`it must be at most ${MAX_PASSWORD_LENGTH} characters long`);
  }
  if (policy.requireLowercaseCharacters && !/[a-z]/.test(password)) {
    return broken('it must contain a lowercase letter (RequireLowercaseCharacters)');
  }
  if (policy.requireUppercaseCharacters && !/[A-Z]/.test(password)) {
    return broken('it must contain an uppercase letter (RequireUppercaseCharacters)');
  }
  if (policy.requireNumbers && !/[0-9]/.test(password)) {
    return broken('it must contain a digit (RequireNumbers)');
  }
  if (policy.requireSymbols && !/[^A-Za-z0-9]/.test(password)) {
    return broken('it must contain a symbol (RequireSymbols)');
  }
  return ok(password);
}

/** Length of a generated password when the policy asks for less: about 119 bits or more. */
const GENERATED_MIN_LENGTH = 20;
const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
/** Symbols that need no quoting in a shell's double quotes or a JSON string (no quote, `\`, `$`, backtick). */
const SYMBOLS = '!#%&*+-=?@^_~';

/** A uniform integer in [0, n) for n <= 256, by rejection sampling of random bytes (no modulo bias). */
function uniformIndex(random: Random, n: number): number {
  const limit = 256 - (256 % n);
  for (;;) {
    for (const byte of random.bytes(16)) if (byte < limit) return byte % n;
  }
}

/**
 * A new password that satisfies `policy`: at least 20 characters (more if the policy asks), one of
 * each character class the policy requires, the rest uniform over letters and digits (and the
 * symbols when required), shuffled so that the required ones sit anywhere.
 */
export function generatePassword(policy: PasswordPolicy, random: Random): string {
  const length = Math.max(policy.minimumPasswordLength, GENERATED_MIN_LENGTH);
  const pick = (alphabet: string) => alphabet.charAt(uniformIndex(random, alphabet.length));
  const required = [
    ...(policy.requireLowercaseCharacters ? [LOWERCASE] : []),
    ...(policy.requireUppercaseCharacters ? [UPPERCASE] : []),
    ...(policy.requireNumbers ? [DIGITS] : []),
    ...(policy.requireSymbols ? [SYMBOLS] : []),
  ];
  const any = LOWERCASE + UPPERCASE + DIGITS + (policy.requireSymbols ? SYMBOLS : '');
  const chars = [...required.map(pick), ...Array.from({ length: length - required.length }, () => pick(any))];
  // Fisher-Yates.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = uniformIndex(random, i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars.join('');
}
