// IMS network access restriction policies (reference/alibaba-api.md 2.2 and 6.5): SetAccessKeyPolicy and
// GetAccessKeyPolicy for one key, the ForAccount pair for the whole account, and SimulateAccessKeyPolicy
// (a Ramkey extension) to see what a policy would deny before setting it.
import { toWireDate } from '../../core/clock.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import {
  parseAccessKeyPolicy,
  serializeAccessKeyPolicy,
  type AccessKeyPolicy,
  type AccessKeyPolicyLevel,
} from '../../core/network/access-key-policy.js';
import type { KeyOwner } from '../../services/access-key-service.js';
import type { LockoutGuard } from '../../services/network-policy-service.js';
import { anyResource, on, keyOwnerByLogonName } from '../authorization.js';
import type { ActionContext, ActionDef } from './action.js';
import { parseUserAccessKeyId } from './owner.js';
import { parseBoolean } from './ram-permissions.js';

/** Days of source addresses a simulation replays by default, and at most. */
export const DEFAULT_SIMULATION_DAYS = 30;
const MAX_SIMULATION_DAYS = 3650;

function policyParam(ctx: ActionContext): AccessKeyPolicy {
  const parsed = parseAccessKeyPolicy(ctx.params.required('AccessKeyPolicy'));
  if (!parsed.ok) throw new RamkeyError(parsed.code, parsed.params ? { params: parsed.params } : {});
  return parsed.value;
}

/** The self-lockout guard of a Set call: its key, its address, and whether it accepts a lockout. */
function guardOf(ctx: ActionContext): LockoutGuard {
  return {
    // A console session signs with no key: it cannot lock itself out of the API.
    callerAccessKeyId: ctx.caller.credential.kind === 'AccessKey' ? ctx.caller.credential.id : undefined,
    sourceIp: ctx.sourceIp,
    accepted: parseBoolean(ctx.params, 'AcceptSelfLockout') ?? false,
  };
}

function levelParam(ctx: ActionContext): AccessKeyPolicyLevel {
  const level = ctx.params.optional('PolicyLevel') ?? 'AccessKey';
  if (level !== 'AccessKey' && level !== 'Account') {
    throw new RamkeyError('InvalidParameter', { params: ['PolicyLevel'] });
  }
  return level;
}

/** The actions, for IMS's table; `owner` resolves whose key `UserPrincipalName` (or its absence) names. */
export function networkPolicyActions(
  owner: (ctx: ActionContext) => Promise<KeyOwner> | KeyOwner,
): Record<string, ActionDef> {
  const keyId = (ctx: ActionContext) => parseUserAccessKeyId(ctx.params.required('UserAccessKeyId'));
  // Authorized on the key's owner, as Alibaba's table has it (ram:SetAccessKeyPolicy on *User). Not
  // self-service: a policy is an administrator's restriction, which the key's own user must not lift.
  const keyOwner = on(keyOwnerByLogonName);
  return {
    SetAccessKeyPolicy: {
      rw: 'Write',
      resources: keyOwner,
      async handle(ctx) {
        const id = keyId(ctx);
        const policy = policyParam(ctx);
        const set = await ctx.ramkey.networkPolicies.setForKey(await owner(ctx), id, policy, guardOf(ctx));
        return { AccessKeyId: id, AccessKeyPolicy: serializeAccessKeyPolicy(set) };
      },
    },
    GetAccessKeyPolicy: {
      rw: 'Read',
      resources: keyOwner,
      async handle(ctx) {
        const id = keyId(ctx);
        const policy = await ctx.ramkey.networkPolicies.getForKey(await owner(ctx), id);
        return { AccessKeyId: id, AccessKeyPolicy: serializeAccessKeyPolicy(policy) };
      },
    },
    SetAccessKeyPolicyForAccount: {
      rw: 'Write',
      resources: anyResource,
      async handle(ctx) {
        const policy = policyParam(ctx);
        const set = await ctx.ramkey.networkPolicies.setForAccount(
          ctx.caller.principal.accountId,
          policy,
          guardOf(ctx),
        );
        return { AccessKeyPolicy: serializeAccessKeyPolicy(set) };
      },
    },
    GetAccessKeyPolicyForAccount: {
      rw: 'Read',
      resources: anyResource,
      async handle(ctx) {
        const policy = await ctx.ramkey.networkPolicies.getForAccount(ctx.caller.principal.accountId);
        return { AccessKeyPolicy: serializeAccessKeyPolicy(policy) };
      },
    },
    // Ramkey extension: the key's source addresses of the last Days days replayed against a proposed
    // policy (at PolicyLevel, the other level as it is), listing those it would deny.
    SimulateAccessKeyPolicy: {
      rw: 'Read',
      resources: keyOwner,
      async handle(ctx) {
        const id = keyId(ctx);
        const policy = policyParam(ctx);
        const level = levelParam(ctx);
        const days = ctx.params.integer(
          'Days',
          { min: 1, max: MAX_SIMULATION_DAYS, fallback: DEFAULT_SIMULATION_DAYS },
          'InvalidParameter',
        );
        const result = await ctx.ramkey.networkPolicies.simulate(await owner(ctx), id, policy, level, days);
        return {
          AccessKeyId: id,
          PolicyLevel: result.level,
          DecidingPolicyLevel: result.decidingLevel ?? 'None',
          StartTime: toWireDate(result.since),
          EndTime: toWireDate(result.until),
          SourceIpCount: result.sourceIpCount,
          IsTruncated: result.truncated,
          DeniedSourceIps: {
            DeniedSourceIp: result.denied.map((d) => ({
              SourceIp: d.sourceIp,
              CallCount: d.callCount,
              FirstUsedDate: toWireDate(d.firstUsedAt),
              LastUsedDate: toWireDate(d.lastUsedAt),
            })),
          },
        };
      },
    },
  };
}
