// The action registry's facts: unique names, risk by product, the self-service and unrestricted
// actions, and the resources each kind of action is authorized on.
import { describe, expect, it } from 'vitest';
import { compilePolicies, evaluate, systemPolicies } from '../core/policy/index.js';
import { WildcardSet } from '../core/policy/wildcard-set.js';
import { Params } from './params.js';
import { factsByAuthAction, findAction, isKnownVersion, registry } from './registry.js';

const scope = (params: Record<string, string>, callerUserName?: string) => ({
  accountId: '1234567890123456',
  callerUserName,
  params: new Params(new Map(Object.entries(params))),
  userNameOf: (userId: string) => Promise.resolve(userId === '2000000000000001' ? 'app-1' : undefined),
});

function resources(authAction: string, params: Record<string, string>, callerUserName?: string) {
  const action = factsByAuthAction(authAction);
  if (!action) throw new Error(`${authAction} is not registered`);
  return action.resources(scope(params, callerUserName));
}

describe('the action registry', () => {
  it('names every action once, by version and by authorization name', () => {
    const keys = registry.map((a) => `${a.version}/${a.name}`);
    expect(new Set(keys).size).toBe(registry.length);
    for (const a of registry) {
      expect(findAction(a.version, a.name)).toBe(a);
      // RAM's action answers for the name it shares with IMS's; IMS's answers for its alias.
      const byName = factsByAuthAction(a.authAction.toUpperCase());
      expect(byName?.authAction).toBe(a.authAction);
      if (a.service !== 'Ims') expect(byName).toBe(a);
      for (const alias of a.authAliases) expect(factsByAuthAction(alias)).toBe(a);
    }
    expect(isKnownVersion('2015-05-01')).toBe(true);
    expect(isKnownVersion('2099-01-01')).toBe(false);
    expect(findAction('2015-05-01', 'createuser')).toBeUndefined();
  });

  it('classes every RAM and IMS action as identity, every other as standard', () => {
    for (const a of registry) {
      expect(a.risk, a.authAction).toBe(a.service === 'Ram' || a.service === 'Ims' ? 'identity' : 'standard');
    }
  });

  it("authorizes IMS actions under RAM's code, with ims: as an alias, and nothing else with one", () => {
    for (const a of registry) {
      if (a.service === 'Ims') {
        expect(a.authAction).toBe(`ram:${a.name}`);
        expect(a.authAliases).toEqual([`ims:${a.name}`]);
      } else {
        expect(a.authAliases).toEqual([]);
      }
    }
  });

  it('lets only the AccessKey actions be self-service, and only GetCallerIdentity and ChangePassword be unrestricted', () => {
    const keyActions = ['CreateAccessKey', 'ListAccessKeys', 'UpdateAccessKey', 'DeleteAccessKey'];
    const own = [
      ...[...keyActions, 'GetAccessKeyLastUsed'].flatMap((n) => [`2015-05-01/${n}`, `2019-08-15/${n}`]),
      // A user may mark its own key as suspected leaked (IMS only, a Ramkey extension).
      '2019-08-15/RestrictAccessKey',
    ];
    expect(registry.filter((a) => a.selfService).map((a) => `${a.version}/${a.name}`)).toEqual(
      expect.arrayContaining(own),
    );
    expect(registry.filter((a) => a.selfService)).toHaveLength(own.length);
    // ChangePassword: a RAM user changes its own password, proving it knows the current one.
    expect(registry.filter((a) => a.unrestricted).map((a) => a.authAction)).toEqual([
      'ram:ChangePassword',
      'sts:GetCallerIdentity',
    ]);
  });

  it('names the user a key action addresses, or the caller itself', () => {
    expect(resources('ram:CreateAccessKey', { UserName: 'app-1' }, 'ops')).toEqual([
      'acs:ram:*:1234567890123456:user/app-1',
    ]);
    expect(resources('ram:CreateAccessKey', {}, 'ops')).toEqual(['acs:ram:*:1234567890123456:user/ops']);
    expect(resources('ram:ListAccessKeys', {})).toEqual(['acs:ram:*:1234567890123456:root']);
    expect(resources('ims:ListAccessKeys', { UserPrincipalName: 'x@6543210987654321.onaliyun.com' })).toEqual(
      ['acs:ram:*:6543210987654321:user/x'],
    );
    expect(resources('ram:ListUsers', {})).toEqual(['*']);
  });

  // Alibaba authorizes the recycle bin actions on all resources; IMS DeleteUser names its user even
  // when given by ID (its ARN holds the name, looked up).
  it('authorizes the recycle bin on *, and IMS DeleteUser on the user named by logon name or ID', async () => {
    for (const action of [
      'ListAccessKeysInRecycleBin',
      'GetAccessKeyInfoInRecycleBin',
      'RestoreAccessKeyFromRecycleBin',
      'DeleteAccessKeyInRecycleBin',
      'ListUsersInRecycleBin',
      'GetUserInRecycleBin',
      'RestoreUserFromRecycleBin',
      'DeleteUserInRecycleBin',
    ]) {
      expect(resources(`ims:${action}`, { UserId: '2000000000000001' }, 'ops')).toEqual(['*']);
      expect(factsByAuthAction(`ims:${action}`)?.authAction).toBe(`ram:${action}`);
    }
    const acct = 'acs:ram:*:1234567890123456';
    expect(await resources('ims:DeleteUser', { UserId: '2000000000000001' })).toEqual([`${acct}:user/app-1`]);
    expect(await resources('ims:DeleteUser', { UserId: '2000000000000002' })).toEqual([`${acct}:user/`]);
    expect(
      await resources('ims:DeleteUser', { UserPrincipalName: 'x@1234567890123456.onaliyun.com' }),
    ).toEqual([`${acct}:user/x`]);
    expect(resources('ram:DeleteUser', { UserName: 'y' })).toEqual([`${acct}:user/y`]);
  });

  it("authorizes network access policy actions on the key's owner, and the account's on everything", () => {
    const upn = { UserPrincipalName: 'app@1234567890123456.onaliyun.com', UserAccessKeyId: 'LTAIx' };
    for (const name of ['SetAccessKeyPolicy', 'GetAccessKeyPolicy', 'SimulateAccessKeyPolicy']) {
      expect(resources(`ram:${name}`, upn, 'ops')).toEqual(['acs:ram:*:1234567890123456:user/app']);
      expect(resources(`ims:${name}`, {}, 'ops')).toEqual(['acs:ram:*:1234567890123456:user/ops']);
      expect(resources(`ram:${name}`, {})).toEqual(['acs:ram:*:1234567890123456:root']);
    }
    expect(resources('ram:SetAccessKeyPolicyForAccount', {})).toEqual(['*']);
    expect(resources('ram:GetAccessKeyPolicyForAccount', {})).toEqual(['*']);
    expect(findAction('2019-08-15', 'SetAccessKeyPolicy')?.rw).toBe('Write');
    expect(findAction('2019-08-15', 'SimulateAccessKeyPolicy')?.rw).toBe('Read');
  });

  // RAM's authorization table lists both the user and the group for membership changes; attaching is
  // authorized on the policy too, so that a right scoped to one's own user cannot attach anything.
  it('authorizes membership and attachment actions on every entity they touch', () => {
    const acct = 'acs:ram:*:1234567890123456';
    const names = { UserName: 'u', GroupName: 'g', PolicyName: 'p' };
    expect(resources('ram:AddUserToGroup', names)).toEqual([`${acct}:user/u`, `${acct}:group/g`]);
    expect(resources('ram:RemoveUserFromGroup', names)).toEqual([`${acct}:user/u`, `${acct}:group/g`]);
    expect(resources('ram:AttachPolicyToUser', names)).toEqual([`${acct}:user/u`, `${acct}:policy/p`]);
    expect(resources('ram:DetachPolicyFromUser', names)).toEqual([`${acct}:user/u`, `${acct}:policy/p`]);
    expect(resources('ram:AttachPolicyToGroup', names)).toEqual([`${acct}:group/g`, `${acct}:policy/p`]);
    expect(resources('ram:DetachPolicyFromGroup', names)).toEqual([`${acct}:group/g`, `${acct}:policy/p`]);
  });

  // ReadOnlyAccess grants by the read/write flag. Before, it named read verbs (Get*, List*,
  // Describe*, Query*, Lookup*); every built-in action decides as it did then, except the two Read
  // simulators, which no verb named and which the flag now covers.
  it('lets ReadOnlyAccess allow exactly the Read actions, as the verbs did but for the simulators', () => {
    const readOnly = systemPolicies.get('ReadOnlyAccess');
    if (!readOnly) throw new Error('ReadOnlyAccess is missing');
    const set = compilePolicies([
      { policyName: 'ReadOnlyAccess', policyType: 'System', document: readOnly.document },
    ]);
    const verbs = new WildcardSet(['*:get*', '*:list*', '*:describe*', '*:query*', '*:lookup*']);
    const changed: string[] = [];
    for (const a of registry) {
      const decision = evaluate(set, {
        action: a.authAction,
        actionAliases: a.authAliases,
        resource: '*',
        context: {
          sourceIp: '203.0.113.7',
          currentTime: 0,
          secureTransport: true,
          mfaPresent: false,
          userAgent: '',
          actionAccess: a.rw,
        },
      });
      expect([a.authAction, decision.effect]).toEqual([a.authAction, a.rw === 'Read' ? 'allow' : 'noMatch']);
      const byVerb = [a.authAction, ...a.authAliases].some((n) => verbs.matches(n.toLowerCase()));
      if (byVerb !== (decision.effect === 'allow')) changed.push(`${a.version}/${a.name}`);
    }
    expect(changed.sort()).toEqual([
      '2015-05-01/SimulatePrincipalPolicy',
      '2019-08-15/SimulateAccessKeyPolicy',
    ]);
  });
});
