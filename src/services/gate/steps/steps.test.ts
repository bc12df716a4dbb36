// Each gate check on its own, fed a keyed request directly (the pipeline's order is gate.test.ts's).
import { describe, expect, it } from 'vitest';
import { RamkeyError } from '../../../core/errors/ramkey-error.js';
import { parseServiceCode } from '../../../core/service-definition/service-code.js';
import { prepareSigningKey } from '../../../core/signature/index.js';
import { routedAction, signedRequest, type RoutedAction } from '../../../../test/support/gate-fixture.js';
import type { KeyedRequest } from '../gate-check.js';
import type { CachedKey } from '../key-cache.js';
import { NonceStoreUnavailableError, type NonceStore } from '../nonce-store.js';
import { freshnessCheck } from './freshness.js';
import { keyStatusCheck } from './key-status.js';
import { leakRestrictionCheck } from './leak-restriction.js';
import { nonceCheck } from './nonce.js';
import { signatureCheck } from './signature.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const SKEW = 15 * 60_000;
const key = { id: 'LTAI' + 'a'.repeat(20), secret: 'the-secret' };

function keyed(
  overrides: {
    at?: number;
    secret?: string;
    status?: 'Active' | 'Inactive';
    nonce?: string;
    restricted?: boolean;
    action?: RoutedAction;
  } = {},
) {
  const cached: CachedKey = {
    accessKeyId: key.id,
    status: overrides.status ?? 'Active',
    restricted: overrides.restricted ?? false,
    principal: { kind: 'root', accountId: '1234567890123456' },
    signingKey: prepareSigningKey(key.secret),
  };
  const request = signedRequest(
    { id: key.id, secret: overrides.secret ?? key.secret },
    { at: overrides.at ?? NOW, ...(overrides.nonce !== undefined && { nonce: overrides.nonce }) },
  );
  return {
    request,
    action: overrides.action ?? routedAction({ authAction: 'sts:GetCallerIdentity', risk: 'standard' }),
    resources: () => ['*'],
    connection: { sourceIp: '127.0.0.1', secureTransport: false, userAgent: '' },
    key: cached,
    now: NOW,
  } satisfies KeyedRequest;
}

const codeOf = (outcome: unknown) => (outcome instanceof RamkeyError ? outcome.code : outcome);

describe('signature check', () => {
  it('passes the right secret and refuses another with the string to sign', () => {
    expect(signatureCheck.check(keyed())).toBeUndefined();
    const refused = signatureCheck.check(keyed({ secret: 'other' }));
    expect(codeOf(refused)).toBe('SignatureDoesNotMatch');
    expect(refused instanceof RamkeyError && refused.message).toContain('GET&%2F&');
  });
});

describe('freshness check', () => {
  const check = freshnessCheck(SKEW);
  it('accepts the window boundary and refuses one millisecond beyond it, either way', () => {
    expect(check.check(keyed({ at: NOW - SKEW }))).toBeUndefined();
    expect(check.check(keyed({ at: NOW + SKEW }))).toBeUndefined();
    expect(codeOf(check.check(keyed({ at: NOW - SKEW - 1000 })))).toBe('InvalidTimeStamp.Expired');
    expect(codeOf(check.check(keyed({ at: NOW + SKEW + 1000 })))).toBe('InvalidTimeStamp.Expired');
  });
});

describe('nonce check', () => {
  it('passes a nonce once and refuses it again, remembering it until the timestamp leaves the window', () => {
    const asked: [string, number][] = [];
    const used = new Set<string>();
    const store: NonceStore = {
      remember: (_id, nonce, expiresAt) => {
        asked.push([nonce, expiresAt]);
        return used.has(nonce) ? false : (used.add(nonce), true);
      },
    };
    const check = nonceCheck(store, SKEW);
    expect(check.check(keyed({ nonce: 'n1' }))).toBeUndefined();
    expect(codeOf(check.check(keyed({ nonce: 'n1' })))).toBe('SignatureNonceUsed');
    expect(check.check(keyed({ nonce: 'n2', at: NOW - 5000 }))).toBeUndefined();
    // The request's own timestamp (second precision on the wire) plus the window.
    expect(asked).toEqual([
      ['n1', NOW + SKEW],
      ['n1', NOW + SKEW],
      ['n2', NOW - 5000 + SKEW],
    ]);
  });

  // Security: a store that cannot remember a nonce cannot rule out a replay, so it fails closed.
  it('answers ServiceUnavailable when the store cannot answer, synchronously or not', async () => {
    const unavailable = new NonceStoreUnavailableError('down');
    const throwing: NonceStore = {
      remember: () => {
        throw unavailable;
      },
    };
    expect(codeOf(nonceCheck(throwing, SKEW).check(keyed()))).toBe('ServiceUnavailable');
    const rejecting: NonceStore = { remember: () => Promise.reject(unavailable) };
    expect(codeOf(await nonceCheck(rejecting, SKEW).check(keyed()))).toBe('ServiceUnavailable');
  });

  it('waits for an asynchronous store, and lets its other failures propagate', async () => {
    const slow: NonceStore = { remember: (_id, nonce) => Promise.resolve(nonce !== 'used') };
    expect(await nonceCheck(slow, SKEW).check(keyed({ nonce: 'fresh' }))).toBeUndefined();
    expect(codeOf(await nonceCheck(slow, SKEW).check(keyed({ nonce: 'used' })))).toBe('SignatureNonceUsed');
    const broken: NonceStore = { remember: () => Promise.reject(new Error('down')) };
    await expect(nonceCheck(broken, SKEW).check(keyed())).rejects.toThrow('down');
  });
});

describe('key status check', () => {
  it('passes an Active key and refuses an Inactive one', () => {
    expect(keyStatusCheck.check(keyed())).toBeUndefined();
    expect(codeOf(keyStatusCheck.check(keyed({ status: 'Inactive' })))).toBe('InvalidAccessKeyId.Inactive');
  });
});

describe('leak restriction check', () => {
  const check = leakRestrictionCheck(new Set(['actiontrail:lookupevents']));
  const ramAction = routedAction({ authAction: 'ram:CreateAccessKey', risk: 'identity' });
  const lookup = routedAction({ authAction: 'actiontrail:LookupEvents', risk: 'standard' });
  const whoAmI = routedAction({ authAction: 'sts:GetCallerIdentity', risk: 'standard' });

  it('refuses a restricted key every identity action and the listed high-risk ones, in any case', () => {
    const refused = check.check(keyed({ restricted: true, action: ramAction }));
    expect(codeOf(refused)).toBe('Forbidden');
    expect(refused instanceof RamkeyError && refused.message).toBe(
      'There is a risk of leakage of this AccessKey.',
    );
    expect(refused instanceof RamkeyError && refused.httpStatus).toBe(403);
    expect(codeOf(check.check(keyed({ restricted: true, action: lookup })))).toBe('Forbidden');
  });

  it("refuses a restricted key a custom service's High-risk action, and not its standard ones", () => {
    const code = parseServiceCode('orders');
    if (!code.ok) throw new Error('orders is a service code');
    const pay = routedAction({ authAction: 'orders:RefundOrder', service: code.value, risk: 'high' });
    const get = routedAction({ authAction: 'orders:GetOrder', service: code.value, risk: 'standard' });
    expect(codeOf(check.check(keyed({ restricted: true, action: pay })))).toBe('Forbidden');
    expect(check.check(keyed({ restricted: true, action: get }))).toBeUndefined();
    expect(check.check(keyed({ restricted: false, action: pay }))).toBeUndefined();
  });

  it('lets a restricted key call the rest, and an unrestricted key call anything', () => {
    expect(check.check(keyed({ restricted: true, action: whoAmI }))).toBeUndefined();
    expect(check.check(keyed({ restricted: false, action: ramAction }))).toBeUndefined();
    expect(check.check(keyed({ restricted: false, action: lookup }))).toBeUndefined();
    expect(
      leakRestrictionCheck(new Set()).check(keyed({ restricted: true, action: lookup })),
    ).toBeUndefined();
  });
});
