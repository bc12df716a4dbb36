// Gate step: the signature nonce was not used before within the time window (replay protection).
import { RamkeyError } from '../../../core/errors/ramkey-error.js';
import type { CheckOutcome, GateCheck } from '../gate-check.js';
import { NonceStoreUnavailableError, type NonceStore } from '../nonce-store.js';

const NONCE_USED = (): RamkeyError => new RamkeyError('SignatureNonceUsed');

/**
 * Runs after the signature and freshness checks: a caller who cannot sign learns nothing here and
 * cannot burn another client's nonces. A nonce is remembered until its timestamp leaves the window:
 * expiresAt is the last instant the freshness check still accepts it (|now - timestamp| <= skew), and
 * the store refuses it up to and including that instant.
 */
export function nonceCheck(nonces: NonceStore, maxClockSkewMs: number): GateCheck {
  const outcome = (unused: boolean): CheckOutcome => (unused ? undefined : NONCE_USED());
  const unavailable = (err: unknown): CheckOutcome => {
    // Fail closed: a store that cannot remember the nonce cannot rule out a replay.
    if (err instanceof NonceStoreUnavailableError) {
      return new RamkeyError('ServiceUnavailable', { cause: err });
    }
    throw err;
  };
  return {
    name: 'nonce',
    check({ request, now }) {
      let unused: boolean | Promise<boolean>;
      try {
        unused = nonces.remember(
          request.accessKeyId,
          request.nonce,
          request.timestampMs + maxClockSkewMs,
          now,
          request.timestampMs,
        );
      } catch (err) {
        return unavailable(err);
      }
      return unused instanceof Promise ? unused.then(outcome, unavailable) : outcome(unused);
    },
  };
}
