// The action registry: every action of every product with all its facts (product, version, read/write,
// resources, self-service, unrestricted, risk class) and its handler. Routing, authorization and the
// policy simulator read it; nothing else lists actions.
import { asciiLower } from '../core/ascii-case.js';
import type { ActionFacts } from '../services/action-facts.js';
import type { ActionDef, Product } from './actions/action.js';
import { actiontrail } from './actions/actiontrail.js';
import { ims } from './actions/ims.js';
import { ramProduct } from './actions/ram.js';
import { sts } from './actions/sts.js';

/** A routed action: its facts, the resources it is authorized on, and its handler. */
export interface RegisteredAction extends ActionFacts, Readonly<Pick<ActionDef, 'resources' | 'handle'>> {}

// The simulator (a RAM action) asks the registry about other actions: it gets the lookup, not an import.
const products: readonly Product[] = [ramProduct(factsByAuthAction), ims, sts, actiontrail];

export const registry: readonly RegisteredAction[] = products.flatMap((p) =>
  Object.entries(p.actions).map(([name, def]): RegisteredAction => ({
    ...def,
    service: p.service,
    version: p.version,
    name,
    authAction: `${p.authPrefix}:${name}`,
    authAliases: p.authAliasPrefix === undefined ? [] : [`${p.authAliasPrefix}:${name}`],
    selfService: def.selfService ?? false,
    unrestricted: def.unrestricted ?? false,
    risk: p.risk,
  })),
);

const byVersion = new Map<string, Map<string, RegisteredAction>>();
for (const action of registry) {
  const actions = byVersion.get(action.version) ?? new Map<string, RegisteredAction>();
  actions.set(action.name, action);
  byVersion.set(action.version, actions);
}

/**
 * By every name policies may use, lower-cased in ASCII. RAM's and IMS's actions of the same name
 * share `ram:<Action>`: the first registered (RAM's) answers for it, and IMS's answers for `ims:<Action>`.
 */
const byAuthAction = new Map<string, RegisteredAction>();
for (const action of registry) {
  for (const name of [action.authAction, ...action.authAliases]) {
    const key = asciiLower(name);
    if (!byAuthAction.has(key)) byAuthAction.set(key, action);
  }
}

/** Whether some product answers to this API version. */
export function isKnownVersion(version: string): boolean {
  return byVersion.has(version);
}

/** The action a request names by version and wire name (exact case, as the wire protocol has it). */
export function findAction(version: string, name: string): RegisteredAction | undefined {
  return byVersion.get(version)?.get(name);
}

/** The action an authorization name (`ram:CreateAccessKey`) names, in any case, as policies match. */
export function factsByAuthAction(authAction: string): RegisteredAction | undefined {
  return byAuthAction.get(asciiLower(authAction));
}
