// Resolution: which custom service a forwarded request is for, which of its actions it is, and the
// concrete resources that action acts on, so that the gate can authorize `<code>:<Action>` on them.
//
// Services are compiled once per change (compileService) and grouped by scope (ServiceCatalog: an
// account's own, the installation's global ones); resolving a request is then pure and synchronous.
// It fails closed: a request that is not plainly one action of one service is refused, never guessed.
import { asciiLower } from '../ascii-case.js';
import { fail, ok, type Result } from '../errors/ramkey-error.js';
import type { ServiceCode } from './service-code.js';
import {
  ACCOUNT_ID_VARIABLE,
  MAX_RESOURCE_VARIABLE_LENGTH,
  type ServiceDocument,
  type ServiceHttpMethod,
} from './service-document.js';
import {
  readHost,
  readPathPrefix,
  readPathTemplate,
  readResourcePattern,
  type ResourcePart,
  type TemplateSegment,
} from './templates.js';

/** What the gateway tells of one request to a customer's API. */
export interface ServiceRequest {
  /** The `Host` the client called; its port, letter case and a trailing `.` are ignored. */
  readonly host: string;
  /** The request method (compared in upper case). */
  readonly method: string;
  /** The path without the query, percent-encoded as sent. */
  readonly path: string;
  /** The query's parameters, decoded: resource patterns may read them. */
  readonly query: ReadonlyMap<string, string>;
  /** The action the request names (`x-acs-action`), if it names one. */
  readonly action: string | undefined;
}

/** One action of a compiled service: its facts for the gate, and how it is matched and resolved. */
export interface CompiledServiceAction {
  readonly service: ServiceCode;
  /** The name as the document spells it. */
  readonly name: string;
  /** `<code>:<Name>`: the name RAM policies grant and deny. */
  readonly authAction: string;
  readonly access: 'Read' | 'Write';
  readonly risk: 'High' | 'Standard';
  /** The route's method; undefined for an RPC-style action (selected by the name a request gives). */
  readonly method: ServiceHttpMethod | undefined;
  /** The route's path below the matched prefix; undefined for an RPC-style action. */
  readonly segments: readonly TemplateSegment[] | undefined;
  /** Each resource pattern, read into literal and variable parts. */
  readonly resources: readonly (readonly ResourcePart[])[];
}

/** A request resolved: the service, the action, and every resource it is authorized on. */
export interface ResolvedServiceRequest {
  readonly service: CompiledService;
  readonly action: CompiledServiceAction;
  /** In the order of the action's `Resource`; each must be allowed. */
  readonly resources: readonly string[];
}

/** A pair a service claims: requests to `host` ('' for any) under `pathPrefix` ('' for any path). */
export interface ServiceRoute {
  readonly host: string;
  readonly pathPrefix: string;
}

/**
 * Every (host, path prefix) pair a document claims: each of its Hosts with each of its PathPrefixes,
 * '' standing for "any" where the list is empty. Two services of one scope must not claim the same
 * pair: a request to it would match both equally.
 */
export function serviceRoutes(document: ServiceDocument): readonly ServiceRoute[] {
  const hosts = document.Hosts.length === 0 ? [''] : document.Hosts;
  const prefixes = document.PathPrefixes.length === 0 ? [''] : document.PathPrefixes;
  return hosts.flatMap((host) => prefixes.map((pathPrefix) => ({ host, pathPrefix })));
}

/** The first pair `document` claims that another service of the same scope claims too. */
export function findRouteConflict(
  document: ServiceDocument,
  others: readonly { readonly code: string; readonly document: ServiceDocument }[],
): (ServiceRoute & { readonly code: string }) | undefined {
  const claimed = new Map<string, string>();
  for (const other of others) {
    for (const r of serviceRoutes(other.document)) claimed.set(`${r.host} ${r.pathPrefix}`, other.code);
  }
  for (const r of serviceRoutes(document)) {
    const code = claimed.get(`${r.host} ${r.pathPrefix}`);
    if (code !== undefined) return { ...r, code };
  }
  return undefined;
}

/** How well a service matches a request's host and path; higher is more specific, -1 is no match. */
type Score = number;
// A score is prefix segments × PREFIX_WEIGHT + the host's: the longest prefix decides, then an exact
// host beats a wildcard, a longer wildcard domain a shorter one, and any host at all beats none.
const PREFIX_WEIGHT = 1_000_000;
const EXACT_HOST = 500_000;
const WILDCARD_HOST = 1_000;
const NO_MATCH: Score = -1;

/** A service ready to match requests; made once per change of its document. */
export class CompiledService {
  readonly actions: readonly CompiledServiceAction[];
  private readonly exactHosts: ReadonlySet<string>;
  /** `.example.com` for `*.example.com`. */
  private readonly wildcardSuffixes: readonly string[];
  private readonly prefixes: readonly (readonly string[])[];
  /** Routed actions by method, most specific first (see compareSpecificity). */
  private readonly routes: ReadonlyMap<string, readonly CompiledServiceAction[]>;
  /** RPC-style actions by their exact name. */
  private readonly rpc: ReadonlyMap<string, CompiledServiceAction>;

  constructor(
    readonly code: ServiceCode,
    readonly document: ServiceDocument,
  ) {
    const exact = new Set<string>();
    const wildcards: string[] = [];
    for (const h of document.Hosts) {
      const host = mustRead(readHost(h));
      if (host.wildcard) wildcards.push(`.${host.name}`);
      else exact.add(host.name);
    }
    this.exactHosts = exact;
    this.wildcardSuffixes = wildcards;
    this.prefixes = document.PathPrefixes.map((p) => mustRead(readPathPrefix(p)));
    this.actions = document.Actions.map((a) =>
      Object.freeze({
        service: code,
        name: a.Name,
        authAction: `${code}:${a.Name}`,
        access: a.Access,
        risk: a.Risk,
        method: a.Method,
        segments: a.Path === undefined ? undefined : mustRead(readPathTemplate(a.Path)),
        resources: a.Resource.map((r) => mustRead(readResourcePattern(r))),
      }),
    );
    const routes = new Map<string, CompiledServiceAction[]>();
    const rpc = new Map<string, CompiledServiceAction>();
    for (const action of this.actions) {
      if (action.method === undefined) {
        rpc.set(action.name, action);
        continue;
      }
      const list = routes.get(action.method) ?? [];
      list.push(action);
      routes.set(action.method, list);
    }
    for (const list of routes.values()) list.sort(compareSpecificity);
    this.routes = routes;
    this.rpc = rpc;
  }

  /** The score of this service for a request (`host` normalized, `segments` decoded). */
  score(host: string, segments: readonly string[]): Score {
    const hostScore = this.hostScore(host);
    if (hostScore === NO_MATCH) return NO_MATCH;
    if (this.prefixes.length === 0) return hostScore;
    let longest = -1;
    for (const prefix of this.prefixes) {
      if (prefix.length > longest && startsWith(segments, prefix)) longest = prefix.length;
    }
    return longest < 0 ? NO_MATCH : longest * PREFIX_WEIGHT + hostScore;
  }

  private hostScore(host: string): Score {
    if (this.exactHosts.size === 0 && this.wildcardSuffixes.length === 0) return 0;
    if (this.exactHosts.has(host)) return EXACT_HOST;
    let best = NO_MATCH;
    for (const suffix of this.wildcardSuffixes) {
      // One or more labels in front of the domain: `a.example.com`, never `example.com` itself.
      if (host.length > suffix.length && host.endsWith(suffix) && WILDCARD_HOST + suffix.length > best) {
        best = WILDCARD_HOST + suffix.length;
      }
    }
    return best;
  }

  /** The action a request is, given the path segments below the matched prefix. */
  resolve(
    rest: readonly string[],
    request: ServiceRequest,
    accountId: string,
  ): Result<ResolvedServiceRequest> {
    // Upper case in ASCII only: `toUpperCase` would turn the long s of `poſt` into `POST`.
    const method = /^[A-Za-z]{1,16}$/.test(request.method) ? request.method.toUpperCase() : '';
    // Servers commonly answer HEAD with the GET handler: a HEAD no HEAD route takes is the GET route's.
    const routed = this.route(method, rest) ?? (method === 'HEAD' ? this.route('GET', rest) : undefined);
    let action: CompiledServiceAction | undefined = routed?.action;
    if (action) {
      if (request.action !== undefined && request.action !== action.name) {
        return fail('InvalidParameter', 'x-acs-action');
      }
    } else {
      // No route: the request must name an RPC-style action of the service, exactly.
      action = request.action === undefined ? undefined : this.rpc.get(request.action);
      if (!action) return fail('InvalidAction.NotFound');
    }
    const resources: string[] = [];
    for (const parts of action.resources) {
      const r = substitute(parts, accountId, routed?.variables, request.query);
      if (!r.ok) return r;
      resources.push(r.value);
    }
    return ok({ service: this, action, resources });
  }

  /** The first (most specific) route of `method` that `rest` matches, with its variables' values. */
  private route(
    method: string,
    rest: readonly string[],
  ): { action: CompiledServiceAction; variables: ReadonlyMap<string, string> | undefined } | undefined {
    for (const action of this.routes.get(method) ?? []) {
      const segments = action.segments ?? [];
      if (segments.length !== rest.length) continue;
      let variables: Map<string, string> | undefined;
      let matches = true;
      for (let i = 0; i < segments.length && matches; i++) {
        const s = segments[i] as TemplateSegment;
        const value = rest[i] as string;
        if (s.kind === 'literal') matches = s.text === value;
        else (variables ??= new Map()).set(s.name, value);
      }
      if (matches) return { action, variables };
    }
    return undefined;
  }
}

/**
 * Of two routes of one method and length, the one with a literal where the other has a variable,
 * first from the left, comes first (`/orders/search` before `/orders/{OrderId}`). Routes of the same
 * shape are refused by the parser, so the order is total where it matters.
 */
function compareSpecificity(a: CompiledServiceAction, b: CompiledServiceAction): number {
  const sa = a.segments ?? [];
  const sb = b.segments ?? [];
  if (sa.length !== sb.length) return sa.length - sb.length;
  for (let i = 0; i < sa.length; i++) {
    const ka = sa[i]?.kind === 'literal' ? 0 : 1;
    const kb = sb[i]?.kind === 'literal' ? 0 : 1;
    if (ka !== kb) return ka - kb;
  }
  return 0;
}

/** The services of one scope (an account's, or the installation's global ones), by code. */
export class ServiceCatalog {
  readonly services: readonly CompiledService[];
  readonly codes: ReadonlySet<string>;

  constructor(services: readonly CompiledService[]) {
    this.services = [...services].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    this.codes = new Set(this.services.map((s) => s.code));
  }

  get(code: string): CompiledService | undefined {
    return this.services.find((s) => s.code === code);
  }
}

export const EMPTY_SERVICE_CATALOG = new ServiceCatalog([]);

/**
 * Resolves a forwarded request against catalogs in order (an account's own services, then the global
 * ones): the first catalog with a matching service decides, and a service whose code an earlier
 * catalog has is skipped (an account's service shadows a global one of the same code). Within a
 * catalog the most specific service wins: the longest matching path prefix, then an exact host over
 * a wildcard one (the longer domain first), then any host over none.
 *
 * Then the action: a route whose method and path (below the prefix, segment by segment, `{Var}`
 * taking one non-empty percent-decoded segment) match, else the RPC-style action the request names.
 * Then each resource: `${AccountId}` is `accountId`; `${Var}` the path variable, else the query
 * parameter.
 *
 * Refusals: `InvalidAction.NotFound` when no service matches, or no action of it; `InvalidParameter`
 * naming `x-acs-action` when a route matched and the request names another action; `MissingParameter`
 * naming a variable with no value; `InvalidParameter` naming one whose value is empty, over 128
 * characters, or holds `/`, `*`, `?`, a blank or a control character (in the ARN's head, `:` too), so
 * that no value can widen or leave its resource; `InvalidParameter` naming `path` for a path that is
 * not plainly a path (`//`, `.` or `..` segments, characters a URL does not carry raw) and
 * `InvalidParameter.Encoding` for broken percent-encoding.
 *
 * @example
 * const catalog = new ServiceCatalog([compileService(code, document)]);
 * const r = resolveServiceRequest([catalog], '1234567890123456', {
 *   host: 'orders.example.com:443', method: 'GET', path: '/orders-api/orders/42', query: new Map(), action: undefined,
 * });
 * // r.ok && r.value.action.authAction => 'orders:GetOrder'; r.value.resources => ['acs:orders:*:1234567890123456:order/42']
 */
export function resolveServiceRequest(
  catalogs: readonly ServiceCatalog[],
  accountId: string,
  request: ServiceRequest,
): Result<ResolvedServiceRequest> {
  const segments = pathSegments(request.path);
  if (!segments.ok) return segments;
  const host = hostName(request.host);
  for (let t = 0; t < catalogs.length; t++) {
    let best: CompiledService | undefined;
    let bestScore = NO_MATCH;
    for (const service of (catalogs[t] as ServiceCatalog).services) {
      if (shadowed(catalogs, t, service.code)) continue;
      const score = service.score(host, segments.value);
      if (score > bestScore) {
        best = service;
        bestScore = score;
      }
    }
    if (best)
      return best.resolve(segments.value.slice(Math.floor(bestScore / PREFIX_WEIGHT)), request, accountId);
  }
  return fail('InvalidAction.NotFound');
}

/** Compiles a parsed document under its code. */
export function compileService(code: ServiceCode, document: ServiceDocument): CompiledService {
  return new CompiledService(code, document);
}

function shadowed(catalogs: readonly ServiceCatalog[], tier: number, code: string): boolean {
  for (let t = 0; t < tier; t++) if ((catalogs[t] as ServiceCatalog).codes.has(code)) return true;
  return false;
}

function startsWith(segments: readonly string[], prefix: readonly string[]): boolean {
  if (prefix.length > segments.length) return false;
  for (let i = 0; i < prefix.length; i++) if (segments[i] !== prefix[i]) return false;
  return true;
}

/** A host as matched: without its port and a trailing `.`, lower-cased (an IPv6 literal keeps its brackets). */
export function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return asciiLower(end < 0 ? host : host.slice(0, end + 1));
  }
  let name = host;
  const colon = name.lastIndexOf(':');
  if (colon >= 0 && /^\d*$/.test(name.slice(colon + 1))) name = name.slice(0, colon);
  if (name.endsWith('.')) name = name.slice(0, -1);
  return asciiLower(name);
}

/** What a path may carry unencoded (RFC 3986 `pchar` and `/`). */
const RAW_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/**
 * The path's segments, percent-decoded one by one (a `%2F` stays inside its segment). One trailing
 * `/` is insignificant (`/orders/` is `/orders`), as most servers route it; `//`, `.` and `..` are
 * refused rather than read one way here and another way upstream.
 */
export function pathSegments(path: string): Result<readonly string[]> {
  if (!RAW_PATH.test(path)) return fail('InvalidParameter', 'path');
  if (path === '/') return ok([]);
  const body = path.endsWith('/') ? path.slice(1, -1) : path.slice(1);
  const out: string[] = [];
  for (const raw of body.split('/')) {
    let segment = raw;
    if (raw.includes('%')) {
      try {
        segment = decodeURIComponent(raw);
      } catch {
        return fail('InvalidParameter.Encoding');
      }
    }
    if (segment === '' || segment === '.' || segment === '..') return fail('InvalidParameter', 'path');
    out.push(segment);
  }
  return ok(out);
}

/** Blanks (any Unicode space) and what would widen a pattern or leave the resource's path. */
const UNSAFE_VALUE = /[\s/*?]/u;

/** Whether a variable's value may not go into a resource. */
function unsafe(value: string, inHead: boolean): boolean {
  if (value === '' || value.length > MAX_RESOURCE_VARIABLE_LENGTH || UNSAFE_VALUE.test(value)) return true;
  if (inHead && value.includes(':')) return true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

function substitute(
  parts: readonly ResourcePart[],
  accountId: string,
  path: ReadonlyMap<string, string> | undefined,
  query: ReadonlyMap<string, string>,
): Result<string> {
  if (parts.length === 1 && parts[0]?.kind === 'literal') return ok(parts[0].text);
  let out = '';
  for (const part of parts) {
    if (part.kind === 'literal') {
      out += part.text;
      continue;
    }
    if (part.name === ACCOUNT_ID_VARIABLE) {
      out += accountId;
      continue;
    }
    const value = path?.get(part.name) ?? query.get(part.name);
    if (value === undefined) return fail('MissingParameter', part.name);
    if (unsafe(value, part.inHead)) return fail('InvalidParameter', part.name);
    out += value;
  }
  return ok(out);
}

/** Reads what the parser already accepted; a failure here is a document that bypassed the parser. */
function mustRead<T>(r: { ok: true; value: T } | { ok: false; problem: string }): T {
  if (!r.ok) throw new Error(`a service document that did not come from parseServiceDocument: ${r.problem}`);
  return r.value;
}
