// The service document as Ramkey holds it after parsing: a platform team's own API, its hosts and path
// prefixes, and its actions with their read/write flags, routes and resource patterns. Wire names kept.

/**
 * The longest service document accepted, in characters (Unicode code points): the largest value an
 * RPC parameter may carry (MAX_PARAMETER_VALUE_LENGTH), so that any document that parses can also
 * be sent to CreateService. About 200 actions of 80 characters fit.
 */
export const MAX_SERVICE_DOCUMENT_LENGTH = 16_384;
/** Actions per service. */
export const MAX_SERVICE_ACTIONS = 200;
/** Entries of `Hosts`, and of `PathPrefixes`. */
export const MAX_SERVICE_HOSTS = 20;
export const MAX_SERVICE_PATH_PREFIXES = 20;
/** Resource patterns per action. */
export const MAX_ACTION_RESOURCES = 10;
/** Characters of a substituted resource variable (a path segment or query parameter). */
export const MAX_RESOURCE_VARIABLE_LENGTH = 128;

/** The variable that stands for the calling account's ID in a resource pattern. */
export const ACCOUNT_ID_VARIABLE = 'AccountId';

export type ServiceHttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
export const SERVICE_HTTP_METHODS: readonly ServiceHttpMethod[] = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
];

/** One action of a service, normalized: `Resource` is always a list (`["*"]` when left out). */
export interface ServiceActionDefinition {
  /** `^[A-Za-z][A-Za-z0-9]{0,63}$`, unique in the service regardless of case; policies name it `<code>:<Name>`. */
  readonly Name: string;
  /** The action's read/write flag: ActionTrail's eventRW, and what `ramkey:ActionAccess` tests. */
  readonly Access: 'Read' | 'Write';
  /**
   * The route that selects the action (both or neither): the request's method, and its path below
   * the matched prefix as a template of literal and `{Var}` segments. Without a route the action is
   * RPC-style: selected by the `x-acs-action` the request names.
   */
  readonly Method?: ServiceHttpMethod;
  readonly Path?: string;
  /** ARN patterns with `${AccountId}` and `${Var}` (a path variable, else a query parameter). */
  readonly Resource: readonly string[];
  /** `High`: refused to a key restricted as suspected leaked. */
  readonly Risk: 'High' | 'Standard';
}

/** A parsed service document. `parseServiceDocument` is the only way untrusted text becomes one. */
export interface ServiceDocument {
  readonly Version: '1';
  /**
   * Lower-case DNS names, or `*.` and a domain (one or more labels in its place); empty: any host.
   * At least one of Hosts and PathPrefixes is not empty.
   */
  readonly Hosts: readonly string[];
  /** `/`-led literal paths without a trailing `/`, matched at segment boundaries; empty: any path. */
  readonly PathPrefixes: readonly string[];
  /** 1 to MAX_SERVICE_ACTIONS, in document order. */
  readonly Actions: readonly ServiceActionDefinition[];
}
