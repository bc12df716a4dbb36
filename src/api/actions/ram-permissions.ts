// RAM (2015-05-01): policies and their versions, groups, attachments, security preferences, and the
// policy simulator (a Ramkey extension).
import { toWireDate } from '../../core/clock.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import {
  parseComments,
  parseDescription,
  parseGroupName,
  parsePolicyName,
  parsePolicyType,
  parseUserName,
  parseVersionId,
} from '../../core/identity/validate.js';
import type { AttachedPolicy, PermissionService, PolicyView } from '../../services/permission-service.js';
import type { GroupRecord, PolicyType, PolicyVersionRecord } from '../../store/store.js';
import { unwrap, type Params } from '../params.js';
import { anyResource, group, on, policy, user, type ResourcesOf } from '../authorization.js';
import type { ActionContext, ActionDef, FactsLookup } from './action.js';
import { parseSecurityPreferencePatch, ramPreferenceBody } from './security-preference.js';

const policyName = (p: Params) => unwrap(parsePolicyName(p.required('PolicyName')));
const policyType = (p: Params) => unwrap(parsePolicyType(p.required('PolicyType')));
const groupName = (p: Params) => unwrap(parseGroupName(p.required('GroupName')));
const userName = (p: Params) => unwrap(parseUserName(p.required('UserName')));
const versionId = (p: Params) => unwrap(parseVersionId(p.required('VersionId')));
const maxItems = (p: Params) =>
  p.integer('MaxItems', { min: 1, max: 1000, fallback: 100 }, 'InvalidParameter.MaxItems');

export function parseBoolean(params: Params, name: string): boolean | undefined {
  const value = params.optional(name);
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new RamkeyError('InvalidParameter.Boolean', { params: [name] });
}

function policyBody(p: PolicyView) {
  return {
    PolicyName: p.policyName,
    PolicyType: p.policyType,
    Description: p.description,
    DefaultVersion: p.defaultVersion,
    AttachmentCount: p.attachmentCount,
    CreateDate: toWireDate(p.createdAt),
    UpdateDate: toWireDate(p.updatedAt),
  };
}

function versionBody(v: PolicyVersionRecord) {
  return {
    VersionId: v.versionId,
    IsDefaultVersion: v.isDefault,
    PolicyDocument: v.document,
    CreateDate: toWireDate(v.createdAt),
  };
}

function groupBody(g: GroupRecord) {
  return {
    GroupId: g.groupId,
    GroupName: g.groupName,
    Comments: g.comments,
    CreateDate: toWireDate(g.createdAt),
    UpdateDate: toWireDate(g.updatedAt),
  };
}

async function namedUser({ ramkey, caller, params }: ActionContext) {
  return ramkey.identity.getUser(caller.principal.accountId, userName(params));
}

async function namedGroup({ ramkey, caller, params }: ActionContext) {
  return ramkey.permissions.getGroup(caller.principal.accountId, groupName(params));
}

/**
 * Attach* and Detach*: the policy PolicyType/PolicyName names, applied to the user or group the
 * request names (its parameters are checked first, then the target is looked up).
 */
function attachment<T>(
  resources: ResourcesOf,
  target: (ctx: ActionContext) => Promise<T>,
  apply: (
    permissions: PermissionService,
    accountId: string,
    target: T,
    type: PolicyType,
    policyName: string,
  ) => Promise<void>,
): ActionDef {
  return {
    rw: 'Write',
    resources,
    async handle(ctx) {
      const type = policyType(ctx.params);
      const name = policyName(ctx.params);
      await apply(ctx.ramkey.permissions, ctx.caller.principal.accountId, await target(ctx), type, name);
      return {};
    },
  };
}

const ROTATE_STRATEGIES = new Set(['None', 'DeleteOldestNonDefaultVersionWhenLimitExceeded']);

/** RAM's permission actions; the simulator reads other actions' facts from `facts`. */
export const permissionActions = (facts: FactsLookup): Record<string, ActionDef> => ({
  CreatePolicy: {
    rw: 'Write',
    resources: on(policy),
    async handle({ ramkey, caller, params }) {
      const description = params.parsed('Description', parseDescription) ?? '';
      const policy = await ramkey.permissions.createPolicy(
        caller.principal.accountId,
        policyName(params),
        params.required('PolicyDocument'),
        description,
      );
      return {
        Policy: {
          PolicyName: policy.policyName,
          PolicyType: 'Custom',
          Description: policy.description,
          DefaultVersion: policy.defaultVersion,
          CreateDate: toWireDate(policy.createdAt),
        },
      };
    },
  },
  GetPolicy: {
    rw: 'Read',
    resources: on(policy),
    async handle({ ramkey, caller, params }) {
      const p = await ramkey.permissions.getPolicy(
        caller.principal.accountId,
        policyType(params),
        policyName(params),
      );
      return {
        Policy: { ...policyBody(p), PolicyDocument: p.document },
        DefaultPolicyVersion: {
          VersionId: p.defaultVersion,
          IsDefaultVersion: true,
          PolicyDocument: p.document,
          CreateDate: toWireDate(p.updatedAt),
        },
      };
    },
  },
  ListPolicies: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const type = params.parsed('PolicyType', parsePolicyType);
      const marker = params.optional('Marker');
      const page = await ramkey.permissions.listPolicies(caller.principal.accountId, type, {
        maxItems: maxItems(params),
        ...(marker !== undefined && { marker }),
      });
      return {
        IsTruncated: page.nextMarker !== undefined,
        ...(page.nextMarker !== undefined && { Marker: page.nextMarker }),
        Policies: { Policy: page.items.map(policyBody) },
      };
    },
  },
  DeletePolicy: {
    rw: 'Write',
    resources: on(policy),
    async handle({ ramkey, caller, params }) {
      await ramkey.permissions.deletePolicy(caller.principal.accountId, policyName(params));
      return {};
    },
  },
  CreatePolicyVersion: {
    rw: 'Write',
    resources: on(policy),
    async handle({ ramkey, caller, params }) {
      const strategy = params.optional('RotateStrategy') ?? 'None';
      if (!ROTATE_STRATEGIES.has(strategy)) throw new RamkeyError('InvalidParameter.RotateStrategy');
      const version = await ramkey.permissions.createPolicyVersion(
        caller.principal.accountId,
        policyName(params),
        params.required('PolicyDocument'),
        parseBoolean(params, 'SetAsDefault') ?? false,
        strategy !== 'None',
      );
      return { PolicyVersion: versionBody(version) };
    },
  },
  GetPolicyVersion: {
    rw: 'Read',
    resources: on(policy),
    async handle({ ramkey, caller, params }) {
      const version = await ramkey.permissions.getPolicyVersion(
        caller.principal.accountId,
        policyType(params),
        policyName(params),
        versionId(params),
      );
      return { PolicyVersion: versionBody(version) };
    },
  },
  ListPolicyVersions: {
    rw: 'Read',
    resources: on(policy),
    async handle({ ramkey, caller, params }) {
      const versions = await ramkey.permissions.listPolicyVersions(
        caller.principal.accountId,
        policyType(params),
        policyName(params),
      );
      return { PolicyVersions: { PolicyVersion: versions.map(versionBody) } };
    },
  },
  SetDefaultPolicyVersion: {
    rw: 'Write',
    resources: on(policy),
    async handle({ ramkey, caller, params }) {
      await ramkey.permissions.setDefaultPolicyVersion(
        caller.principal.accountId,
        policyName(params),
        versionId(params),
      );
      return {};
    },
  },
  DeletePolicyVersion: {
    rw: 'Write',
    resources: on(policy),
    async handle({ ramkey, caller, params }) {
      await ramkey.permissions.deletePolicyVersion(
        caller.principal.accountId,
        policyName(params),
        versionId(params),
      );
      return {};
    },
  },
  // Authorized on the target and on the policy, so that "may attach only ReadOnlyAccess" can be written.
  AttachPolicyToUser: attachment(on(user, policy), namedUser, (p, ...args) => p.attachToUser(...args)),
  DetachPolicyFromUser: attachment(on(user, policy), namedUser, (p, ...args) => p.detachFromUser(...args)),
  AttachPolicyToGroup: attachment(on(group, policy), namedGroup, (p, ...args) => p.attachToGroup(...args)),
  DetachPolicyFromGroup: attachment(on(group, policy), namedGroup, (p, ...args) =>
    p.detachFromGroup(...args),
  ),
  ListPoliciesForUser: {
    rw: 'Read',
    resources: on(user),
    async handle(ctx) {
      const attached = await ctx.ramkey.permissions.policiesForUser(await namedUser(ctx));
      return { Policies: { Policy: attached.map(attachmentBody) } };
    },
  },
  ListPoliciesForGroup: {
    rw: 'Read',
    resources: on(group),
    async handle(ctx) {
      const attached = await ctx.ramkey.permissions.policiesForGroup(await namedGroup(ctx));
      return { Policies: { Policy: attached.map(attachmentBody) } };
    },
  },
  ListEntitiesForPolicy: {
    rw: 'Read',
    resources: on(policy),
    async handle({ ramkey, caller, params }) {
      const entities = await ramkey.permissions.listEntitiesForPolicy(
        caller.principal.accountId,
        policyType(params),
        policyName(params),
      );
      return {
        Users: {
          User: entities.users.map((e) => ({
            UserId: e.user.userId,
            UserName: e.user.userName,
            DisplayName: e.user.displayName,
            AttachDate: toWireDate(e.attachedAt),
          })),
        },
        Groups: {
          Group: entities.groups.map((e) => ({
            GroupName: e.group.groupName,
            Comments: e.group.comments,
            AttachDate: toWireDate(e.attachedAt),
          })),
        },
      };
    },
  },
  CreateGroup: {
    rw: 'Write',
    resources: on(group),
    async handle({ ramkey, caller, params }) {
      const comments = params.parsed('Comments', parseComments) ?? '';
      const group = await ramkey.permissions.createGroup(
        caller.principal.accountId,
        groupName(params),
        comments,
      );
      return { Group: groupBody(group) };
    },
  },
  GetGroup: {
    rw: 'Read',
    resources: on(group),
    async handle(ctx) {
      return { Group: groupBody(await namedGroup(ctx)) };
    },
  },
  UpdateGroup: {
    rw: 'Write',
    resources: on(group),
    async handle({ ramkey, caller, params }) {
      const newGroupName = params.parsed('NewGroupName', (v) => parseGroupName(v, 'NewGroupName'));
      const newComments = params.parsed('NewComments', (v) => parseComments(v, 'NewComments'));
      const group = await ramkey.permissions.updateGroup(caller.principal.accountId, groupName(params), {
        ...(newGroupName !== undefined && { newGroupName }),
        ...(newComments !== undefined && { newComments }),
      });
      return { Group: groupBody(group) };
    },
  },
  ListGroups: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const marker = params.optional('Marker');
      const page = await ramkey.permissions.listGroups(caller.principal.accountId, {
        maxItems: maxItems(params),
        ...(marker !== undefined && { marker }),
      });
      return {
        IsTruncated: page.nextMarker !== undefined,
        ...(page.nextMarker !== undefined && { Marker: page.nextMarker }),
        Groups: { Group: page.items.map(groupBody) },
      };
    },
  },
  DeleteGroup: {
    rw: 'Write',
    resources: on(group),
    async handle({ ramkey, caller, params }) {
      await ramkey.permissions.deleteGroup(caller.principal.accountId, groupName(params));
      return {};
    },
  },
  AddUserToGroup: {
    rw: 'Write',
    resources: on(user, group),
    async handle(ctx) {
      const user = await namedUser(ctx);
      await ctx.ramkey.permissions.addUserToGroup(
        ctx.caller.principal.accountId,
        user,
        await namedGroup(ctx),
      );
      return {};
    },
  },
  RemoveUserFromGroup: {
    rw: 'Write',
    resources: on(user, group),
    async handle(ctx) {
      const user = await namedUser(ctx);
      await ctx.ramkey.permissions.removeUserFromGroup(
        ctx.caller.principal.accountId,
        user,
        await namedGroup(ctx),
      );
      return {};
    },
  },
  ListGroupsForUser: {
    rw: 'Read',
    resources: on(user),
    async handle(ctx) {
      const memberships = await ctx.ramkey.permissions.groupsForUser(await namedUser(ctx));
      return {
        Groups: {
          Group: memberships.map((m) => ({
            GroupId: m.group.groupId,
            GroupName: m.group.groupName,
            Comments: m.group.comments,
            JoinDate: toWireDate(m.joinedAt),
          })),
        },
      };
    },
  },
  ListUsersForGroup: {
    rw: 'Read',
    resources: on(group),
    async handle(ctx) {
      const group = await namedGroup(ctx);
      const marker = ctx.params.optional('Marker');
      const page = await ctx.ramkey.permissions.usersForGroup(group, {
        maxItems: maxItems(ctx.params),
        ...(marker !== undefined && { marker }),
      });
      return {
        IsTruncated: page.nextMarker !== undefined,
        ...(page.nextMarker !== undefined && { Marker: page.nextMarker }),
        Users: {
          User: page.items.map((m) => ({
            UserName: m.user.userName,
            DisplayName: m.user.displayName,
            JoinDate: toWireDate(m.joinedAt),
          })),
        },
      };
    },
  },
  GetSecurityPreference: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller }) {
      return ramPreferenceBody(await ramkey.permissions.getSecurityPreference(caller.principal.accountId));
    },
  },
  SetSecurityPreference: {
    rw: 'Write',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const patch = parseSecurityPreferencePatch(params, 'ram');
      return ramPreferenceBody(
        await ramkey.permissions.setSecurityPreference(caller.principal.accountId, patch),
      );
    },
  },
  /**
   * Ramkey extension: the decision the authorizer would make for a user calling `ActionName` on
   * `ResourceArn` (default `*`) from `SourceIp` (default the caller's address), and the statement
   * that decided it.
   */
  SimulatePrincipalPolicy: {
    rw: 'Read',
    resources: on(user),
    async handle(ctx) {
      const user = await namedUser(ctx);
      const action = ctx.params.required('ActionName');
      const resource = ctx.params.optional('ResourceArn') ?? '*';
      // Simulated as the call would be authorized: `ims:CreateAccessKey` is IMS's CreateAccessKey,
      // which is authorized as ram:CreateAccessKey with ims:CreateAccessKey as an alias; a custom
      // service's action (`orders:GetOrder`) with its read/write flag, as the account resolves it.
      const known =
        facts(action) ??
        (await ctx.ramkey.services.factsByAuthAction(ctx.caller.principal.accountId, action));
      const verdict = await ctx.ramkey.permissions.simulate(user, {
        action: known?.authAction ?? action,
        actionAliases: known?.authAliases ?? [],
        resource,
        rw: known?.rw,
        selfService: known?.selfService ?? false,
        context: {
          sourceIp: ctx.params.optional('SourceIp') ?? ctx.sourceIp,
          currentTime: ctx.ramkey.clock.now(),
          secureTransport: ctx.params.optional('SecureTransport') === 'true',
          mfaPresent: false,
          userAgent: '',
        },
      });
      const s = verdict.decision.statement;
      return {
        EvalDecision: verdict.allowed
          ? 'allowed'
          : verdict.decision.effect === 'deny'
            ? 'explicitDeny'
            : 'implicitDeny',
        EvalActionName: action,
        EvalResourceName: resource,
        AllowedBySecurityPreference: verdict.byPreference,
        ...(s && {
          MatchedStatement: {
            PolicyName: s.policyName,
            PolicyType: s.policyType,
            StatementIndex: s.index,
            Effect: s.effect,
          },
        }),
      };
    },
  },
});

function attachmentBody({ policy, attachedAt }: AttachedPolicy) {
  return {
    PolicyName: policy.policyName,
    PolicyType: policy.policyType,
    Description: policy.description,
    DefaultVersion: policy.defaultVersion,
    AttachDate: toWireDate(attachedAt),
  };
}
