// AccessKeyPolicy documents: what parses (and what each refusal names), the compiled match, and the
// key/account decision table, with property tests named after their invariants.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isErrorCode } from '../errors/catalog.js';
import { parseIpAddress } from '../policy/ip-range.js';
import {
  compileAccessKeyPolicy,
  decideNetworkAccess,
  MAX_ACCESS_KEY_POLICY_IP_ITEMS,
  MAX_ACCESS_KEY_POLICY_STATEMENTS,
  NO_ACCESS_KEY_POLICY,
  parseAccessKeyPolicy,
  serializeAccessKeyPolicy,
  type AccessKeyPolicy,
  type AccessKeyPolicyLevel,
  type AccessKeyPolicyStatus,
} from './access-key-policy.js';

function parsed(text: string): AccessKeyPolicy {
  const result = parseAccessKeyPolicy(text);
  if (!result.ok) throw new Error(`${text} refused: ${result.code} ${String(result.params)}`);
  return result.value;
}

function refusal(value: unknown): { code: string; params?: readonly string[] } {
  const result = parseAccessKeyPolicy(typeof value === 'string' ? value : JSON.stringify(value));
  if (result.ok) throw new Error(`${JSON.stringify(value)} was accepted`);
  return { code: result.code, ...(result.params && { params: result.params }) };
}

const classic = (...ipList: unknown[]) => ({ Type: 'ClassicWhiteList', IPList: ipList });
const doc = (status: string, ...statements: unknown[]) => ({
  Version: 1,
  Status: status,
  Statements: statements,
});

describe('parseAccessKeyPolicy', () => {
  it("reads Alibaba's documented shape, IPv4 and IPv6 addresses and CIDRs alike", () => {
    const text = JSON.stringify(
      doc(
        'Active',
        classic('203.0.113.1', '2001:db8:85a3::8a2e:370:7334', '198.51.100.0/24', '2001:db8::/32'),
      ),
    );
    expect(parsed(text)).toEqual({
      version: 1,
      status: 'Active',
      statements: [
        {
          type: 'ClassicWhiteList',
          ipList: ['203.0.113.1', '2001:db8:85a3::8a2e:370:7334', '198.51.100.0/24', '2001:db8::/32'],
        },
      ],
    });
  });

  it('takes a missing Version as 1 (the SDK examples omit it), "1" too, an empty Value, and Audit', () => {
    expect(parsed('{"Status":"Inactive","Statements":[]}')).toEqual(NO_ACCESS_KEY_POLICY);
    expect(parsed('{"Version":"1","Status":"Audit","Statements":[]}').status).toBe('Audit');
    expect(
      parsed(JSON.stringify(doc('Active', { Type: 'ClassicWhiteList', Value: '', IPList: ['10.0.0.1'] })))
        .statements,
    ).toHaveLength(1);
  });

  it('accepts 8 rules of 50 entries each, and refuses a 9th rule and a 51st entry', () => {
    const fifty = Array.from({ length: MAX_ACCESS_KEY_POLICY_IP_ITEMS }, (_, i) => `10.0.${i}.0/24`);
    const eight = Array.from({ length: MAX_ACCESS_KEY_POLICY_STATEMENTS }, () => classic(...fifty));
    expect(parsed(JSON.stringify(doc('Active', ...eight))).statements).toHaveLength(8);
    expect(refusal(doc('Active', ...eight, classic('10.1.0.1')))).toEqual({
      code: 'InvalidParameter.AccessKeyPolicy.Statements',
      params: ['it has 9 rules; at most 8 are allowed.'],
    });
    expect(refusal(doc('Active', classic(...fifty, '10.1.0.1')))).toEqual({
      code: 'InvalidParameter.AccessKeyPolicy.IPList',
      params: ['Statements[0]', 'it has 51 entries; at most 50 are allowed.'],
    });
  });

  it('refuses VPCWhiteList rules, saying Ramkey has no VPCs', () => {
    const vpc = { Type: 'VPCWhiteList', Value: 'vpc-bp1234567890abcdef', IPList: ['172.16.0.0/16'] };
    const r = refusal(doc('Active', classic('10.0.0.1'), vpc));
    expect(r).toEqual({ code: 'InvalidParameter.AccessKeyPolicy.VPCWhiteList', params: ['Statements[1]'] });
  });

  it('names the bad entry of an IPList, and its rule', () => {
    for (const bad of [
      '10.0.0.256',
      '10.0.0.0/33',
      '2001:db8::/129',
      'example.com',
      '010.0.0.1',
      '10.1',
      'fe80::1%eth0',
      '',
    ]) {
      expect(refusal(doc('Active', classic('10.0.0.1'), classic('192.0.2.1', bad)))).toEqual({
        code: 'InvalidParameter.AccessKeyPolicy.IPList',
        params: ['Statements[1]', `entry 1 (${JSON.stringify(bad)}) is not an IPv4 or IPv6 address or CIDR.`],
      });
    }
    expect(refusal(doc('Active', classic(42))).params?.[1]).toBe(
      'entry 0 (42) is not an IPv4 or IPv6 address or CIDR.',
    );
    expect(refusal(doc('Active', classic())).params).toEqual(['Statements[0]', 'it lists no address.']);
  });

  it('refuses every other malformation with a code naming the part at fault', () => {
    const cases: [unknown, string][] = [
      ['not json', 'InvalidParameter.AccessKeyPolicy.Format'],
      ['[]', 'InvalidParameter.AccessKeyPolicy.Format'],
      ['{"Status":"Active","Statements":[],"Status":"Inactive"}', 'InvalidParameter.AccessKeyPolicy.Format'],
      [{ ...doc('Active'), Effect: 'Allow' }, 'InvalidParameter.AccessKeyPolicy.Format'],
      [{ ...doc('Active'), Version: 2 }, 'InvalidParameter.AccessKeyPolicy.Version'],
      [{ ...doc('Active'), Version: '2012-10-17' }, 'InvalidParameter.AccessKeyPolicy.Version'],
      [doc('active'), 'InvalidParameter.AccessKeyPolicy.Status'],
      [{ Version: 1, Statements: [] }, 'InvalidParameter.AccessKeyPolicy.Status'],
      [{ Version: 1, Status: 'Active' }, 'InvalidParameter.AccessKeyPolicy.Statements'],
      [{ Version: 1, Status: 'Active', Statements: null }, 'InvalidParameter.AccessKeyPolicy.Statements'],
      [
        { Version: 1, Status: 'Active', Statements: classic('10.0.0.1') },
        'InvalidParameter.AccessKeyPolicy.Statements',
      ],
      [doc('Active', 'ClassicWhiteList'), 'InvalidParameter.AccessKeyPolicy.Format'],
      [doc('Active', { IPList: ['10.0.0.1'] }), 'InvalidParameter.AccessKeyPolicy.Type'],
      [
        doc('Active', { Type: 'classicwhitelist', IPList: ['10.0.0.1'] }),
        'InvalidParameter.AccessKeyPolicy.Type',
      ],
      [
        doc('Active', { Type: 'ClassicWhiteList', Value: 'vpc-1', IPList: ['10.0.0.1'] }),
        'InvalidParameter.AccessKeyPolicy.Format',
      ],
      [
        doc('Active', { Type: 'ClassicWhiteList', IPList: '10.0.0.1' }),
        'InvalidParameter.AccessKeyPolicy.IPList',
      ],
      [
        doc('Active', { Type: 'ClassicWhiteList', IPList: ['10.0.0.1'], Ips: [] }),
        'InvalidParameter.AccessKeyPolicy.Format',
      ],
    ];
    for (const [value, code] of cases) expect(refusal(value).code, JSON.stringify(value)).toBe(code);
  });

  // Invariant: what serialize writes, parse reads back unchanged (the stored form is the API's form).
  it('parse(serialize(p)) equals p', () => {
    const entry = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, n]) => `${a}/${n}`),
      fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, n]) => `${a}/${n}`),
    );
    const policy = fc.record({
      version: fc.constant(1 as const),
      status: fc.constantFrom<AccessKeyPolicyStatus>('Active', 'Inactive', 'Audit'),
      statements: fc.array(
        fc.record({
          type: fc.constant('ClassicWhiteList' as const),
          ipList: fc.array(entry, { minLength: 1, maxLength: MAX_ACCESS_KEY_POLICY_IP_ITEMS }),
        }),
        { maxLength: MAX_ACCESS_KEY_POLICY_STATEMENTS },
      ),
    });
    let accepted = 0;
    fc.assert(
      fc.property(policy, (p) => {
        // fast-check's IPv6 generator may write forms the strict grammar refuses (IPv4 tails with
        // leading zeros): such policies are simply not documents.
        const result = parseAccessKeyPolicy(serializeAccessKeyPolicy(p));
        if (result.ok) {
          accepted++;
          expect(result.value).toEqual(p);
        }
      }),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(150);
  });

  // Invariant: untrusted text never throws: it is a policy or a catalog refusal.
  it('arbitrary JSON either parses or fails with a catalog code', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        const result = parseAccessKeyPolicy(text);
        if (!result.ok) expect(isErrorCode(result.code)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

const address = (text: string) => parseIpAddress(text);

function compiled(status: AccessKeyPolicyStatus, level: AccessKeyPolicyLevel, ...ipList: string[]) {
  return compileAccessKeyPolicy(
    parsed(JSON.stringify(doc(status, ...(ipList.length > 0 ? [classic(...ipList)] : [])))),
    level,
  );
}

describe('compileAccessKeyPolicy', () => {
  it('allows exactly the listed addresses and ranges, IPv4-mapped sources included', () => {
    const p = compiled('Active', 'AccessKey', '127.0.0.2', '10.0.0.0/8', '2001:db8::/32');
    expect(p?.allows(address('127.0.0.2'))).toBe(true);
    expect(p?.allows(address('::ffff:127.0.0.2'))).toBe(true);
    expect(p?.allows(address('127.0.0.1'))).toBe(false);
    expect(p?.allows(address('10.255.255.255'))).toBe(true);
    expect(p?.allows(address('11.0.0.0'))).toBe(false);
    expect(p?.allows(address('2001:db8:ffff::1'))).toBe(true);
    expect(p?.allows(address('2001:db9::1'))).toBe(false);
    // Something that is not an address at all (a proxy's junk) is never allowed.
    expect(p?.allows(undefined)).toBe(false);
  });

  it('keeps IPv4 and IPv6 apart: ::/0 is every IPv6 source, not every IPv4 one', () => {
    const v6 = compiled('Active', 'Account', '::/0');
    expect(v6?.allows(address('2001:db8::1'))).toBe(true);
    expect(v6?.allows(address('192.0.2.1'))).toBe(false);
    const both = compiled('Active', 'Account', '::/0', '0.0.0.0/0');
    expect(both?.allows(address('192.0.2.1'))).toBe(true);
  });

  it('compiles an Inactive policy to nothing, and an empty Active one to one that allows nothing', () => {
    expect(compiled('Inactive', 'AccessKey', '10.0.0.1')).toBeUndefined();
    const empty = compiled('Active', 'AccessKey');
    expect(empty?.enforced).toBe(true);
    expect(empty?.allows(address('127.0.0.1'))).toBe(false);
  });
});

describe('decideNetworkAccess', () => {
  const from = address('127.0.0.1');
  const keyOnly2 = compiled('Active', 'AccessKey', '127.0.0.2');
  const keyOnly1 = compiled('Active', 'AccessKey', '127.0.0.1');
  const accountOnly2 = compiled('Active', 'Account', '127.0.0.2');
  const accountOnly1 = compiled('Active', 'Account', '127.0.0.1');
  const decide = (...args: Parameters<typeof decideNetworkAccess>) => {
    const d = decideNetworkAccess(...args);
    return d.outcome === 'allow' ? 'allow' : `${d.outcome}:${d.level}`;
  };

  it('allows any source with neither policy', () => {
    expect(decide(undefined, undefined, from)).toBe('allow');
    expect(decide(undefined, undefined, undefined)).toBe('allow');
  });

  it('lets an Active key-level policy replace the account-level one, either way', () => {
    expect(decide(keyOnly2, accountOnly1, from)).toBe('deny:AccessKey');
    expect(decide(keyOnly1, accountOnly2, from)).toBe('allow');
  });

  it('applies the account-level policy when the key has none', () => {
    expect(decide(undefined, accountOnly2, from)).toBe('deny:Account');
    expect(decide(undefined, accountOnly1, from)).toBe('allow');
  });

  it('denies every source under an Active policy that lists none', () => {
    expect(decide(compiled('Active', 'AccessKey'), undefined, from)).toBe('deny:AccessKey');
    expect(decide(undefined, compiled('Active', 'Account'), from)).toBe('deny:Account');
  });

  it('records what an Audit policy would deny, never refusing for it', () => {
    expect(decide(compiled('Audit', 'AccessKey', '127.0.0.2'), undefined, from)).toBe('audit:AccessKey');
    expect(decide(compiled('Audit', 'AccessKey', '127.0.0.1'), undefined, from)).toBe('allow');
    expect(decide(undefined, compiled('Audit', 'Account', '127.0.0.2'), from)).toBe('audit:Account');
  });

  // Security: a key-level trial in Audit mode must not switch off the account's enforcement.
  it('keeps an Active account-level policy enforcing while the key-level one is in Audit', () => {
    expect(decide(compiled('Audit', 'AccessKey', '127.0.0.1'), accountOnly2, from)).toBe('deny:Account');
    expect(decide(compiled('Audit', 'AccessKey', '127.0.0.2'), accountOnly1, from)).toBe('audit:AccessKey');
    // Both in Audit: the key's own rules are the ones on trial.
    expect(
      decide(compiled('Audit', 'AccessKey', '127.0.0.1'), compiled('Audit', 'Account', '127.0.0.2'), from),
    ).toBe('allow');
  });
});
