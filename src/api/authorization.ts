// The one table of what each action needs: its authorization name (`ram:CreateAccessKey`) and the
// resource ARN it acts on, derived from the request's parameters. A test proves every dispatched
// action has an entry, so no action can slip through unauthorized.
import { parseUserPrincipalName } from '../core/identity/validate.js';
import type { Params } from './params.js';

export interface ResourceScope {
  accountId: string;
  /** The calling RAM user's name; undefined for the root identity. */
  callerUserName: string | undefined;
  params: Params;
}

type ResourceOf = (scope: ResourceScope) => string;

/** `acs:ram:*:<account>:<type>/<name>`, the resource form RAM policies use. */
export function ramArn(accountId: string, type: 'user' | 'group' | 'policy', name: string): string {
  return `acs:ram:*:${accountId}:${type}/${name}`;
}

/** The caller's own ARN: its user, or the account's root. */
function self(scope: ResourceScope): string {
  return scope.callerUserName === undefined
    ? `acs:ram:*:${scope.accountId}:root`
    : ramArn(scope.accountId, 'user', scope.callerUserName);
}

const any: ResourceOf = () => '*';

const userNamed =
  (param: string): ResourceOf =>
  (s) =>
    ramArn(s.accountId, 'user', s.params.optional(param) ?? '');

/** RAM key actions: the named user, or the caller itself when `UserName` is absent. */
const keyOwner: ResourceOf = (s) => {
  const name = s.params.optional('UserName');
  return name === undefined ? self(s) : ramArn(s.accountId, 'user', name);
};

/** IMS key actions: the user a logon name names (in whatever account it names), or the caller. */
const keyOwnerByLogonName: ResourceOf = (s) => {
  const upn = s.params.optional('UserPrincipalName');
  if (upn === undefined) return self(s);
  const parsed = parseUserPrincipalName(upn);
  return parsed.ok
    ? `acs:ram:*:${parsed.value.accountId}:user/${parsed.value.userName}`
    : ramArn(s.accountId, 'user', upn);
};

const groupNamed: ResourceOf = (s) => ramArn(s.accountId, 'group', s.params.optional('GroupName') ?? '');
const policyNamed: ResourceOf = (s) => ramArn(s.accountId, 'policy', s.params.optional('PolicyName') ?? '');

/** Keyed by authorization action name. */
export const actionResources: Readonly<Record<string, ResourceOf>> = {
  // RAM users
  'ram:CreateUser': userNamed('UserName'),
  'ram:GetUser': userNamed('UserName'),
  'ram:UpdateUser': userNamed('UserName'),
  'ram:ListUsers': any,
  'ram:DeleteUser': userNamed('UserName'),
  // RAM AccessKeys
  'ram:CreateAccessKey': keyOwner,
  'ram:ListAccessKeys': keyOwner,
  'ram:UpdateAccessKey': keyOwner,
  'ram:DeleteAccessKey': keyOwner,
  'ram:GetAccessKeyLastUsed': keyOwner,
  // RAM policies
  'ram:CreatePolicy': policyNamed,
  'ram:GetPolicy': policyNamed,
  'ram:ListPolicies': any,
  'ram:DeletePolicy': policyNamed,
  'ram:CreatePolicyVersion': policyNamed,
  'ram:GetPolicyVersion': policyNamed,
  'ram:ListPolicyVersions': policyNamed,
  'ram:SetDefaultPolicyVersion': policyNamed,
  'ram:DeletePolicyVersion': policyNamed,
  'ram:AttachPolicyToUser': userNamed('UserName'),
  'ram:DetachPolicyFromUser': userNamed('UserName'),
  'ram:AttachPolicyToGroup': groupNamed,
  'ram:DetachPolicyFromGroup': groupNamed,
  'ram:ListPoliciesForUser': userNamed('UserName'),
  'ram:ListPoliciesForGroup': groupNamed,
  'ram:ListEntitiesForPolicy': policyNamed,
  'ram:SimulatePrincipalPolicy': userNamed('UserName'),
  // RAM groups
  'ram:CreateGroup': groupNamed,
  'ram:GetGroup': groupNamed,
  'ram:UpdateGroup': groupNamed,
  'ram:ListGroups': any,
  'ram:DeleteGroup': groupNamed,
  'ram:AddUserToGroup': groupNamed,
  'ram:RemoveUserFromGroup': groupNamed,
  'ram:ListGroupsForUser': userNamed('UserName'),
  'ram:ListUsersForGroup': groupNamed,
  // Security preferences (account-wide)
  'ram:GetSecurityPreference': any,
  'ram:SetSecurityPreference': any,
  'ims:GetSecurityPreference': any,
  'ims:SetSecurityPreference': any,
  // IMS AccessKeys and the account summary
  'ims:CreateAccessKey': keyOwnerByLogonName,
  'ims:ListAccessKeys': keyOwnerByLogonName,
  'ims:UpdateAccessKey': keyOwnerByLogonName,
  'ims:DeleteAccessKey': keyOwnerByLogonName,
  'ims:GetAccessKeyLastUsed': keyOwnerByLogonName,
  'ims:GetAccountSummary': any,
  'ims:GetAccessKeyOwner': any,
  // IMS credential report (account-wide)
  'ims:GenerateCredentialReport': any,
  'ims:GetCredentialReport': any,
  // STS
  'sts:GetCallerIdentity': any,
  // ActionTrail: the account's audit trail and its keys' usage
  'actiontrail:LookupEvents': any,
  'actiontrail:GetAccessKeyLastUsedInfo': any,
  'actiontrail:GetAccessKeyLastUsedIps': any,
  'actiontrail:GetAccessKeyLastUsedProducts': any,
  'actiontrail:GetAccessKeyLastUsedEvents': any,
};

/**
 * Actions a RAM user may perform on its own AccessKeys without any policy when the account's
 * security preference AllowUserToManageAccessKeys is on (as on Alibaba Cloud).
 */
export const ownAccessKeyActions: ReadonlySet<string> = new Set([
  'ram:CreateAccessKey',
  'ram:ListAccessKeys',
  'ram:UpdateAccessKey',
  'ram:DeleteAccessKey',
  'ram:GetAccessKeyLastUsed',
  'ims:CreateAccessKey',
  'ims:ListAccessKeys',
  'ims:UpdateAccessKey',
  'ims:DeleteAccessKey',
  'ims:GetAccessKeyLastUsed',
]);

/** The resource an action touches; an action missing from the table is a bug and fails closed. */
export function resourceOf(authAction: string, scope: ResourceScope): string {
  const of = Object.hasOwn(actionResources, authAction) ? actionResources[authAction] : undefined;
  if (!of) throw new Error(`no authorization entry for ${authAction}`);
  return of(scope);
}
