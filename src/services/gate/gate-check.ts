// The shape of one gate check: a named step that passes a request on or refuses it with a value.
import type { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { AdmissionRequest, GateStepName } from './admission.js';
import type { CachedKey } from './key-cache.js';

/** A request whose key was found, with the instant the gate judges it at. */
export interface KeyedRequest extends AdmissionRequest {
  readonly key: CachedKey;
  readonly now: number;
}

/** Undefined to pass the request on; the refusal otherwise. Synchronous whenever it can be. */
export type CheckOutcome = RamkeyError | undefined;

export interface GateCheck {
  readonly name: GateStepName;
  check(request: KeyedRequest): CheckOutcome | Promise<CheckOutcome>;
}
