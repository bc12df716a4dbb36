// What an audit event may keep of a request. Everything here comes from the caller and may be
// hostile or mistaken, so each field is bounded, and nothing secret survives: no signature, no
// secret, no password, and no claimed AccessKey ID that could be a secret pasted in the wrong place.
import { isAccessKeyId } from '../keys/key-id.js';

/** Longest parameter value kept (a policy document, the largest legitimate value, is at most 6,144). */
export const MAX_AUDITED_VALUE_CHARS = 8192;
const MAX_AUDITED_PARAMETERS = 64;
const MAX_USER_AGENT_CHARS = 512;
const MAX_ERROR_MESSAGE_CHARS = 1024;

/** Parameter names never kept: credentials of any kind, whatever their case. */
const SECRET_NAME = /password|secret|signature|securitytoken|authorization|cookie|session/i;

/** Names kept: plain parameter names only (they become XML element names in LookupEvents). */
const PARAMETER_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;

/**
 * The request's business parameters as the event keeps them: secrets dropped, odd names dropped,
 * values bounded, at most 64.
 */
export function auditedParameters(params: ReadonlyMap<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of params) {
    if (SECRET_NAME.test(name) || !PARAMETER_NAME.test(name)) continue;
    if (++count > MAX_AUDITED_PARAMETERS) break;
    kept[name] = bounded(value, MAX_AUDITED_VALUE_CHARS);
  }
  return kept;
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
