// ramkey/client: guards a Node service's own API with Ramkey. Requests signed with the official
// Alibaba Cloud SDKs (V3, or RPC V1) are checked by Ramkey's forward-auth endpoint: the signature,
// the key and the RAM policies. It depends on nothing but Node, and imports nothing of Ramkey's
// server, so that a service can take it alone.
export {
  createForwardAuthClient,
  DEFAULT_TIMEOUT_MS,
  type ForwardAuthClient,
  type ForwardAuthClientOptions,
  type RamkeyIdentity,
  type RequestParts,
  type Verdict,
} from './forward-auth.js';
export { verifyBody } from './body.js';
export type { ForwardAuthOptions } from './guard.js';
export { fastifyForwardAuth, type FastifyForwardAuthOptions } from './fastify.js';
export {
  DEFAULT_BODY_LIMIT,
  expressForwardAuth,
  keepRawBody,
  type ExpressForwardAuthOptions,
  type ForwardAuthRequest,
} from './express.js';
