import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateAccessKeyId, generateAccessKeySecret } from '../keys/key-id.js';
import { cryptoRandom } from '../random.js';
import {
  ACTION_NAME,
  API_VERSION,
  MAX_AUDITED_TOTAL_CHARS,
  MAX_AUDITED_VALUE_CHARS,
  auditedAccessKeyId,
  auditedErrorMessage,
  auditedName,
  auditedParameters,
  auditedUserAgent,
} from './event-fields.js';

describe('auditedParameters', () => {
  it('drops credentials whatever their case, and keeps the rest', () => {
    const kept = auditedParameters(
      new Map([
        ['UserName', 'alice'],
        ['Password', 'p'],
        ['newpassword', 'p'],
        ['AccessKeySecret', 's'],
        ['SecurityToken', 't'],
        ['Signature', 'x'],
        ['X-Authorization', 'a'],
        ['SessionCookie', 'c'],
        ['AuthenticationCode1', '123456'],
        ['authenticationcode2', '654321'],
        ['Base32StringSeed', 'MZXW6'],
        ['SerialNumber', 'acs:ram::1:mfa/d'],
        ['NextToken', 'n'],
        ['LookupAttribute.1.Key', 'EventName'],
      ]),
    );
    expect(kept).toEqual({
      UserName: 'alice',
      SerialNumber: 'acs:ram::1:mfa/d',
      NextToken: 'n',
      'LookupAttribute.1.Key': 'EventName',
    });
  });

  it('drops names that are not plain parameter names, bounds values and counts', () => {
    const params = new Map<string, string>([
      ['a><b', 'x'],
      ['1abc', 'x'],
      ['', 'x'],
      ['PolicyDocument', 'd'.repeat(MAX_AUDITED_VALUE_CHARS + 5)],
    ]);
    for (let i = 0; i < 100; i++) params.set(`P${String(i)}`, 'v');
    const kept = auditedParameters(params);
    expect(Object.keys(kept)).toHaveLength(64);
    expect(kept['a><b']).toBeUndefined();
    expect(kept.PolicyDocument).toBe(`${'d'.repeat(MAX_AUDITED_VALUE_CHARS)}...(truncated)`);
  });

  it('keeps at most the total it is given across all values', () => {
    const params = new Map(Array.from({ length: 10 }, (_, i) => [`P${String(i)}`, 'v'.repeat(5000)]));
    const kept = auditedParameters(params);
    const total = Object.values(kept).reduce((n, v) => n + v.length, 0);
    expect(total).toBeLessThanOrEqual(MAX_AUDITED_TOTAL_CHARS + 2 * '...(truncated)'.length);
    expect(Object.keys(kept)).toEqual(['P0', 'P1', 'P2', 'P3']);
    expect(auditedParameters(params, 100)).toEqual({ P0: `${'v'.repeat(100)}...(truncated)` });
  });

  it('never keeps a value under a secret-looking name (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'Password',
          'OldPassword',
          'AccessKeySecret',
          'ClientSecret',
          'Signature',
          'SecurityToken',
        ),
        fc.string(),
        (name, value) => Object.keys(auditedParameters(new Map([[name, value]]))).length === 0,
      ),
    );
  });
});

describe('auditedAccessKeyId', () => {
  it('keeps a well-formed ID and masks anything else, such as a secret in the wrong field', () => {
    const id = generateAccessKeyId(cryptoRandom);
    expect(auditedAccessKeyId(id)).toBe(id);
    const secret = generateAccessKeySecret(cryptoRandom);
    expect(auditedAccessKeyId(secret)).toBe(`${secret.slice(0, 4)}****`);
    expect(auditedAccessKeyId(`${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`)).toMatch(/^LTAI\*{4}$/);
    expect(auditedAccessKeyId('\u001b[31m')).toBe('?[31****');
    expect(auditedAccessKeyId('')).toBe('');
  });
});

describe('names, user agents and messages', () => {
  it('keeps plain action and version names only', () => {
    expect(auditedName('CreateUser', ACTION_NAME)).toBe('CreateUser');
    expect(auditedName('Create<User>', ACTION_NAME)).toBe('(invalid)');
    expect(auditedName('2015-05-01', API_VERSION)).toBe('2015-05-01');
    expect(auditedName('v1', API_VERSION)).toBe('(invalid)');
    expect(auditedName('', ACTION_NAME)).toBe('');
  });

  it('bounds user agents and messages, and neutralises control characters', () => {
    expect(auditedUserAgent(undefined)).toBe('');
    expect(auditedUserAgent('sdk\r\nX-Injected: 1')).toBe('sdk??X-Injected: 1');
    expect(auditedUserAgent('u'.repeat(600))).toHaveLength(512 + '...(truncated)'.length);
    expect(auditedErrorMessage('m'.repeat(2000))).toHaveLength(1024 + '...(truncated)'.length);
  });
});
