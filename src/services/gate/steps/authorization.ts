// Gate step: the principal's RAM policies allow the action on every resource it acts on.
import type { RamkeyError } from '../../../core/errors/ramkey-error.js';
import type { Authorizer, AuthorizationInput } from '../../authorizer.js';
import type { Principal } from '../../principal.js';
import type { AdmissionRequest } from '../admission.js';
import type { CheckOutcome, GateCheck } from '../gate-check.js';

/** What authorizing a call looks at besides the principal (a keyed request is one). */
export interface AuthorizationRequest extends Omit<AdmissionRequest, 'request'> {
  readonly now: number;
  /** Whether the caller passed an MFA check (`acs:MFAPresent`): a console session that did. */
  readonly mfaPresent?: boolean;
}

export function authorizationCheck(authorizer: Authorizer): GateCheck {
  return {
    name: 'authorization',
    check: (request) => authorize(authorizer, request.key.principal, request),
  };
}

/** The principal's policies allow the action on every resource of the request, or the refusal. */
export function authorize(
  authorizer: Authorizer,
  principal: Principal,
  request: AuthorizationRequest,
): CheckOutcome | Promise<CheckOutcome> {
  // Any valid credential may call an unrestricted action (STS GetCallerIdentity: a key may always ask
  // who it is, as on Alibaba Cloud).
  if (request.action.unrestricted) return undefined;
  const resources = request.resources(principal);
  return resources instanceof Promise
    ? resources.then((r) => checkAll(authorizer, principal, request, r))
    : checkAll(authorizer, principal, request, resources);
}

function checkAll(
  authorizer: Authorizer,
  principal: Principal,
  request: AuthorizationRequest,
  resources: readonly string[],
): CheckOutcome | Promise<CheckOutcome> {
  // Fail closed: an action that names no resource is a registry bug, never an allow.
  if (resources.length === 0) throw new Error(`no resource for ${request.action.authAction}`);
  return checkEach(authorizer, principal, request, resources, 0);
}

/** Checks the resources in order and stops at the first refusal; stays synchronous while it can. */
function checkEach(
  authorizer: Authorizer,
  principal: Principal,
  request: AuthorizationRequest,
  resources: readonly string[],
  from: number,
): CheckOutcome | Promise<CheckOutcome> {
  for (let i = from; i < resources.length; i++) {
    const outcome = authorizer.check(principal, inputOf(request, resources[i] ?? ''));
    if (outcome instanceof Promise) {
      return outcome.then(
        (refusal: RamkeyError | undefined) =>
          refusal ?? checkEach(authorizer, principal, request, resources, i + 1),
      );
    }
    if (outcome) return outcome;
  }
  return undefined;
}

function inputOf(
  { action, connection, now, mfaPresent }: AuthorizationRequest,
  resource: string,
): AuthorizationInput {
  return {
    action: action.authAction,
    actionAliases: action.authAliases,
    resource,
    rw: action.rw,
    selfService: action.selfService,
    context: {
      sourceIp: connection.sourceIp,
      currentTime: now,
      secureTransport: connection.secureTransport,
      mfaPresent: mfaPresent === true,
      userAgent: connection.userAgent,
    },
  };
}
