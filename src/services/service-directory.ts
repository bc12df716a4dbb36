// The service directory: custom services (a platform team's own APIs) as the API and the operator
// manage them, and the resolution of a forwarded request to one action of one service with its
// resources, in the shape the gate authorizes.
//
// Each scope's services (an account's own; the installation's global ones) are compiled once and
// cached, so that resolving is synchronous while warm. A change through this directory publishes a
// `services` change and every cache drops the scope at once; the caches also expire (the account's
// after 60 seconds, the global set after 10), the backstop for what the bus cannot carry: global
// services are changed by operator commands, in another process.
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { parseDescription } from '../core/identity/validate.js';
import { asciiLower } from '../core/ascii-case.js';
import {
  compileService,
  EMPTY_SERVICE_CATALOG,
  parseServiceCode,
  parseServiceDocument,
  resolveServiceRequest,
  ServiceCatalog,
  serviceRoutes,
  type CompiledServiceAction,
  type ServiceCode,
} from '../core/service-definition/index.js';
import type { Page, ServiceRecord, Store } from '../store/store.js';
import type { ActionFacts } from './action-facts.js';
import type { Change, ChangeBus } from './change-bus.js';
import type { Quotas } from './quotas.js';

/** What the gateway tells of one request to a customer's API (see ServiceRequest in the core). */
export interface ForwardedRequest {
  /** The `Host` the client called (a port and letter case are ignored). */
  host: string;
  method: string;
  /** The path without the query, percent-encoded as sent. */
  path: string;
  /** The query's parameters, decoded. */
  query: ReadonlyMap<string, string>;
  /** The action the request names (`x-acs-action`), if any. */
  action: string | undefined;
}

/**
 * A forwarded request resolved: the action's facts (service = the service's code, version '', rw from
 * its Access, risk `high` or `standard`) and every resource it is authorized on; or the refusal.
 */
export type ServiceResolution =
  | {
      ok: true;
      facts: ActionFacts;
      resources: readonly string[];
      /** Whether the action was found by its method and path (a ROA-style route), not by its name. */
      routed: boolean;
    }
  | { ok: false; error: RamkeyError };

/** A service as GetService and ListServices show it. */
export interface ServiceView {
  serviceName: string;
  /** `Account`: the caller's account's own; `Global`: the installation's, read-only through the API. */
  scope: 'Account' | 'Global';
  description: string;
  /** The document as it was sent. */
  document: string;
  createdAt: number;
  updatedAt: number;
}

export interface ServiceDirectoryOptions {
  /** How long an account's compiled services are trusted without a change event (default 60 s). */
  ttlMs?: number;
  /** The same for the global services, which operator commands change from another process (default 10 s). */
  globalTtlMs?: number;
  /** Accounts kept compiled (default 10,000); the oldest loaded goes first. */
  maxAccounts?: number;
}

interface Compiled {
  readonly catalog: ServiceCatalog;
  readonly expiresAt: number;
}

/** A scope's key in the caches: the account ID, or '' for the global services. */
type ScopeKey = string;
const GLOBAL: ScopeKey = '';

export class ServiceDirectory {
  private readonly entries = new Map<ScopeKey, Compiled>();
  private readonly loading = new Map<ScopeKey, Promise<Compiled>>();
  // The facts of each compiled action, made once: resolving a warm request allocates no facts.
  private readonly facts = new WeakMap<CompiledServiceAction, ActionFacts>();
  private readonly ttlMs: number;
  private readonly globalTtlMs: number;
  private readonly maxAccounts: number;
  private generation = 0;
  private bypassed = false;

  constructor(
    private readonly store: Store,
    private readonly changes: ChangeBus,
    private readonly clock: Clock,
    private readonly quotas: Quotas,
    options: ServiceDirectoryOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.globalTtlMs = options.globalTtlMs ?? 10_000;
    this.maxAccounts = options.maxAccounts ?? 10_000;
  }

  // ---- resolution ----

  /**
   * The action and resources a request to a customer's API is, for a caller of `accountId`: the
   * account's own services first, then the global ones (an account's service shadows a global one
   * of the same code). See resolveServiceRequest for the rules and refusals. Synchronous when both
   * scopes are compiled; rejects only when a scope cannot be loaded (a store error).
   */
  resolve(accountId: string, request: ForwardedRequest): ServiceResolution | Promise<ServiceResolution> {
    const own = this.scope(accountId);
    const global = this.scope(GLOBAL);
    if (own instanceof Promise || global instanceof Promise) {
      return Promise.all([own, global]).then(([o, g]) => this.resolveIn(accountId, o, g, request));
    }
    return this.resolveIn(accountId, own, global, request);
  }

  /**
   * The facts of a custom service's action by its authorization name (`orders:GetOrder`, any case),
   * as the caller's account sees it; undefined when no service of the account, or global one it
   * does not shadow, has it. For the policy simulator.
   */
  async factsByAuthAction(accountId: string, authAction: string): Promise<ActionFacts | undefined> {
    const [own, global] = await Promise.all([this.scope(accountId), this.scope(GLOBAL)]);
    const colon = authAction.indexOf(':');
    if (colon < 0) return undefined;
    const code = asciiLower(authAction.slice(0, colon));
    const service = own.catalog.get(code) ?? global.catalog.get(code);
    const wanted = asciiLower(authAction);
    const action = service?.actions.find((a) => asciiLower(a.authAction) === wanted);
    return action && this.factsOf(action);
  }

  /** Drops what a change makes stale; subscribe it to the change bus. */
  apply(change: Change): void {
    if (change.kind !== 'services') return;
    this.generation++;
    this.entries.delete(change.accountId ?? GLOBAL);
  }

  /**
   * Drops every compiled scope and the loads under way; while `bypassed` (the change bus is down),
   * every resolution reads the store and nothing is kept. See keepFresh.
   */
  setBypassed(bypassed: boolean): void {
    this.bypassed = bypassed;
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }

  private resolveIn(
    accountId: string,
    own: Compiled,
    global: Compiled,
    request: ForwardedRequest,
  ): ServiceResolution {
    const r = resolveServiceRequest([own.catalog, global.catalog], accountId, request);
    if (!r.ok) return { ok: false, error: new RamkeyError(r.code, r.params ? { params: r.params } : {}) };
    return {
      ok: true,
      facts: this.factsOf(r.value.action),
      resources: r.value.resources,
      routed: r.value.action.method !== undefined,
    };
  }

  private factsOf(action: CompiledServiceAction): ActionFacts {
    let facts = this.facts.get(action);
    if (!facts) {
      facts = Object.freeze({
        service: action.service,
        version: '',
        name: action.name,
        authAction: action.authAction,
        authAliases: [],
        rw: action.access,
        selfService: false,
        unrestricted: false,
        risk: action.risk === 'High' ? 'high' : 'standard',
      });
      this.facts.set(action, facts);
    }
    return facts;
  }

  private scope(key: ScopeKey): Compiled | Promise<Compiled> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.clock.now()) return entry;
    return this.load(key);
  }

  private load(key: ScopeKey): Promise<Compiled> {
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const promise: Promise<Compiled> = this.store
      .loadServices(key === GLOBAL ? null : key)
      .then((records) => {
        const compiled: Compiled = {
          catalog:
            records.length === 0 ? EMPTY_SERVICE_CATALOG : new ServiceCatalog(records.map(compileStored)),
          expiresAt: this.clock.now() + (key === GLOBAL ? this.globalTtlMs : this.ttlMs),
        };
        // A change that raced with this load wins: don't cache what may already be stale.
        if (generation === this.generation && !this.bypassed) this.put(key, compiled);
        return compiled;
      })
      .finally(() => {
        if (this.loading.get(key) === promise) this.loading.delete(key);
      });
    this.loading.set(key, promise);
    return promise;
  }

  private put(key: ScopeKey, compiled: Compiled): void {
    if (this.entries.size >= this.maxAccounts && !this.entries.has(key)) {
      for (const oldest of this.entries.keys()) {
        // The global services are every request's: they are never the ones to go.
        if (oldest === GLOBAL) continue;
        this.entries.delete(oldest);
        break;
      }
    }
    this.entries.set(key, compiled);
  }

  // ---- management (the API's actions for an account; operator commands for the global scope) ----

  /**
   * Creates a service of the account (`accountId`), or a global one (null). The name and document are
   * checked here, whoever calls; so are the quota and the (host, path prefix) pairs, atomically, by
   * the store.
   */
  async create(
    accountId: string | null,
    serviceName: string,
    document: string,
    description = '',
  ): Promise<ServiceView> {
    const code = checkedCode(serviceName);
    const routes = serviceRoutes(checkedDocument(document));
    const now = this.clock.now();
    const record = await this.store.createService(
      {
        accountId,
        serviceName: code,
        description: checkedDescription(description, 'Description'),
        document,
        createdAt: now,
        updatedAt: now,
      },
      routes,
      this.quotas.servicesPerAccount,
    );
    this.changes.publish({ kind: 'services', accountId });
    return view(record);
  }

  /**
   * The named service as the account sees it: its own, else a global one; with null, the global one.
   * Throws EntityNotExist.Service.
   */
  async get(accountId: string | null, serviceName: string): Promise<ServiceView> {
    const code = checkedCode(serviceName);
    const record =
      (accountId === null ? undefined : await this.store.getService(accountId, code)) ??
      (await this.store.getService(null, code));
    if (!record) throw new RamkeyError('EntityNotExist.Service');
    return view(record);
  }

  /**
   * The account's services in name order, then the global ones it does not shadow, paged together
   * (with null, the global ones alone). Markers are opaque: `a:`/`g:` and the store's marker.
   */
  async list(
    accountId: string | null,
    options: { marker?: string; maxItems: number },
  ): Promise<Page<ServiceView>> {
    let scope: 'a' | 'g' = accountId === null ? 'g' : 'a';
    let after: string | undefined;
    if (options.marker !== undefined) {
      const m = /^([ag]):(.*)$/s.exec(options.marker);
      if (!m || (m[1] === 'a' && accountId === null)) throw new RamkeyError('InvalidParameter.Marker');
      scope = m[1] as 'a' | 'g';
      after = m[2] === '' ? undefined : m[2];
    }
    const items: ServiceView[] = [];
    if (scope === 'a' && accountId !== null) {
      const page = await this.store.listServices(accountId, {
        limit: options.maxItems,
        ...(after !== undefined && { after }),
      });
      items.push(...page.items.map(view));
      if (page.nextMarker !== undefined) return { items, nextMarker: `a:${page.nextMarker}` };
      if (items.length === options.maxItems) return { items, nextMarker: 'g:' };
      after = undefined;
    }
    // Global services a service of the account shadows do not apply to it: they are left out, as
    // GetService answers with the account's own.
    const own =
      accountId === null
        ? new Set<string>()
        : new Set((await this.store.loadServices(accountId)).map((s) => s.serviceName));
    let marker = after;
    for (;;) {
      const page = await this.store.listServices(null, {
        limit: options.maxItems - items.length,
        ...(marker !== undefined && { after: marker }),
      });
      items.push(...page.items.filter((s) => !own.has(s.serviceName)).map(view));
      if (page.nextMarker === undefined) return { items };
      if (items.length === options.maxItems) return { items, nextMarker: `g:${page.nextMarker}` };
      marker = page.nextMarker;
    }
  }

  /**
   * Changes a service's document (and with it the pairs it claims) and/or description. Through the
   * API (an account ID), a global service is refused with InvalidParameter.ServiceName.Global.
   */
  async update(
    accountId: string | null,
    serviceName: string,
    changes: { document?: string; description?: string },
  ): Promise<ServiceView> {
    const code = checkedCode(serviceName);
    const document = changes.document;
    const description =
      changes.description === undefined
        ? undefined
        : checkedDescription(changes.description, 'NewDescription');
    const updated = await this.store.updateService(
      accountId,
      code,
      {
        ...(document !== undefined && {
          document: { text: document, routes: serviceRoutes(checkedDocument(document)) },
        }),
        ...(description !== undefined && { description }),
      },
      this.clock.now(),
    );
    if (!updated) throw await this.missing(accountId, code);
    this.changes.publish({ kind: 'services', accountId });
    return view(updated);
  }

  /** Deletes a service; as `update`, a global one only with null. */
  async delete(accountId: string | null, serviceName: string): Promise<void> {
    const code = checkedCode(serviceName);
    if (!(await this.store.deleteService(accountId, code))) throw await this.missing(accountId, code);
    this.changes.publish({ kind: 'services', accountId });
  }

  /** The account's quota use, for GetAccountSummary. */
  count(accountId: string): Promise<number> {
    return this.store.countServices(accountId);
  }

  /** Why an account has no such service to change: it has none, or it is a global one. */
  private async missing(accountId: string | null, code: ServiceCode): Promise<RamkeyError> {
    if (accountId !== null && (await this.store.getService(null, code))) {
      return new RamkeyError('InvalidParameter.ServiceName.Global', { params: [code] });
    }
    return new RamkeyError('EntityNotExist.Service');
  }
}

function view(record: ServiceRecord): ServiceView {
  return {
    serviceName: record.serviceName,
    scope: record.accountId === null ? 'Global' : 'Account',
    description: record.description,
    document: record.document,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function checkedCode(serviceName: string): ServiceCode {
  const r = parseServiceCode(serviceName);
  if (!r.ok) throw new RamkeyError(r.code, r.params ? { params: r.params } : {});
  return r.value;
}

function checkedDocument(text: string) {
  const r = parseServiceDocument(text);
  if (!r.ok) throw new RamkeyError(r.code, r.params ? { params: r.params } : {});
  return r.value;
}

function checkedDescription(text: string, field: 'Description' | 'NewDescription'): string {
  const r = parseDescription(text, field);
  if (!r.ok) throw new RamkeyError(r.code);
  return r.value;
}

/**
 * A stored service, compiled. Only checked documents are stored: one that no longer parses is a
 * broken database, and failing the load refuses the scope's requests (InternalError) rather than
 * resolving them without it.
 */
function compileStored(record: ServiceRecord) {
  const code = parseServiceCode(record.serviceName);
  const document = parseServiceDocument(record.document);
  if (!code.ok || !document.ok) {
    throw new Error(
      `stored service ${record.serviceName} does not parse (${code.ok ? '' : code.code}${document.ok ? '' : document.code})`,
    );
  }
  return compileService(code.value, document.value);
}
