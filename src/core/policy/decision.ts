// The evaluation vocabulary: what is asked (AuthorizationRequest) and what is answered (Decision).
import type { Effect } from './policy-document.js';

/** What Ramkey knows about the call, for Condition keys and the `${ram:UserName}` resource variable. */
export interface RequestContext {
  /** `acs:SourceIp`: the caller's address as the socket (or a trusted proxy) reports it. */
  readonly sourceIp: string;
  /** `acs:CurrentTime`: the server clock, in milliseconds since the Unix epoch. */
  readonly currentTime: number;
  /** `acs:SecureTransport`: whether the call came over HTTPS. */
  readonly secureTransport: boolean;
  /** `acs:MFAPresent`: whether the caller authenticated with MFA (AccessKey calls: false). */
  readonly mfaPresent: boolean;
  /** `acs:UserAgent`. */
  readonly userAgent: string;
  /**
   * `ramkey:ActionAccess`: the called action's read/write flag. Absent only when the action is unknown
   * (the policy simulator asked about one that no product or service has): conditions on it then
   * cannot be evaluated and fail closed, as for any missing key.
   */
  readonly actionAccess?: 'Read' | 'Write';
  /**
   * The calling RAM user's name, which `${ram:UserName}` in a Resource stands for. Absent (root,
   * role sessions) means the variable cannot be resolved: see `evaluate`.
   */
  readonly userName?: string;
}

export interface AuthorizationRequest {
  /** `service:Action`, e.g. `ram:CreateAccessKey`; matched case-insensitively. */
  readonly action: string;
  /**
   * Other names policies may give the same action (IMS's `ims:CreateAccessKey` for the action that
   * is `ram:CreateAccessKey`): a statement covers the request when its Action names any of them.
   */
  readonly actionAliases?: readonly string[];
  /**
   * The resource ARN, e.g. `acs:ram::1234567890123456:user/alice`, or `*` for an action that has
   * none; matched case-insensitively. A `*` region (`acs:ram:*:123:...`) is read as the empty one.
   */
  readonly resource: string;
  readonly context: RequestContext;
}

/** The statement that decided, for AccessDeniedDetail, audit and the console's "why". */
export interface DecidingStatement {
  readonly policyName: string;
  readonly policyType: 'System' | 'Custom';
  /** 0-based position of the statement in the policy's `Statement` list. */
  readonly index: number;
  readonly effect: Effect;
}

/**
 * The outcome of evaluating a request against a principal's policies: `deny` (an explicit Deny
 * applied), `allow` (an Allow applied and no Deny did) or `noMatch` (no statement applied), which
 * callers must treat as a deny (RAM's implicit deny).
 */
export interface Decision {
  readonly effect: 'allow' | 'deny' | 'noMatch';
  /** Present for `allow` and `deny`: the first statement (in policy order) that decided. */
  readonly statement?: DecidingStatement;
}
