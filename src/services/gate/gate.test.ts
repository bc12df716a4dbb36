import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  admissionOf,
  makeGateFixture,
  routedAction,
  signedRequest,
  type GateFixture,
} from '../../../test/support/gate-fixture.js';
import { parseAccessKeyPolicy } from '../../core/network/access-key-policy.js';
import type { Admission } from './admission.js';

let f: GateFixture;
beforeEach(async () => {
  f = await makeGateFixture();
});
afterEach(async () => {
  await f.close();
});

const whoAmI = routedAction({ authAction: 'sts:GetCallerIdentity', unrestricted: true, risk: 'standard' });
const listUsers = routedAction({ authAction: 'ram:ListUsers' });

async function admit(fixture: GateFixture, ...args: Parameters<typeof admissionOf>): Promise<Admission> {
  return fixture.ramkey.gate.admit(admissionOf(...args));
}

describe('Gate.admit', () => {
  it('runs its steps in the documented order', () => {
    expect(f.ramkey.gate.steps).toEqual([
      'keyLookup',
      'signature',
      'freshness',
      'nonce',
      'keyStatus',
      'networkPolicy',
      'leakRestriction',
      'authorization',
    ]);
  });

  it('admits a correctly signed call and names its credential by kind and ID', async () => {
    const admission = await admit(f, signedRequest(f.root, { at: f.clock.now() }), listUsers);
    expect(admission).toMatchObject({
      admitted: true,
      used: true,
      caller: {
        principal: { kind: 'root', accountId: f.accountId },
        credential: { kind: 'AccessKey', id: f.root.id },
      },
    });
  });

  // Security: a caller that cannot sign learns nothing beyond "not found", and no account is charged.
  it('refuses an unknown key at the lookup, with no principal and no use', async () => {
    const ghost = { id: 'LTAI' + 'x'.repeat(20), secret: 'nope' };
    const admission = await admit(f, signedRequest(ghost, { at: f.clock.now() }), whoAmI);
    expect(admission).toMatchObject({
      admitted: false,
      refusedAt: 'keyLookup',
      principal: undefined,
      used: false,
    });
    expect(!admission.admitted && admission.refusal.code).toBe('InvalidAccessKeyId.NotFound');
  });

  it('refuses a wrong secret at the signature, under the key owner, as no use of the key', async () => {
    const wrong = { id: f.root.id, secret: 'not-the-secret' };
    const admission = await admit(f, signedRequest(wrong, { at: f.clock.now() }), whoAmI);
    expect(admission).toMatchObject({ admitted: false, refusedAt: 'signature', used: false });
    expect(admission.principal).toEqual({ kind: 'root', accountId: f.accountId });
  });

  it('refuses a request signed too long ago, and a replayed one, as no use', async () => {
    const stale = signedRequest(f.root, { at: f.clock.now() - 15 * 60_000 - 1 });
    expect(await admit(f, stale, whoAmI)).toMatchObject({ refusedAt: 'freshness', used: false });
    const once = signedRequest(f.root, { at: f.clock.now() });
    expect(await admit(f, once, whoAmI)).toMatchObject({ admitted: true });
    expect(await admit(f, once, whoAmI)).toMatchObject({ refusedAt: 'nonce', used: false });
  });

  it('refuses a disabled key after the nonce, so the call still counts as use', async () => {
    await f.ramkey.accessKeys.setStatus({ accountId: f.accountId, userId: null }, f.root.id, 'Inactive');
    const admission = await admit(f, signedRequest(f.root, { at: f.clock.now() }), whoAmI);
    expect(admission).toMatchObject({ admitted: false, refusedAt: 'keyStatus', used: true });
  });

  it('refuses a user without a policy, admits it for an unrestricted action', async () => {
    const app = await f.userWithKey('app');
    const denied = await admit(f, signedRequest(app, { at: f.clock.now() }), listUsers);
    expect(denied).toMatchObject({ admitted: false, refusedAt: 'authorization', used: true });
    expect(!denied.admitted && denied.refusal.code).toBe('NoPermission');
    expect(await admit(f, signedRequest(app, { at: f.clock.now() }), whoAmI)).toMatchObject({
      admitted: true,
    });
  });

  it('requires every resource of an action to be allowed', async () => {
    const app = await f.userWithKey('app');
    const policy = JSON.stringify({
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: 'ram:AddUserToGroup', Resource: `acs:ram:*:${f.accountId}:group/ops` },
      ],
    });
    await f.ramkey.permissions.createPolicy(f.accountId, 'OpsOnly', policy, '');
    const user = await f.ramkey.identity.getUser(f.accountId, 'app');
    await f.ramkey.permissions.attachToUser(f.accountId, user, 'Custom', 'OpsOnly');
    const group = `acs:ram:*:${f.accountId}:group/ops`;
    const bob = `acs:ram:*:${f.accountId}:user/bob`;
    const one = routedAction({ authAction: 'ram:AddUserToGroup', rw: 'Write' }, [group]);
    const both = routedAction({ authAction: 'ram:AddUserToGroup', rw: 'Write' }, [group, bob]);
    expect(await admit(f, signedRequest(app, { at: f.clock.now() }), one)).toMatchObject({ admitted: true });
    const refused = await admit(f, signedRequest(app, { at: f.clock.now() }), both);
    expect(refused).toMatchObject({ admitted: false, refusedAt: 'authorization' });
    expect(!refused.admitted && refused.refusal.extra).toMatchObject({
      AccessDeniedDetail: { AuthResource: bob },
    });
  });

  it('applies a change published on the bus at once: a disabled key is refused on the next call', async () => {
    expect(await admit(f, signedRequest(f.root, { at: f.clock.now() }), whoAmI)).toMatchObject({
      admitted: true,
    });
    await f.ramkey.accessKeys.setStatus({ accountId: f.accountId, userId: null }, f.root.id, 'Inactive');
    expect(await admit(f, signedRequest(f.root, { at: f.clock.now() }), whoAmI)).toMatchObject({
      refusedAt: 'keyStatus',
    });
  });

  it('applies a permission change at once: a policy attached to a refused user admits its next call', async () => {
    const app = await f.userWithKey('app');
    expect(await admit(f, signedRequest(app, { at: f.clock.now() }), listUsers)).toMatchObject({
      refusedAt: 'authorization',
    });
    await f.ramkey.identity.attachSystemPolicy(f.accountId, app.userId, 'ReadOnlyAccess');
    expect(await admit(f, signedRequest(app, { at: f.clock.now() }), listUsers)).toMatchObject({
      admitted: true,
    });
  });

  it('drops a cached key after its time-to-live even when no change reached it', async () => {
    // A second node on the same database shares no change bus: only the TTL backstop can save it.
    const other = f.secondNode();
    const call = () => other.gate.admit(admissionOf(signedRequest(f.root, { at: f.clock.now() }), whoAmI));
    expect(await call()).toMatchObject({ admitted: true });
    await f.ramkey.accessKeys.setStatus({ accountId: f.accountId, userId: null }, f.root.id, 'Inactive');
    expect(await call()).toMatchObject({ admitted: true });
    f.clock.advance(60_001);
    expect(await call()).toMatchObject({ admitted: false, refusedAt: 'keyStatus' });
  });

  describe('network access policies', () => {
    const only = (status: string, ...ips: string[]) => {
      const parsed = parseAccessKeyPolicy(
        JSON.stringify({ Status: status, Statements: [{ Type: 'ClassicWhiteList', IPList: ips }] }),
      );
      if (!parsed.ok) throw new Error(parsed.code);
      return parsed.value;
    };
    const root = () => ({ accountId: f.accountId, userId: null });
    // The fixture's admin sets policies from an address of its own, with another key: no lockout.
    const guard = { callerAccessKeyId: undefined, sourceIp: '192.0.2.1', accepted: false };
    const from = (sourceIp: string, fixture = f) => ({
      ...admissionOf(signedRequest(fixture.root, { at: fixture.clock.now() }), listUsers),
      connection: { sourceIp, secureTransport: false, userAgent: 'test' },
    });

    it('refuses a source outside the policy after the key status, as use of the key', async () => {
      await f.ramkey.networkPolicies.setForKey(root(), f.root.id, only('Active', '127.0.0.2'), guard);
      const refused = await f.ramkey.gate.admit(from('127.0.0.1'));
      expect(refused).toMatchObject({ admitted: false, refusedAt: 'networkPolicy', used: true });
      expect(!refused.admitted && refused.refusal.code).toBe('InvalidAccessKeyId.AccessPolicyDenied');
      expect(await f.ramkey.gate.admit(from('127.0.0.2'))).toMatchObject({ admitted: true });
      // A disabled key says so first, wherever it is used from.
      await f.ramkey.accessKeys.setStatus(root(), f.root.id, 'Inactive');
      expect(await f.ramkey.gate.admit(from('127.0.0.1'))).toMatchObject({ refusedAt: 'keyStatus' });
    });

    it('applies a change on the bus at the next call, at either level', async () => {
      expect(await f.ramkey.gate.admit(from('127.0.0.1'))).toMatchObject({ admitted: true });
      await f.ramkey.networkPolicies.setForAccount(f.accountId, only('Active', '127.0.0.2'), guard);
      expect(await f.ramkey.gate.admit(from('127.0.0.1'))).toMatchObject({ refusedAt: 'networkPolicy' });
      await f.ramkey.networkPolicies.setForKey(root(), f.root.id, only('Active', '127.0.0.1'), guard);
      expect(await f.ramkey.gate.admit(from('127.0.0.1'))).toMatchObject({ admitted: true });
      await f.ramkey.networkPolicies.setForKey(root(), f.root.id, only('Inactive', '127.0.0.1'), guard);
      expect(await f.ramkey.gate.admit(from('127.0.0.1'))).toMatchObject({ refusedAt: 'networkPolicy' });
      await f.ramkey.networkPolicies.setForAccount(f.accountId, only('Inactive', '127.0.0.2'), guard);
      expect(await f.ramkey.gate.admit(from('127.0.0.1'))).toMatchObject({ admitted: true });
    });

    it("drops an account's cached policies after their time-to-live even when no change reached them", async () => {
      const other = f.secondNode();
      expect(await other.gate.admit(from('127.0.0.1'))).toMatchObject({ admitted: true });
      await f.ramkey.networkPolicies.setForAccount(f.accountId, only('Active', '127.0.0.2'), guard);
      expect(await other.gate.admit(from('127.0.0.1'))).toMatchObject({ admitted: true });
      f.clock.advance(60_001);
      expect(await other.gate.admit(from('127.0.0.1'))).toMatchObject({ refusedAt: 'networkPolicy' });
    });

    it('admits what an Audit-mode policy would deny, noting it, and keeps the note when a later step refuses', async () => {
      await f.ramkey.networkPolicies.setForAccount(f.accountId, only('Audit', '127.0.0.2'), guard);
      expect(await f.ramkey.gate.admit(from('127.0.0.1'))).toMatchObject({
        admitted: true,
        finding: { kind: 'accessKeyPolicyAudit', level: 'Account' },
      });
      expect(await f.ramkey.gate.admit(from('127.0.0.2'))).not.toHaveProperty('finding');
      const app = await f.userWithKey('app');
      const refused = await f.ramkey.gate.admit({
        ...admissionOf(signedRequest(app, { at: f.clock.now() }), listUsers),
        connection: { sourceIp: '127.0.0.1', secureTransport: false, userAgent: 'test' },
      });
      expect(refused).toMatchObject({
        admitted: false,
        refusedAt: 'authorization',
        finding: { kind: 'accessKeyPolicyAudit', level: 'Account' },
      });
    });

    it('stays synchronous with policies cached, and allocates no finding when no policy applies', async () => {
      const sync = await makeGateFixture({ nonces: { remember: () => true } });
      try {
        await sync.ramkey.gate.admit(from('127.0.0.1', sync));
        const warm = sync.ramkey.gate.admit(from('127.0.0.1', sync));
        expect(warm).not.toBeInstanceOf(Promise);
        expect(warm).not.toHaveProperty('finding');
      } finally {
        await sync.close();
      }
    });
  });

  it('answers synchronously when the key and policies are cached and the nonce store answers at once', async () => {
    const sync = await makeGateFixture({ nonces: { remember: () => true } });
    try {
      await admit(sync, signedRequest(sync.root, { at: sync.clock.now() }), listUsers);
      const warm = sync.ramkey.gate.admit(
        admissionOf(signedRequest(sync.root, { at: sync.clock.now() }), listUsers),
      );
      expect(warm).not.toBeInstanceOf(Promise);
    } finally {
      await sync.close();
    }
  });
});
