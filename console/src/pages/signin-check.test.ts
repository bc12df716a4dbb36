import { describe, expect, it } from 'vitest';
import { looksLikeAccessKey } from './signin-check';

describe('looksLikeAccessKey', () => {
  it('refuses an AccessKey ID or secret typed as the login name', () => {
    expect(looksLikeAccessKey('LTAI5tAbcdefghijklmnopqr', 'whatever')).toBe(true);
    expect(looksLikeAccessKey('  LTAI1234567890abcdefghij ', 'whatever')).toBe(true);
    expect(looksLikeAccessKey('aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0', 'whatever')).toBe(true);
  });

  it('refuses an AccessKey ID typed as the password', () => {
    expect(looksLikeAccessKey('root@1234567890123456', 'LTAI5tAbcdefghijklmnopqr')).toBe(true);
  });

  it('lets login names through, including ones that start like an ID', () => {
    expect(looksLikeAccessKey('root@1234567890123456', 'correct horse')).toBe(false);
    expect(looksLikeAccessKey('alice@1234567890123456.onaliyun.com', 'pw')).toBe(false);
    expect(looksLikeAccessKey('LTAIsam@1234567890123456.onaliyun.com', 'pw')).toBe(false);
  });
});
