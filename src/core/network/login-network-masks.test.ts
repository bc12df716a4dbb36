// LoginNetworkMasks: validation, normalisation (canonical text, network addresses, no duplicates),
// RAM's limits, and matching a client address.
import { describe, expect, it } from 'vitest';
import { loginNetworkAllows, normaliseLoginNetworkMasks } from './login-network-masks.js';

function normal(text: string): string {
  const result = normaliseLoginNetworkMasks(text);
  if (!result.ok) throw new Error(`refused: ${result.params?.join()}`);
  return result.value;
}

function refusal(text: string): string | undefined {
  const result = normaliseLoginNetworkMasks(text);
  return result.ok ? undefined : `${result.code}: ${result.params?.join()}`;
}

describe('normaliseLoginNetworkMasks', () => {
  it('keeps canonical text: network addresses, RFC 5952 IPv6, no blanks, empties or duplicates', () => {
    expect(normal('')).toBe('');
    expect(normal(' ; ')).toBe('');
    expect(normal('10.1.2.3/8; 192.168.0.1 ;;2001:0DB8:0:0::1/32;10.0.0.0/8')).toBe(
      '10.0.0.0/8;192.168.0.1;2001:db8::/32',
    );
    expect(normal('::1;0.0.0.0/0;::/0')).toBe('::1;0.0.0.0/0;::/0');
  });

  it('refuses what is no address or block, naming the entry', () => {
    for (const bad of [
      '10.0.0',
      '010.0.0.1',
      '0x0a.0.0.1',
      '10.0.0.1/33',
      '::1/129',
      '10.0.0.1/',
      'fe80::1%eth0',
      'example.com',
      '10.0.0.0/8/8',
      '10.0.0.1/+8',
    ]) {
      expect(refusal(`192.168.0.0/16;${bad}`)).toBe(
        `InvalidParameter.LoginNetworkMasks: "${bad}" is not an IP address or CIDR block`,
      );
    }
  });

  it('holds RAM limits: 40 masks, 512 characters', () => {
    const masks = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i}`).join(';');
    expect(normal(masks(40)).split(';')).toHaveLength(40);
    expect(refusal(masks(41))).toBe('InvalidParameter.LoginNetworkMasks: it has more than 40 masks');
    expect(refusal(`${'1.1.1.1;'.repeat(64)}1`)).toBe(
      'InvalidParameter.LoginNetworkMasks: it is longer than 512 characters',
    );
  });
});

describe('loginNetworkAllows', () => {
  const masks = normal('10.0.0.0/8;192.168.1.7;2001:db8::/32');

  it('allows everything when empty', () => {
    expect(loginNetworkAllows('', '203.0.113.9')).toBe(true);
  });

  it('allows addresses inside a mask, IPv4-mapped IPv6 as IPv4, and nothing else', () => {
    expect(loginNetworkAllows(masks, '10.200.3.4')).toBe(true);
    expect(loginNetworkAllows(masks, '192.168.1.7')).toBe(true);
    expect(loginNetworkAllows(masks, '::ffff:10.1.1.1')).toBe(true);
    expect(loginNetworkAllows(masks, '2001:db8:1::5')).toBe(true);
    expect(loginNetworkAllows(masks, '192.168.1.8')).toBe(false);
    expect(loginNetworkAllows(masks, '11.0.0.1')).toBe(false);
    expect(loginNetworkAllows(masks, '2001:db9::1')).toBe(false);
    expect(loginNetworkAllows(masks, 'not an address')).toBe(false);
  });
});
