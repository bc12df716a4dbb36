// What the gate, the authorizer and the audit trail need to know of an action: the facts the API
// layer's action registry records once per action (its handler stays in the API layer).
import type { ServiceName } from './usage-recorder.js';

/**
 * How dangerous an action is in a leaked key's hands. `identity`: RAM and IMS actions (users, keys,
 * policies), always refused to a leak-restricted key; `high`: a custom service's action its service
 * document marks `"Risk": "High"`, refused likewise; `standard`: everything else, refused only when
 * the operator lists the action as high-risk.
 */
export type RiskClass = 'identity' | 'high' | 'standard';

export interface ActionFacts {
  /**
   * The product, as ActionTrail's serviceName and last-used service (`Ram`, `Ims`, ...), or a custom
   * service's code (`orders`).
   */
  readonly service: ServiceName;
  /** The API version that selects the product, e.g. `2015-05-01`. */
  readonly version: string;
  /** The action's wire name, e.g. `CreateAccessKey`. */
  readonly name: string;
  /** The name RAM policies use, e.g. `ram:CreateAccessKey` (IMS actions too: IMS's RamCode is `ram`). */
  readonly authAction: string;
  /** Other names policies may use for it (`ims:CreateAccessKey` for IMS's actions); usually none. */
  readonly authAliases: readonly string[];
  /** Whether the action changes state (ActionTrail's eventRW). */
  readonly rw: 'Read' | 'Write';
  /** A RAM user may perform it on its own keys without a policy under AllowUserToManageAccessKeys. */
  readonly selfService: boolean;
  /** Any valid key may call it, whatever its policies (as STS GetCallerIdentity on Alibaba Cloud). */
  readonly unrestricted: boolean;
  readonly risk: RiskClass;
}
