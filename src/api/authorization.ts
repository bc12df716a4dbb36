// The resources an action is authorized on, derived from the request's parameters: the building
// blocks each product table uses to declare its actions' resources (RAM's ARN forms).
import { parseUserPrincipalName } from '../core/identity/validate.js';
import type { Params } from './params.js';

export interface ResourceScope {
  accountId: string;
  /** The calling RAM user's name; undefined for the root identity. */
  callerUserName: string | undefined;
  params: Params;
  /**
   * The name of the account's user with that ID (undefined when unknown), for actions that name a
   * user by ID (IMS `UserId`) but are authorized on its ARN, which holds its name.
   */
  userNameOf: (userId: string) => Promise<string | undefined>;
}

/**
 * Every resource an action touches; the caller must be allowed on each of them. Synchronous unless
 * finding a resource's name needs a lookup.
 */
export type ResourcesOf = (scope: ResourceScope) => readonly string[] | Promise<readonly string[]>;

/** One resource of a request. */
type ResourceOf = (scope: ResourceScope) => string;

/** `acs:ram:*:<account>:<type>/<name>`, the resource form RAM policies use. */
export function ramArn(
  accountId: string,
  type: 'user' | 'group' | 'policy' | 'service' | 'mfa',
  name: string,
): string {
  return `acs:ram:*:${accountId}:${type}/${name}`;
}

/** The caller's own ARN: its user, or the account's root. */
function self(scope: ResourceScope): string {
  return scope.callerUserName === undefined
    ? `acs:ram:*:${scope.accountId}:root`
    : ramArn(scope.accountId, 'user', scope.callerUserName);
}

/** An action authorized on each of these resources, e.g. `on(user, group)` for AddUserToGroup. */
export function on(...resources: readonly ResourceOf[]): ResourcesOf {
  return (scope) => resources.map((of) => of(scope));
}

/** Account-wide actions (listing, preferences, the audit trail). */
export const anyResource: ResourcesOf = () => ['*'];

const named =
  (type: 'user' | 'group' | 'policy' | 'service', param: string): ResourceOf =>
  (s) =>
    ramArn(s.accountId, type, s.params.optional(param) ?? '');

/** The user `UserName` names. */
export const user = named('user', 'UserName');
/** The group `GroupName` names. */
export const group = named('group', 'GroupName');
/** The policy `PolicyName` names. */
export const policy = named('policy', 'PolicyName');
/** The custom service `ServiceName` names (a Ramkey resource type, like `policy`). */
export const service = named('service', 'ServiceName');

/** The virtual MFA device `VirtualMFADeviceName` names. */
export const mfaDeviceByName: ResourceOf = (s) =>
  ramArn(s.accountId, 'mfa', s.params.optional('VirtualMFADeviceName') ?? '');

/**
 * The virtual MFA device `SerialNumber` (`acs:ram::ACCOUNT:mfa/NAME`) names, in whatever account it
 * names (another account's is then not found); anything else names `mfa/`, which only a right on
 * every device covers.
 */
export const mfaDeviceBySerial: ResourceOf = (s) => {
  const serial = /^acs:ram::(\d+):mfa\/(.*)$/.exec(s.params.optional('SerialNumber') ?? '');
  return serial ? `acs:ram:*:${serial[1] ?? ''}:mfa/${serial[2] ?? ''}` : ramArn(s.accountId, 'mfa', '');
};

/** RAM key actions: the named user, or the caller itself when `UserName` is absent. */
export const keyOwner: ResourceOf = (s) => (s.params.optional('UserName') === undefined ? self(s) : user(s));

/**
 * IMS `DeleteUser`: the user `UserPrincipalName` names, or else the one `UserId` names (looked up: its
 * ARN holds its name; an unknown ID names `user/`, which only a right on every user covers).
 */
export const userByLogonNameOrId: ResourcesOf = (s) => {
  const userId = s.params.optional('UserId');
  if (s.params.optional('UserPrincipalName') !== undefined || userId === undefined) {
    return [keyOwnerByLogonName(s)];
  }
  return s.userNameOf(userId).then((name) => [ramArn(s.accountId, 'user', name ?? '')]);
};

/** IMS key actions: the user a logon name names (in whatever account it names), or the caller. */
export const keyOwnerByLogonName: ResourceOf = (s) => {
  const upn = s.params.optional('UserPrincipalName');
  if (upn === undefined) return self(s);
  const parsed = parseUserPrincipalName(upn);
  return parsed.ok
    ? `acs:ram:*:${parsed.value.accountId}:user/${parsed.value.userName}`
    : ramArn(s.accountId, 'user', upn);
};
