// What the gate takes and what it decides: a parsed request, its routed action and the connection in;
// a decision value out (the admitted caller, or the refusal with how far the request got).
import type { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { SignedRequest } from '../../core/signature/index.js';
import type { ActionFacts } from '../action-facts.js';
import type { Caller, Principal } from '../principal.js';
import type { GateFinding } from './gate-check.js';

/** What the connection tells about a call, independent of what it claims. */
export interface Connection {
  /** The caller's address (the socket's, or a trusted proxy's X-Forwarded-For); `(invalid)` when unusable. */
  readonly sourceIp: string;
  /** Whether the call came over TLS (`acs:SecureTransport`). */
  readonly secureTransport: boolean;
  readonly userAgent: string;
}

export interface AdmissionRequest {
  readonly request: SignedRequest;
  /** The routed action's registry facts. */
  readonly action: ActionFacts;
  /**
   * Every resource the action is authorized on, known once the caller is; each must be allowed. A
   * promise when a resource's name needs a lookup (a user named by ID).
   */
  resources(principal: Principal): readonly string[] | Promise<readonly string[]>;
  readonly connection: Connection;
}

/** A console call: its session's principal instead of a signed request. */
export interface ConsoleAdmissionRequest extends Omit<AdmissionRequest, 'request'> {
  readonly principal: Principal;
  readonly session: { readonly sessionId: string; readonly mfaPresent: boolean };
}

/** The gate's steps, in the order they run (see GATE_STEPS in gate.ts). */
export type GateStepName =
  | 'keyLookup'
  | 'signature'
  | 'freshness'
  | 'nonce'
  | 'keyStatus'
  | 'networkPolicy'
  | 'leakRestriction'
  | 'authorization';

export interface Admitted {
  readonly admitted: true;
  readonly caller: Caller;
  readonly principal: Principal;
  /** An admitted call is always use of its key. */
  readonly used: true;
  /** What a check noted without refusing (an Audit-mode network policy's would-be denial). */
  readonly finding?: GateFinding;
}

export interface Refused {
  readonly admitted: false;
  /** The catalog error the caller gets. */
  readonly refusal: RamkeyError;
  readonly refusedAt: GateStepName;
  /** The owner of the key the call named, once that key was found: the call is audited under it. */
  readonly principal: Principal | undefined;
  /**
   * True when the call counts as use of the key: its signature verified and it was fresh (in the
   * time window, nonce unused), even though a later step refused it. A replay is no new use.
   */
  readonly used: boolean;
  /** What a check before the refusing one noted without refusing. */
  readonly finding?: GateFinding;
}

export type Admission = Admitted | Refused;
