// The network policy check on its own, fed keyed requests and an account's compiled policies directly.
import { describe, expect, it } from 'vitest';
import { RamkeyError } from '../../../core/errors/ramkey-error.js';
import {
  compileAccessKeyPolicy,
  parseAccessKeyPolicy,
  type AccessKeyPolicyLevel,
} from '../../../core/network/access-key-policy.js';
import { prepareSigningKey } from '../../../core/signature/index.js';
import { routedAction, signedRequest } from '../../../../test/support/gate-fixture.js';
import type { KeyedRequest } from '../gate-check.js';
import { compileAll } from '../network-policy-cache.js';
import {
  networkPolicyCheck,
  type AccountNetworkPolicies,
  type NetworkPolicySource,
} from './network-policy.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const ACCOUNT = '1234567890123456';
const KEY = 'LTAI' + 'a'.repeat(20);
const OTHER_KEY = 'LTAI' + 'b'.repeat(20);

function keyed(sourceIp: string, accessKeyId = KEY): KeyedRequest {
  return {
    request: signedRequest({ id: accessKeyId, secret: 's' }, { at: NOW }),
    action: routedAction({ authAction: 'sts:GetCallerIdentity' }),
    resources: () => ['*'],
    connection: { sourceIp, secureTransport: false, userAgent: '' },
    key: {
      accessKeyId,
      status: 'Active',
      restricted: false,
      principal: { kind: 'root', accountId: ACCOUNT },
      signingKey: prepareSigningKey('s'),
    },
    now: NOW,
  };
}

function policy(status: string, level: AccessKeyPolicyLevel, ...ips: string[]) {
  const parsed = parseAccessKeyPolicy(
    JSON.stringify({
      Version: 1,
      Status: status,
      Statements: ips.length ? [{ Type: 'ClassicWhiteList', IPList: ips }] : [],
    }),
  );
  if (!parsed.ok) throw new Error(parsed.code);
  const compiled = compileAccessKeyPolicy(parsed.value, level);
  if (!compiled) throw new Error('an Inactive policy compiles to nothing');
  return compiled;
}

function source(policies: Partial<AccountNetworkPolicies>): NetworkPolicySource & { asked: string[] } {
  const asked: string[] = [];
  const value: AccountNetworkPolicies = { account: undefined, keys: new Map(), ...policies };
  return {
    asked,
    forAccount(accountId) {
      asked.push(accountId);
      return value;
    },
  };
}

const outcome = (o: unknown) =>
  o instanceof RamkeyError ? { code: o.code, httpStatus: o.httpStatus, message: o.message } : o;

describe('network policy check', () => {
  it("passes any source when neither the key nor its account has a policy, asking for the key's account", () => {
    const s = source({});
    expect(networkPolicyCheck(s).check(keyed('198.51.100.7'))).toBeUndefined();
    expect(s.asked).toEqual([ACCOUNT]);
  });

  it("refuses a source outside the key's Active policy with Alibaba's code, status and message", () => {
    const check = networkPolicyCheck(
      source({ keys: new Map([[KEY, policy('Active', 'AccessKey', '127.0.0.2')]]) }),
    );
    expect(check.check(keyed('127.0.0.2'))).toBeUndefined();
    expect(outcome(check.check(keyed('127.0.0.1')))).toEqual({
      code: 'InvalidAccessKeyId.AccessPolicyDenied',
      httpStatus: 400,
      message: 'Specified access key denied due to access policy.',
    });
    // Another key of the account is not under this key's policy.
    expect(check.check(keyed('127.0.0.1', OTHER_KEY))).toBeUndefined();
  });

  it("applies the account's policy to keys without their own, IPv6 CIDRs included", () => {
    const check = networkPolicyCheck(source({ account: policy('Active', 'Account', '2001:db8::/32') }));
    expect(check.check(keyed('2001:db8:1::5'))).toBeUndefined();
    expect(outcome(check.check(keyed('2001:db9::5')))).toMatchObject({
      code: 'InvalidAccessKeyId.AccessPolicyDenied',
    });
    expect(outcome(check.check(keyed('127.0.0.1')))).toMatchObject({
      code: 'InvalidAccessKeyId.AccessPolicyDenied',
    });
  });

  // Security: a source that is not an address (a trusted proxy's junk) never passes a policy.
  it('refuses an unusable source address whenever a policy is on', () => {
    const check = networkPolicyCheck(source({ account: policy('Active', 'Account', '0.0.0.0/0', '::/0') }));
    expect(check.check(keyed('203.0.113.1'))).toBeUndefined();
    expect(outcome(check.check(keyed('(invalid)')))).toMatchObject({
      code: 'InvalidAccessKeyId.AccessPolicyDenied',
    });
  });

  it('passes what an Audit-mode policy would deny, with a finding naming its level', () => {
    const byKey = networkPolicyCheck(
      source({ keys: new Map([[KEY, policy('Audit', 'AccessKey', '127.0.0.2')]]) }),
    );
    expect(byKey.check(keyed('127.0.0.1'))).toEqual({ kind: 'accessKeyPolicyAudit', level: 'AccessKey' });
    expect(byKey.check(keyed('127.0.0.2'))).toBeUndefined();
    const byAccount = networkPolicyCheck(source({ account: policy('Audit', 'Account', '127.0.0.2') }));
    expect(byAccount.check(keyed('127.0.0.1'))).toEqual({ kind: 'accessKeyPolicyAudit', level: 'Account' });
  });

  it('waits for policies still loading', async () => {
    const loaded: AccountNetworkPolicies = {
      account: policy('Active', 'Account', '127.0.0.2'),
      keys: new Map(),
    };
    const check = networkPolicyCheck({ forAccount: () => Promise.resolve(loaded) });
    expect(outcome(await check.check(keyed('127.0.0.1')))).toMatchObject({
      code: 'InvalidAccessKeyId.AccessPolicyDenied',
    });
    expect(await check.check(keyed('127.0.0.2'))).toBeUndefined();
  });
});

describe('compileAll', () => {
  const record = (accessKeyId: string | null, status: string, ...ips: string[]) => ({
    accountId: ACCOUNT,
    accessKeyId,
    document: JSON.stringify({
      Version: 1,
      Status: status,
      Statements: [{ Type: 'ClassicWhiteList', IPList: ips }],
    }),
    updatedAt: NOW,
  });

  it('keeps the policies that are on, by level, and leaves Inactive ones out', () => {
    const compiled = compileAll([
      record(null, 'Active', '10.0.0.0/8'),
      record(KEY, 'Audit', '127.0.0.2'),
      record(OTHER_KEY, 'Inactive', '127.0.0.2'),
    ]);
    expect(compiled.account?.level).toBe('Account');
    expect([...compiled.keys.keys()]).toEqual([KEY]);
    expect(compiled.keys.get(KEY)?.enforced).toBe(false);
  });

  it('compiles an account with nothing on to one shared empty value', () => {
    expect(compileAll([])).toBe(compileAll([record(KEY, 'Inactive', '127.0.0.2')]));
  });

  // Security: a stored document that no longer parses fails the load (and so the call), never passes it.
  it('fails on a stored document that does not parse', () => {
    expect(() =>
      compileAll([{ ...record(null, 'Active', '10.0.0.1'), document: '{"Status":"Maybe"}' }]),
    ).toThrow();
  });
});
