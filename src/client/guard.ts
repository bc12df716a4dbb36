// What the Fastify and Express middlewares share: their options, and the body check that follows an
// allow whose body Ramkey did not see.
import { verifyBody } from './body.js';
import { bodyMismatch, bodyUnsigned, type LocalRefusal } from './errors.js';
import { originalHost, type RamkeyIdentity, type RequestParts } from './forward-auth.js';

export interface ForwardAuthOptions<Req> {
  /**
   * Send the body to Ramkey, which then checks it against x-acs-content-sha256 itself (and, for RPC
   * V1 form bodies, checks the parameters in it). The body is then read before Ramkey is asked.
   * Default false: Ramkey is asked first, from the headers alone, and the middleware checks the body.
   */
  readonly forwardBody?: boolean;
  /** The client's address for Ramkey (X-Real-IP); default the framework's `ip` (its proxy trust applies). */
  readonly clientIp?: (req: Req) => string | undefined;
}

/**
 * After an allow, the body against the hash the signature covers, unless Ramkey checked it already.
 * A body with no signed hash (V1, whose signature covers the query) passes only when it is empty:
 * bytes no signature covers must not reach a handler as the signer's.
 */
export function checkBody(
  identity: RamkeyIdentity,
  body: Buffer,
  headers: RequestParts['headers'],
): LocalRefusal | undefined {
  if (identity.BodyVerified) return undefined;
  const host = originalHost(headers);
  if (identity.ContentSha256 === '') {
    return body.length === 0 ? undefined : bodyUnsigned(host, identity.RequestId);
  }
  return verifyBody(body, identity.ContentSha256) ? undefined : bodyMismatch(host, identity.RequestId);
}

/** The Content-Length the request declares, when it declares one that is a number. */
export function declaredLength(headers: RequestParts['headers']): number | undefined {
  const value = headers['content-length'];
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}
