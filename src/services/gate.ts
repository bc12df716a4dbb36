// The gate: authenticates one signed request (key, signature, clock skew, nonce, status) and
// authorizes its action. Every RPC call passes here before any handler runs.
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { isAccessKeyId } from '../core/keys/key-id.js';
import { checkTimestamp, verifySignature, type SignedRequest } from '../core/signature/index.js';
import type { AuthorizationInput, Authorizer } from './authorizer.js';
import type { KeyCache } from './key-cache.js';
import { NonceStoreFullError, type NonceStore } from './nonce-cache.js';
import type { Caller } from './principal.js';
import type { ServiceName, UsageRecorder } from './usage-recorder.js';

export interface GateOptions {
  maxClockSkewMs: number;
}

export class Gate {
  constructor(
    private readonly keys: KeyCache,
    private readonly nonces: NonceStore,
    private readonly authorizer: Authorizer,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
    private readonly options: GateOptions,
  ) {}

  /**
   * Checks, in this order: the key exists, the signature matches, the timestamp is within the
   * window, the nonce is fresh, the key is active; then records the use. Throws a RamkeyError with
   * the catalog code of the first failed check. Call `authorize` next.
   */
  async authenticate(request: SignedRequest, service: ServiceName, sourceIp: string): Promise<Caller> {
    // A malformed or checksum-failing ID cannot exist: answer without touching the cache or store.
    const key = isAccessKeyId(request.accessKeyId) ? await this.keys.get(request.accessKeyId) : undefined;
    if (!key) throw new RamkeyError('InvalidAccessKeyId.NotFound');

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

    if (key.status !== 'Active') throw new RamkeyError('InvalidAccessKeyId.Inactive');

    // A verified call with an active key is use of that key, even if authorization then refuses it.
    this.usage.record(key.accessKeyId, service, sourceIp);
    return { principal: key.principal, accessKeyId: key.accessKeyId };
  }

  /** Throws NoPermission unless the caller's policies allow the action on the resource. */
  authorize(caller: Caller, input: AuthorizationInput): Promise<void> {
    return this.authorizer.authorize(caller.principal, input);
  }
}
