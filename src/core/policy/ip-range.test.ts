// parseIpAddress/parseIpRange: the strict grammar, IPv4-mapped equivalence, and byte-for-byte agreement with ipaddr.js.
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { isInIpRange, isValidIpRangeText, parseIpAddress, parseIpRange } from './ip-range.js';

function bytesOf(text: string): number[] {
  const b = parseIpAddress(text);
  if (!b) throw new Error(`${text} did not parse`);
  return [...b];
}

/** ipaddr.js's 16-byte view of an address (IPv4 as IPv4-mapped IPv6). */
function reference(text: string): number[] {
  const a = ipaddr.parse(text);
  return a.kind() === 'ipv4' ? (a as ipaddr.IPv4).toIPv4MappedAddress().toByteArray() : a.toByteArray();
}

const ipv4Arb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const ipv6Arb = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).chain((groups) =>
  fc.constantFrom(
    new ipaddr.IPv6(groups).toString(), // compressed
    new ipaddr.IPv6(groups).toNormalizedString(), // every group, no leading zeros
    groups.map((g) => g.toString(16).padStart(4, '0')).join(':'), // every group, four digits
    new ipaddr.IPv6(groups).toString().toUpperCase(),
  ),
);

describe('parseIpAddress', () => {
  it('reads IPv4 and IPv6 addresses exactly as ipaddr.js does', () => {
    fc.assert(
      fc.property(fc.oneof(ipv4Arb, ipv6Arb), (text) => {
        expect(bytesOf(text)).toEqual(reference(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts only what ipaddr.js also accepts, with the same bytes', () => {
    const soup = fc
      .array(fc.constantFrom('0', '1', 'f', 'F', '9', ':', '.', '::', '255', '00'), {
        minLength: 1,
        maxLength: 12,
      })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(soup, (text) => {
        const ours = parseIpAddress(text);
        if (ours) expect([...ours]).toEqual(reference(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('sees ::ffff:a.b.c.d, its hex form and a.b.c.d as one address', () => {
    expect(bytesOf('::ffff:203.0.113.7')).toEqual(bytesOf('203.0.113.7'));
    expect(bytesOf('::ffff:cb00:7107')).toEqual(bytesOf('203.0.113.7'));
    expect(bytesOf('0:0:0:0:0:ffff:203.0.113.7')).toEqual(bytesOf('203.0.113.7'));
  });

  it.each([
    '',
    '127.1',
    '0x7f.0.0.1',
    '010.0.0.1',
    '1.2.3.4.5',
    '256.0.0.1',
    ' 1.2.3.4',
    'fe80::1%eth0',
    '1::2::3',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '::ffff:1.2.3',
    '::ffff:0x1.2.3.4',
    '1.2.3.4::',
    '12345::',
    'g::1',
  ])('refuses %j', (text) => {
    expect(parseIpAddress(text)).toBeUndefined();
  });
});

describe('parseIpRange and isInIpRange', () => {
  // The reference works in ipaddr.js's IPv6 space with IPv4 mapped (::ffff:a.b.c.d, /n + 96), except
  // that an IPv4 source lies in no range wider than ::ffff:0:0/96 (families stay apart).
  it('matches an address inside a CIDR exactly when ipaddr.js does, IPv4 taken as mapped IPv6', () => {
    const asV6 = (text: string): ipaddr.IPv6 => {
      const a = ipaddr.parse(text);
      return a.kind() === 'ipv4' ? (a as ipaddr.IPv4).toIPv4MappedAddress() : (a as ipaddr.IPv6);
    };
    fc.assert(
      fc.property(fc.oneof(ipv4Arb, ipv6Arb), fc.oneof(ipv4Arb, ipv6Arb), fc.nat(128), (net, addr, bits) => {
        const netIsV4 = !net.includes(':');
        const prefix = netIsV4 ? bits % 33 : bits;
        const range = parseIpRange(`${net}/${prefix}`);
        if (!range) throw new Error('range did not parse');
        const bits6 = netIsV4 ? prefix + 96 : prefix;
        const addrIsV4 = ipaddr.process(addr).kind() === 'ipv4';
        const expected = addrIsV4 && bits6 < 96 ? false : asV6(addr).match(asV6(net), bits6);
        expect(isInIpRange(parseIpAddress(addr) ?? new Uint8Array(16), range)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('an IPv6 range holds an IPv4 source only inside ::ffff:0:0/96', () => {
    const v4 = parseIpAddress('::ffff:203.0.113.7') ?? new Uint8Array(16);
    const inRange = (cidr: string): boolean => {
      const range = parseIpRange(cidr);
      if (!range) throw new Error(cidr);
      return isInIpRange(v4, range);
    };
    expect(inRange('2001:db8::/32')).toBe(false);
    expect(inRange('::/0')).toBe(false);
    expect(inRange('::ffff:0:0/96')).toBe(true);
    expect(inRange('0.0.0.0/0')).toBe(true);
  });

  it('treats an IPv4 CIDR and its mapped IPv6 form alike', () => {
    expect(parseIpRange('10.0.0.0/8')).toEqual(parseIpRange('::ffff:10.0.0.0/104'));
  });

  it('validates policy values with both parsers', () => {
    expect(isValidIpRangeText('10.0.0.0/8')).toBe(true);
    expect(isValidIpRangeText('2001:db8::/32')).toBe(true);
    expect(isValidIpRangeText('10.0.0.0/33')).toBe(false);
    expect(isValidIpRangeText('10.0.0.0/08')).toBe(false);
    expect(isValidIpRangeText('::/129')).toBe(false);
  });
});
