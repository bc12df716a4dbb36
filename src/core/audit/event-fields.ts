// What an audit event may keep of a request. Everything here comes from the caller and may be
// hostile or mistaken, so each field is bounded, and nothing secret survives: no signature, no
// secret, no password, and no claimed AccessKey ID that could be a secret pasted in the wrong place.
import { isAccessKeyId } from '../keys/key-id.js';

/** Longest parameter value kept (a policy document, the largest legitimate value, is at most 6,144). */
export const MAX_AUDITED_VALUE_CHARS = 8192;
const MAX_AUDITED_PARAMETERS = 64;
const MAX_USER_AGENT_CHARS = 512;
const MAX_ERROR_MESSAGE_CHARS = 1024;

/**
 * Parameter names never kept: credentials of any kind, whatever their case. MFA authentication codes
 * count: one is a working credential for up to a minute, and two consecutive ones bind a device.
 */
const SECRET_NAME =
  /password|secret|signature|securitytoken|authorization|cookie|session|authenticationcode|seed|qrcode/i;

/** Names kept: plain parameter names only (they become XML element names in LookupEvents). */
const PARAMETER_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;

/** All parameter values of one event together, at most (the largest legitimate request stays whole). */
export const MAX_AUDITED_TOTAL_CHARS = 16_384;

/**
 * The request's business parameters as the event keeps them: secrets dropped, odd names dropped,
 * each value bounded, at most 64 parameters and `maxTotalChars` of values in all.
 */
export function auditedParameters(
  params: ReadonlyMap<string, string>,
  maxTotalChars = MAX_AUDITED_TOTAL_CHARS,
): Record<string, string> {
  const kept: Record<string, string> = {};
  let count = 0;
  let left = maxTotalChars;
  for (const [name, value] of params) {
    if (SECRET_NAME.test(name) || !PARAMETER_NAME.test(name)) continue;
    if (++count > MAX_AUDITED_PARAMETERS || left <= 0) break;
    const keptValue = bounded(value, Math.min(MAX_AUDITED_VALUE_CHARS, left));
    kept[name] = keptValue;
    left -= keptValue.length;
  }
  return kept;
}

/** The approximate memory an event's text takes, for bounding buffers. */
export function approximateEventSize(
  fields: readonly string[],
  params: Readonly<Record<string, string>>,
): number {
  let size = 256;
  for (const field of fields) size += field.length;
  for (const [name, value] of Object.entries(params)) size += name.length + value.length;
  return size * 2;
}

/**
 * The key ID a call claimed, as the event keeps it: a well-formed Ramkey ID (its checksum holds)
 * whole; anything else only as its first four characters, masked, because a malformed "ID" is
 * sometimes a secret put in the wrong field.
 */
export function auditedAccessKeyId(claimed: string): string {
  if (claimed === '') return '';
  if (isAccessKeyId(claimed)) return claimed;
  return `${printable(claimed.slice(0, 4))}****`;
}

/** An action or version name as claimed; anything that is not a plain name is kept as `(invalid)`. */
export function auditedName(claimed: string, pattern: RegExp): string {
  if (claimed === '') return '';
  return pattern.test(claimed) ? claimed : '(invalid)';
}

export const ACTION_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
export const API_VERSION = /^\d{4}-\d{2}-\d{2}$/;

export function auditedUserAgent(userAgent: string | undefined): string {
  return userAgent === undefined ? '' : printable(bounded(userAgent, MAX_USER_AGENT_CHARS));
}

export function auditedErrorMessage(message: string): string {
  return bounded(message, MAX_ERROR_MESSAGE_CHARS);
}

function bounded(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}...(truncated)`;
}

/** Control characters replaced, so that an event printed to a terminal cannot drive it. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '?');
}
