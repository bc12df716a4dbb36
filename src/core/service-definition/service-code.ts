// Service codes: the name a platform team registers its own API under. The code is the prefix of the
// service's actions in RAM policies (`orders:GetOrder`) and the serviceName of its audit events, so it
// is checked as strictly as a policy's action prefix is read, and never one of Ramkey's own.
import { fail, ok, type Result } from '../errors/ramkey-error.js';

/** A code that passed {@link parseServiceCode}; only that function makes one. */
export type ServiceCode = string & { readonly __serviceCode: unique symbol };

/**
 * 2-32 characters: lower-case letters, digits and `-`, starting with a letter. Lower case only, so that
 * a code names one service however a policy spells its actions (policies match actions
 * case-insensitively).
 */
const SERVICE_CODE = /^[a-z][a-z0-9-]{1,31}$/;

/**
 * Codes a custom service may not take: the products Ramkey answers for itself (`ram`, `ims`, `sts`,
 * `actiontrail`), the ARN scheme `acs`, and `ramkey` (its own condition keys). A service named `ram`
 * would have its actions covered by every `ram:*` grant and Deny.
 */
export const RESERVED_SERVICE_CODES: ReadonlySet<string> = new Set([
  'ram',
  'ims',
  'sts',
  'actiontrail',
  'acs',
  'ramkey',
]);

/**
 * Checks a service code (`ServiceName` of the service actions).
 *
 * @example
 * parseServiceCode('orders'); // => { ok: true, value: 'orders' }
 * parseServiceCode('ram'); // => { ok: false, code: 'InvalidParameter.ServiceName.Reserved', params: ['ram'] }
 */
export function parseServiceCode(value: string): Result<ServiceCode> {
  if (!SERVICE_CODE.test(value)) return fail('InvalidParameter.ServiceName.Format');
  if (RESERVED_SERVICE_CODES.has(value)) return fail('InvalidParameter.ServiceName.Reserved', value);
  return ok(value as ServiceCode);
}
