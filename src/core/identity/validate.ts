// Validation of identity fields at the edge: names, display names, comments, e-mail, phone, logon names.
// Each `parse*` turns untrusted input into a value or a catalog error (as a Result, never a throw).
import type { ErrorCode } from '../errors/catalog.js';
import { fail, ok, type Result } from '../errors/ramkey-error.js';

const NAME_CHARS = /^[A-Za-z0-9._-]+$/;
/**
 * Control characters (C0, DEL, C1) and Unicode line/paragraph separators are never accepted in text
 * fields: they break logs, CSV exports and terminals.
 */
function hasControlChars(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** Length in Unicode code points, as RAM counts characters (a CJK character is one). */
function codePoints(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

type Field = 'UserName' | 'NewUserName';
type TextField = 'DisplayName' | 'NewDisplayName';
type CommentsField = 'Comments' | 'NewComments';

/** RAM user names: 1-64 characters, letters, digits, `.`, `_`, `-`. */
export function parseUserName(value: string, field: Field = 'UserName'): Result<string> {
  if (value.length < 1 || value.length > 64) return fail(`InvalidParameter.${field}.Length`);
  if (!NAME_CHARS.test(value)) return fail(`InvalidParameter.${field}.InvalidChars`);
  return ok(value);
}

/** Virtual MFA device names: 1-64 characters, letters, digits, `.`, `_`, `-` (RAM's rule). */
export function parseVirtualMfaDeviceName(value: string): Result<string> {
  if (value.length < 1 || value.length > 64) return fail('InvalidParameter.VirtualMFADeviceName.Length');
  if (!NAME_CHARS.test(value)) return fail('InvalidParameter.VirtualMFADeviceName.InvalidChars');
  return ok(value);
}

/** Display names: 1-128 characters of any script, no control characters. */
export function parseDisplayName(value: string, field: TextField = 'DisplayName'): Result<string> {
  if (codePoints(value) > 128 || value.length < 1) return fail(`InvalidParameter.${field}.Length`);
  if (hasControlChars(value)) return fail(`InvalidParameter.${field}.InvalidChars`);
  return ok(value);
}

/** Comments: up to 128 characters, no control characters (reported as a length/format error as RAM does). */
export function parseComments(value: string, field: CommentsField = 'Comments'): Result<string> {
  const code: ErrorCode = `InvalidParameter.${field}.Length`;
  if (codePoints(value) > 128 || hasControlChars(value)) return fail(code);
  return ok(value);
}

export function parseEmail(value: string, field: 'Email' | 'NewEmail' = 'Email'): Result<string> {
  if (value === '') return ok('');
  if (value.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) || hasControlChars(value)) {
    return fail(`InvalidParameter.${field}.Format`);
  }
  return ok(value);
}

/** `<country code>-<number>`, e.g. `86-18600008888`. */
export function parseMobilePhone(
  value: string,
  field: 'MobilePhone' | 'NewMobilePhone' = 'MobilePhone',
): Result<string> {
  if (value === '') return ok('');
  if (!/^\d{1,4}-\d{4,15}$/.test(value)) return fail(`InvalidParameter.${field}.Format`);
  return ok(value);
}

/**
 * IMS logon names: `<userName>@<accountId>.onaliyun.com`. The domain is returned so that the caller
 * can compare it with its own account (another account's name answers like a missing user).
 */
export function parseUserPrincipalName(value: string): Result<{ userName: string; accountId: string }> {
  const match = /^([A-Za-z0-9._-]{1,64})@(\d{16})\.onaliyun\.com$/i.exec(value);
  if (!match?.[1] || !match[2]) return fail('InvalidParameter.UserPrincipalName.Format');
  return ok({ userName: match[1], accountId: match[2] });
}

/** RAM user IDs (IMS `UserId`): 16 digits, not starting with 0. */
export function parseUserId(value: string): Result<string> {
  return /^[1-9]\d{15}$/.test(value) ? ok(value) : fail('InvalidParameter.UserId.Format');
}

/** Group names follow the user-name rules: 1-64 letters, digits, `.`, `_`, `-`. */
export function parseGroupName(
  value: string,
  field: 'GroupName' | 'NewGroupName' = 'GroupName',
): Result<string> {
  if (value.length < 1 || value.length > 64) return fail(`InvalidParameter.${field}.Length`);
  if (!NAME_CHARS.test(value)) return fail(`InvalidParameter.${field}.InvalidChars`);
  return ok(value);
}

/** Policy names: 1-128 letters, digits and `-`. */
export function parsePolicyName(value: string): Result<string> {
  if (value.length < 1 || value.length > 128) return fail('InvalidParameter.PolicyName.Length');
  if (!/^[A-Za-z0-9-]+$/.test(value)) return fail('InvalidParameter.PolicyName.InvalidChars');
  return ok(value);
}

/** Policy descriptions: up to 1,024 characters, no control characters. */
/** Policy descriptions, in characters (code points). */
export const MAX_DESCRIPTION_LENGTH = 1024;

export function parseDescription(
  value: string,
  field: 'Description' | 'NewDescription' = 'Description',
): Result<string> {
  if (codePoints(value) > MAX_DESCRIPTION_LENGTH || hasControlChars(value))
    return fail(`InvalidParameter.${field}.Length`);
  return ok(value);
}

export function parsePolicyType(value: string): Result<'System' | 'Custom'> {
  return value === 'System' || value === 'Custom' ? ok(value) : fail('InvalidParameter.PolicyType');
}

export function parseVersionId(value: string): Result<string> {
  return /^v[1-9]\d{0,8}$/.test(value) ? ok(value) : fail('InvalidParameter.VersionId.Format');
}
