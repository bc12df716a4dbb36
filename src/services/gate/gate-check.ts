// The shape of one gate check: a named step that passes a request on or refuses it with a value.
import type { AccessKeyPolicyLevel } from '../../core/network/access-key-policy.js';
import type { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { AdmissionRequest, GateStepName } from './admission.js';
import type { CachedKey } from './key-cache.js';

/** A request whose key was found, with the instant the gate judges it at. */
export interface KeyedRequest extends AdmissionRequest {
  readonly key: CachedKey;
  readonly now: number;
}

/**
 * Something a check found that does not refuse the call but goes on its record: an Audit-mode network
 * policy that would have denied it, and at which level.
 */
export interface GateFinding {
  readonly kind: 'accessKeyPolicyAudit';
  readonly level: AccessKeyPolicyLevel;
}

/**
 * Undefined to pass the request on; a finding to pass it on with that noted; the refusal otherwise.
 * Synchronous whenever it can be.
 */
export type CheckOutcome = RamkeyError | GateFinding | undefined;

export interface GateCheck {
  readonly name: GateStepName;
  check(request: KeyedRequest): CheckOutcome | Promise<CheckOutcome>;
}
