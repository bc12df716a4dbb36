// parseServiceDocument: turns untrusted service document text into a normalized ServiceDocument or a
// catalog error naming the field at fault.
//
// It fails closed like the policy parser: strict JSON (duplicate keys refused), and any key it does
// not know, anywhere, is refused rather than ignored: an ignored `Reource` would leave an action
// authorized on `*`, an ignored `Rsik` would let a leaked key call what its author meant to protect.
import { asciiLower } from '../ascii-case.js';
import { fail, ok, type Result } from '../errors/ramkey-error.js';
import {
  isJsonObject,
  parseStrictJson,
  quote,
  type JsonObject,
  type JsonValue,
} from '../policy/strict-json.js';
import {
  MAX_ACTION_RESOURCES,
  MAX_SERVICE_ACTIONS,
  MAX_SERVICE_DOCUMENT_LENGTH,
  MAX_SERVICE_HOSTS,
  MAX_SERVICE_PATH_PREFIXES,
  SERVICE_HTTP_METHODS,
  type ServiceActionDefinition,
  type ServiceDocument,
  type ServiceHttpMethod,
} from './service-document.js';
import {
  readHost,
  readPathPrefix,
  readPathTemplate,
  readResourcePattern,
  type Reading,
} from './templates.js';

const TOP_LEVEL_KEYS = ['Version', 'Hosts', 'PathPrefixes', 'Actions'];
const ACTION_KEYS = ['Name', 'Access', 'Method', 'Path', 'Resource', 'Risk'];
const ACTION_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

class Malformed extends Error {}

function malformed(message: string): never {
  throw new Malformed(message);
}

/**
 * Parses and validates a service document (CreateService's `ServiceDocument`).
 *
 * Normalized: `Resource` as a string becomes a one-element list, and `["*"]` when left out; `Risk`
 * left out is `Standard`; `Hosts` and `PathPrefixes` left out are empty lists (any host, any path).
 * Refused: text longer than {@link MAX_SERVICE_DOCUMENT_LENGTH} or empty
 * (`InvalidParameter.ServiceDocument.Length`); everything else that is not exactly the grammar
 * (`MalformedServiceDocument`, the message naming the field). Store the text as sent (GetService
 * returns it verbatim); the parsed value is what resolution uses.
 *
 * @example
 * const r = parseServiceDocument(
 *   '{"Version":"1","Hosts":["orders.example.com"],"Actions":[{"Name":"GetOrder","Access":"Read","Method":"GET","Path":"/orders/{OrderId}","Resource":"acs:orders:*:${AccountId}:order/${OrderId}"}]}',
 * );
 * // r.ok && r.value.Actions[0].Resource => ['acs:orders:*:${AccountId}:order/${OrderId}']
 */
export function parseServiceDocument(text: string): Result<ServiceDocument> {
  if (typeof text !== 'string') return fail('MalformedServiceDocument', 'the document must be a string.');
  const length = codePointLength(text);
  if (length === 0 || length > MAX_SERVICE_DOCUMENT_LENGTH) {
    return fail('InvalidParameter.ServiceDocument.Length', String(MAX_SERVICE_DOCUMENT_LENGTH));
  }
  const json = parseStrictJson(text);
  if (!json.ok) return fail('MalformedServiceDocument', `invalid JSON: ${json.message}.`);
  try {
    return ok(toDocument(json.value));
  } catch (e) {
    if (e instanceof Malformed) return fail('MalformedServiceDocument', e.message);
    throw e;
  }
}

/** Length in code points; text of more than twice the limit in UTF-16 units is plainly too long. */
function codePointLength(text: string): number {
  if (text.length > 2 * MAX_SERVICE_DOCUMENT_LENGTH) return text.length;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

function toDocument(value: JsonValue): ServiceDocument {
  if (!isJsonObject(value)) malformed('the document must be a JSON object.');
  rejectUnknownKeys(value, TOP_LEVEL_KEYS, 'the document');
  const version = value.get('Version');
  if (version === undefined) malformed('Version is required.');
  if (version !== '1') malformed('Version must be "1".');
  const hosts = optionalList(value, 'Hosts', MAX_SERVICE_HOSTS, readHost);
  const prefixes = optionalList(value, 'PathPrefixes', MAX_SERVICE_PATH_PREFIXES, readPathPrefix);
  if (hosts.length === 0 && prefixes.length === 0) {
    malformed(
      "at least one of Hosts and PathPrefixes is required: they say which requests are the service's.",
    );
  }
  const actions = value.get('Actions');
  if (actions === undefined) malformed('Actions is required.');
  if (!Array.isArray(actions)) malformed('Actions must be an array of action objects.');
  const list = actions as readonly JsonValue[];
  if (list.length === 0 || list.length > MAX_SERVICE_ACTIONS) {
    malformed(`Actions must hold 1 to ${String(MAX_SERVICE_ACTIONS)} actions.`);
  }
  const parsed = list.map((a, i) => toAction(a, `Actions[${String(i)}]`));
  checkUniqueNames(parsed);
  checkDistinctRoutes(parsed);
  return Object.freeze({
    Version: '1',
    Hosts: Object.freeze(hosts),
    PathPrefixes: Object.freeze(prefixes),
    Actions: Object.freeze(parsed),
  });
}

/**
 * `Hosts` or `PathPrefixes`: absent (an empty list: anything), or a non-empty array of distinct
 * strings each `read` accepts. An empty array is refused: it would look like a restriction.
 */
function optionalList(
  doc: JsonObject,
  key: string,
  max: number,
  read: (text: string) => Reading<unknown>,
): string[] {
  const value = doc.get(key);
  if (value === undefined) return [];
  if (!Array.isArray(value)) malformed(`${key} must be an array of strings.`);
  const list = value as readonly JsonValue[];
  if (list.length === 0) malformed(`${key} must not be empty (leave it out to match any).`);
  if (list.length > max) malformed(`${key} must hold at most ${String(max)} entries.`);
  const seen = new Set<string>();
  return list.map((item, i) => {
    const path = `${key}[${String(i)}]`;
    if (typeof item !== 'string') malformed(`${path} must be a string.`);
    const r = read(item);
    if (!r.ok) malformed(`${path} ${quote(item)} ${r.problem}.`);
    if (seen.has(item)) malformed(`${path} ${quote(item)} is listed twice.`);
    seen.add(item);
    return item;
  });
}

function toAction(value: JsonValue, path: string): ServiceActionDefinition {
  if (!isJsonObject(value)) malformed(`${path} must be an object.`);
  rejectUnknownKeys(value, ACTION_KEYS, path);
  const name = value.get('Name');
  if (name === undefined) malformed(`${path}.Name is required.`);
  if (typeof name !== 'string' || !ACTION_NAME.test(name)) {
    malformed(`${path}.Name must be a letter followed by up to 63 letters and digits.`);
  }
  // Past the name, each message names the action too: an index alone is hard to find in 200.
  const bad: (field: string, message: string) => never = (field, message) =>
    malformed(`${path}.${field} ${message} (action ${quote(name)}).`);
  const access = value.get('Access');
  if (access !== 'Read' && access !== 'Write') bad('Access', 'must be "Read" or "Write"');

  const method = value.get('Method');
  const template = value.get('Path');
  if ((method === undefined) !== (template === undefined)) {
    bad('Method', 'and Path go together: both (a route) or neither (an RPC-style action)');
  }
  let route: { Method: ServiceHttpMethod; Path: string } | undefined;
  if (method !== undefined) {
    if (typeof method !== 'string' || !(SERVICE_HTTP_METHODS as readonly string[]).includes(method)) {
      bad('Method', `must be one of ${SERVICE_HTTP_METHODS.join(', ')}`);
    }
    if (typeof template !== 'string') bad('Path', 'must be a string');
    const segments = readPathTemplate(template);
    if (!segments.ok) bad('Path', `${quote(template)} ${segments.problem}`);
    route = { Method: method as ServiceHttpMethod, Path: template };
  }

  // A `${Var}` that is no path variable of the action is read from the query, so any name reads.
  const raw = value.get('Resource');
  const resources = toResources(raw, (field, message) => bad(field, message));
  for (const [i, r] of resources.entries()) {
    const parts = readResourcePattern(r);
    if (!parts.ok)
      bad(typeof raw === 'string' ? 'Resource' : `Resource[${String(i)}]`, `${quote(r)} ${parts.problem}`);
  }

  const risk = value.get('Risk');
  if (risk !== undefined && risk !== 'High' && risk !== 'Standard')
    bad('Risk', 'must be "High" or "Standard"');
  return Object.freeze({
    Name: name,
    Access: access,
    ...(route ?? {}),
    Resource: Object.freeze(resources),
    Risk: risk ?? 'Standard',
  });
}

/** `Resource`: absent (`*`), a string, or a non-empty array of at most MAX_ACTION_RESOURCES strings. */
function toResources(value: JsonValue | undefined, bad: (field: string, message: string) => never): string[] {
  if (value === undefined) return ['*'];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) bad('Resource', 'must be a string or an array of strings');
  const list = value as readonly JsonValue[];
  if (list.length === 0 || list.length > MAX_ACTION_RESOURCES) {
    bad('Resource', `must hold 1 to ${String(MAX_ACTION_RESOURCES)} resources`);
  }
  return list.map((item, i) => {
    if (typeof item !== 'string') bad(`Resource[${String(i)}]`, 'must be a string');
    return item;
  });
}

/** Names are unique regardless of case: policies match `orders:getorder` and `orders:GetOrder` alike. */
function checkUniqueNames(actions: readonly ServiceActionDefinition[]): void {
  const seen = new Map<string, number>();
  actions.forEach((a, i) => {
    const key = asciiLower(a.Name);
    const first = seen.get(key);
    if (first !== undefined) {
      malformed(
        `Actions[${String(i)}].Name ${quote(a.Name)} is already the name of Actions[${String(first)}] (names are unique regardless of case).`,
      );
    }
    seen.set(key, i);
  });
}

/**
 * No two routes of one method may have the same shape (the same literals where both have one,
 * variables in the same places): a request would match both, and which action it is would be a
 * guess. Different shapes may overlap (`/orders/search` and `/orders/{OrderId}`): the one with a
 * literal where the other has a variable, first from the left, wins.
 */
function checkDistinctRoutes(actions: readonly ServiceActionDefinition[]): void {
  const seen = new Map<string, number>();
  actions.forEach((a, i) => {
    if (a.Method === undefined || a.Path === undefined) return;
    const segments = readPathTemplate(a.Path);
    if (!segments.ok) return;
    const shape = `${a.Method} /${segments.value.map((s) => (s.kind === 'literal' ? s.text : '{}')).join('/')}`;
    const first = seen.get(shape);
    if (first !== undefined) {
      malformed(
        `Actions[${String(i)}] (${a.Name}) has the route of Actions[${String(first)}] (${actions[first]?.Name ?? ''}): ${a.Method} ${a.Path}; a request would match both.`,
      );
    }
    seen.set(shape, i);
  });
}

function rejectUnknownKeys(value: JsonObject, allowed: readonly string[], where: string): void {
  for (const key of value.keys()) {
    if (!allowed.includes(key)) {
      malformed(
        `${where} has an unknown key ${quote(key)}; allowed (case-sensitive): ${allowed.join(', ')}.`,
      );
    }
  }
}
