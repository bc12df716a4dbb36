// systemPolicies: every built-in document parses, and each grants what its name says and no more.
import { describe, expect, it } from 'vitest';
import { NOW_MS } from '../../../test/vectors/policy/policy-arbitraries.js';
import {
  compilePolicies,
  evaluate,
  parsePolicyDocument,
  serializePolicyDocument,
  systemPolicies,
  type Decision,
} from './index.js';

function decide(
  name: string,
  action: string,
  resource = '*',
  userName?: string,
  actionAccess?: 'Read' | 'Write',
): Decision['effect'] {
  const policy = systemPolicies.get(name);
  if (!policy) throw new Error(name);
  const set = compilePolicies([{ policyName: name, policyType: 'System', document: policy.document }]);
  return evaluate(set, {
    action,
    resource,
    context: {
      sourceIp: '203.0.113.7',
      currentTime: NOW_MS,
      secureTransport: true,
      mfaPresent: false,
      userAgent: 'test',
      ...(userName === undefined ? {} : { userName }),
      ...(actionAccess === undefined ? {} : { actionAccess }),
    },
  }).effect;
}

const WRITE_ACTIONS = [
  'ram:CreateUser',
  'ram:UpdateUser',
  'ram:DeleteUser',
  'ram:CreateAccessKey',
  'ram:UpdateAccessKey',
  'ram:DeleteAccessKey',
  'ram:AttachPolicyToUser',
  'ram:SetPasswordPolicy',
  'ims:CreateAccessKey',
  'ims:GenerateCredentialReport',
  'sts:AssumeRole',
];

describe('systemPolicies', () => {
  it('holds the documented built-ins', () => {
    expect([...systemPolicies.keys()].sort()).toEqual([
      'AdministratorAccess',
      'AliyunRAMFullAccess',
      'AliyunRAMReadOnlyAccess',
      'AliyunSTSAssumeRoleAccess',
      'RamkeyManageOwnAccessKeys',
      'ReadOnlyAccess',
    ]);
  });

  describe.each([...systemPolicies.values()].map((p) => [p.policyName, p] as const))('%s', (name, policy) => {
    it('parses from its own text to its document, at version v1', () => {
      expect(policy.version).toBe('v1');
      expect(policy.policyName).toBe(name);
      expect(policy.description.length).toBeGreaterThan(10);
      expect(parsePolicyDocument(policy.policyDocument)).toEqual({ ok: true, value: policy.document });
      expect(serializePolicyDocument(policy.document, { pretty: true })).toBe(policy.policyDocument);
    });
  });

  it('AdministratorAccess allows everything', () => {
    for (const action of [...WRITE_ACTIONS, 'ecs:RunInstances'])
      expect(decide('AdministratorAccess', action)).toBe('allow');
  });

  // Security property: the read-only policies grant no write.
  it.each(['ReadOnlyAccess', 'AliyunRAMReadOnlyAccess'])('%s allows reads and no write', (name) => {
    for (const action of ['ram:GetUser', 'ram:ListUsers', 'ims:ListAccessKeys', 'ims:GetAccessKeyLastUsed']) {
      expect([action, decide(name, action, '*', undefined, 'Read')]).toEqual([action, 'allow']);
    }
    for (const action of WRITE_ACTIONS) {
      expect([action, decide(name, action, '*', undefined, 'Write')]).toEqual([action, 'noMatch']);
    }
  });

  // ReadOnlyAccess grants by the action's read/write flag, not by its name: a custom service's read
  // of any name is covered, its writes of any name are not, and an unknown flag grants nothing.
  it('ReadOnlyAccess allows exactly the actions flagged Read', () => {
    const order = 'acs:orders:*:1234567890123456:order/42';
    expect(decide('ReadOnlyAccess', 'orders:FetchOrder', order, 'alice', 'Read')).toBe('allow');
    expect(decide('ReadOnlyAccess', 'orders:GetOrderLock', order, 'alice', 'Write')).toBe('noMatch');
    expect(decide('ReadOnlyAccess', 'ram:GetUser', '*', 'alice')).toBe('noMatch');
    expect(decide('AliyunRAMReadOnlyAccess', 'orders:GetOrder', order, 'alice', 'Read')).toBe('noMatch');
  });

  it('AliyunRAMFullAccess covers RAM and IMS, not STS or other services', () => {
    expect(decide('AliyunRAMFullAccess', 'ram:DeleteUser')).toBe('allow');
    expect(decide('AliyunRAMFullAccess', 'ims:CreateAccessKey')).toBe('allow');
    expect(decide('AliyunRAMFullAccess', 'sts:AssumeRole')).toBe('noMatch');
    expect(decide('AliyunRAMFullAccess', 'ecs:RunInstances')).toBe('noMatch');
  });

  it('AliyunSTSAssumeRoleAccess allows AssumeRole only', () => {
    expect(decide('AliyunSTSAssumeRoleAccess', 'sts:AssumeRole')).toBe('allow');
    expect(decide('AliyunSTSAssumeRoleAccess', 'ram:ListUsers')).toBe('noMatch');
  });

  // Security property: "own keys" means the caller's own user and nobody else's.
  it('RamkeyManageOwnAccessKeys allows key actions on the caller only', () => {
    const alice = 'acs:ram::1234567890123456:user/alice';
    for (const action of [
      'CreateAccessKey',
      'ListAccessKeys',
      'UpdateAccessKey',
      'DeleteAccessKey',
      'GetAccessKeyLastUsed',
    ]) {
      for (const svc of ['ram', 'ims']) {
        expect(decide('RamkeyManageOwnAccessKeys', `${svc}:${action}`, alice, 'alice')).toBe('allow');
        expect(decide('RamkeyManageOwnAccessKeys', `${svc}:${action}`, alice, 'bob')).toBe('noMatch');
        expect(decide('RamkeyManageOwnAccessKeys', `${svc}:${action}`, alice)).toBe('noMatch');
        expect(decide('RamkeyManageOwnAccessKeys', `${svc}:${action}`, '*', 'alice')).toBe('noMatch');
      }
    }
    expect(decide('RamkeyManageOwnAccessKeys', 'ram:DeleteUser', alice, 'alice')).toBe('noMatch');
    expect(
      decide(
        'RamkeyManageOwnAccessKeys',
        'ram:CreateAccessKey',
        'acs:ram::1234567890123456:user/alice2',
        'alice',
      ),
    ).toBe('noMatch');
  });
});
