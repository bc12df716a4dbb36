// What one RPC action is, as its product's table declares it: read/write kind, the resources it is
// authorized on, whether it is self-service or unrestricted, and its handler.
import type { ActionFacts, RiskClass } from '../../services/action-facts.js';
import type { Caller } from '../../services/principal.js';
import type { Ramkey } from '../../services/ramkey.js';
import type { BuiltInServiceName } from '../../services/usage-recorder.js';
import type { ResourcesOf } from '../authorization.js';
import type { Params } from '../params.js';
import type { Body } from '../render.js';

export interface ActionContext {
  caller: Caller;
  params: Params;
  ramkey: Ramkey;
  /** The caller's address (the socket's, or a trusted proxy's X-Forwarded-For). */
  sourceIp: string;
}

export interface ActionDef {
  /** Whether the action changes state (ActionTrail's eventRW). */
  rw: 'Read' | 'Write';
  /** What RAM authorizes the action on; the caller must be allowed on every resource. */
  resources: ResourcesOf;
  /** See ActionFacts.selfService; absent means false. */
  selfService?: true;
  /** See ActionFacts.unrestricted; absent means false. */
  unrestricted?: true;
  handle: (ctx: ActionContext) => Promise<Body>;
}

export interface Product {
  /** The API version that selects this product, e.g. `2015-05-01`. */
  version: string;
  service: BuiltInServiceName;
  /** Prefix of authorization action names, e.g. `ram` in `ram:CreateUser`. */
  authPrefix: string;
  /** Another prefix policies may name the product's actions by (`ims` for IMS, whose RamCode is `ram`). */
  authAliasPrefix?: string;
  /** The risk class of every action of the product. */
  risk: RiskClass;
  actions: Readonly<Record<string, ActionDef>>;
}

/** The facts of the action an authorization name names (case-insensitively, as policies match). */
export type FactsLookup = (authAction: string) => ActionFacts | undefined;
