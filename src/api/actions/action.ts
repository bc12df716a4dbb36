// What one RPC action is: its authorization name, read/write kind and handler.
import type { Caller } from '../../services/principal.js';
import type { Ramkey } from '../../services/ramkey.js';
import type { ServiceName } from '../../services/usage-recorder.js';
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
  handle(ctx: ActionContext): Promise<Body>;
}

export interface Product {
  /** The API version that selects this product, e.g. `2015-05-01`. */
  version: string;
  service: ServiceName;
  /** Prefix of authorization action names, e.g. `ram` in `ram:CreateUser`. */
  authPrefix: string;
  actions: Readonly<Record<string, ActionDef>>;
}
