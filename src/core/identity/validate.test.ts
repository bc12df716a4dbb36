import { describe, expect, it } from 'vitest';
import {
  parseComments,
  parseDisplayName,
  parseEmail,
  parseMobilePhone,
  parseUserId,
  parseUserName,
  parseUserPrincipalName,
} from './validate.js';

describe('identity field validation', () => {
  it('accepts RAM user names of letters, digits, dot, dash and underscore up to 64', () => {
    for (const ok of ['a', 'app-1', 'a.b_c', 'x'.repeat(64)]) expect(parseUserName(ok).ok).toBe(true);
    expect(parseUserName('')).toEqual({ ok: false, code: 'InvalidParameter.UserName.Length' });
    expect(parseUserName('x'.repeat(65))).toEqual({ ok: false, code: 'InvalidParameter.UserName.Length' });
    for (const bad of ['my app', '用户', 'a/b', 'a@b', 'tab\t']) {
      expect(parseUserName(bad)).toEqual({ ok: false, code: 'InvalidParameter.UserName.InvalidChars' });
    }
    expect(parseUserName('a b', 'NewUserName')).toEqual({
      ok: false,
      code: 'InvalidParameter.NewUserName.InvalidChars',
    });
  });

  it('accepts display names in any script but no control characters', () => {
    expect(parseDisplayName('App One (测试) *!~').ok).toBe(true);
    expect(parseDisplayName('字'.repeat(128)).ok).toBe(true);
    expect(parseDisplayName('字'.repeat(129))).toEqual({
      ok: false,
      code: 'InvalidParameter.DisplayName.Length',
    });
    expect(parseDisplayName('a\nb')).toEqual({
      ok: false,
      code: 'InvalidParameter.DisplayName.InvalidChars',
    });
    expect(parseComments('c'.repeat(129))).toEqual({ ok: false, code: 'InvalidParameter.Comments.Length' });
  });

  it('checks e-mail and phone formats', () => {
    expect(parseEmail('ops@example.com').ok).toBe(true);
    expect(parseEmail('not-an-email')).toEqual({ ok: false, code: 'InvalidParameter.Email.Format' });
    expect(parseMobilePhone('86-18600008888').ok).toBe(true);
    expect(parseMobilePhone('18600008888')).toEqual({
      ok: false,
      code: 'InvalidParameter.MobilePhone.Format',
    });
  });

  it('splits a logon name into user name and account ID', () => {
    expect(parseUserPrincipalName('app@1234567890123456.onaliyun.com')).toEqual({
      ok: true,
      value: { userName: 'app', accountId: '1234567890123456' },
    });
    for (const bad of [
      'app',
      'app@example.com',
      'a b@1234567890123456.onaliyun.com',
      '@1234567890123456.onaliyun.com',
    ]) {
      expect(parseUserPrincipalName(bad).ok).toBe(false);
    }
  });

  it('accepts RAM user IDs of 16 digits only (IMS UserId)', () => {
    expect(parseUserId('2073290024939212')).toEqual({ ok: true, value: '2073290024939212' });
    for (const bad of [
      '0073290024939212',
      '207329002493921',
      '20732900249392123',
      '2073290024939x12',
      ' 2073290024939212',
    ]) {
      expect(parseUserId(bad)).toEqual({ ok: false, code: 'InvalidParameter.UserId.Format' });
    }
  });
});
