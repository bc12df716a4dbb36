// The gate: authenticates one signed request (key, signature, clock skew, nonce, status) and
// authorizes its action. Every RPC call passes here before any handler runs.
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { isAccessKeyId } from '../core/keys/key-id.js';
import { checkTimestamp, verifySignature, type SignedRequest } from '../core/signature/index.js';
import type { AuthorizationInput, Authorizer } from './authorizer.js';
import type { KeyCache } from './key-cache.js';
import { NonceStoreFullError, type NonceStore } from './nonce-cache.js';
import type { Caller, Principal } from './principal.js';

/** What the gate learns of a call for its audit event, even when it refuses the call. */
export interface AuthenticationTrace {
  /** The owner of the key the call named, once that key is found. */
  principal: Principal | undefined;
  /**
   * True once the call counts as use of the key: its signature verified and it was fresh (in the
   * time window, nonce unused), even if the key's status or a later check then refuses it. A
   * replayed request is no new use.
   */
  used: boolean;
}

export interface GateOptions {
  maxClockSkewMs: number;
}

export class Gate {
  constructor(
    private readonly keys: KeyCache,
    private readonly nonces: NonceStore,
    private readonly authorizer: Authorizer,
    private readonly clock: Clock,
    private readonly options: GateOptions,
  ) {}

  /**
   * Checks, in this order: the key exists, the signature matches, the timestamp is within the
   * window, the nonce is fresh, the key is active. Throws a RamkeyError with the catalog code of the
   * first failed check; `trace` tells the audit trail how far the call got. Call `authorize` next.
   */
  async authenticate(request: SignedRequest, trace: AuthenticationTrace): Promise<Caller> {
    // A malformed or checksum-failing ID cannot exist: answer without touching the cache or store.
    const key = isAccessKeyId(request.accessKeyId) ? await this.keys.get(request.accessKeyId) : undefined;
    if (!key) throw new RamkeyError('InvalidAccessKeyId.NotFound');
    // From here the call is audited under the key's account, whatever happens next.
    trace.principal = key.principal;

    const verified = verifySignature(request, key.signingKey);
    if (!verified.ok) {
      // Alibaba includes its string to sign so that SDKs can tell a wrong secret from a bad request.
      // It is built only from what the client sent; it reveals nothing about the secret.
      throw new RamkeyError('SignatureDoesNotMatch', { params: [verified.stringToSign] });
    }
    // Time and nonce are checked only after the signature: a caller who cannot sign learns
    // nothing, and cannot burn another client's nonces.
    const now = this.clock.now();
    const fresh = checkTimestamp(request, now, this.options.maxClockSkewMs);
    if (!fresh.ok) throw new RamkeyError(fresh.code, fresh.params ? { params: fresh.params } : {});

    let unused: boolean;
    try {
      unused = await this.nonces.remember(
        request.accessKeyId,
        request.nonce,
        request.timestampMs + this.options.maxClockSkewMs,
        now,
      );
    } catch (err) {
      if (err instanceof NonceStoreFullError) throw new RamkeyError('ServiceUnavailable', { cause: err });
      throw err;
    }
    if (!unused) throw new RamkeyError('SignatureNonceUsed');

    // Verified and fresh: the caller holds the secret, so this is use of the key, whatever follows.
    trace.used = true;
    if (key.status !== 'Active') throw new RamkeyError('InvalidAccessKeyId.Inactive');
    return { principal: key.principal, accessKeyId: key.accessKeyId };
  }

  /** Throws NoPermission unless the caller's policies allow the action on the resource. */
  authorize(caller: Caller, input: AuthorizationInput): Promise<void> {
    return this.authorizer.authorize(caller.principal, input);
  }
}
