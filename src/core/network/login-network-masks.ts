// Login network masks (SetSecurityPreference's LoginNetworkMasks): the addresses and CIDR blocks,
// IPv4 or IPv6, RAM users may sign in to the console from. Empty means anywhere. Kept normalised so
// equal settings read back equal: canonical address text (RFC 5952 for IPv6), a block as its network
// address, no duplicates, `;` between entries.
import ipaddr from 'ipaddr.js';
import { fail, ok, type Result } from '../errors/ramkey-error.js';

/** RAM's limits: at most 40 masks, at most 512 characters in all. */
export const MAX_LOGIN_NETWORK_MASKS = 40;
export const MAX_LOGIN_NETWORK_MASKS_LENGTH = 512;

function invalid(why: string): Result<never> {
  return fail('InvalidParameter.LoginNetworkMasks', why);
}

/** One entry in canonical form, or undefined when it is no address or CIDR block. */
function normaliseEntry(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  // ipaddr.js also reads octal, hex and shortened IPv4 ("010.1", "0x0a.0.0.1"): only dotted quads.
  if (ipaddr.IPv4.isValid(address) && !ipaddr.IPv4.isValidFourPartDecimal(address)) return undefined;
  if (!ipaddr.isValid(address)) return undefined;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).zoneId !== undefined) return undefined;
  if (slash < 0) return parsed.toString();
  const bitsText = entry.slice(slash + 1);
  const max = parsed.kind() === 'ipv4' ? 32 : 128;
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return undefined;
  const bits = Number(bitsText);
  const network =
    parsed.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address}/${bits}`);
  return `${network.toString()}/${bits}`;
}

/**
 * Validates and normalises LoginNetworkMasks: entries separated by `;` (blanks around them and
 * empty entries ignored), each an IPv4/IPv6 address or CIDR block.
 */
export function normaliseLoginNetworkMasks(text: string): Result<string> {
  if (text.length > MAX_LOGIN_NETWORK_MASKS_LENGTH) {
    return invalid(`it is longer than ${MAX_LOGIN_NETWORK_MASKS_LENGTH} characters`);
  }
  const entries: string[] = [];
  for (const raw of text.split(';')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const normal = normaliseEntry(entry);
    // The entry is the caller's own setting, not a secret: naming it makes the error useful.
    if (normal === undefined) return invalid(`"${entry}" is not an IP address or CIDR block`);
    if (!entries.includes(normal)) entries.push(normal);
  }
  if (entries.length > MAX_LOGIN_NETWORK_MASKS) {
    return invalid(`it has more than ${MAX_LOGIN_NETWORK_MASKS} masks`);
  }
  return ok(entries.join(';'));
}

/**
 * Whether console sign-in from `address` is allowed by normalised `masks` (as stored). An empty
 * setting allows every address; an IPv4-mapped IPv6 address counts as its IPv4 address.
 */
export function loginNetworkAllows(masks: string, address: string): boolean {
  if (masks === '') return true;
  if (!ipaddr.isValid(address)) return false;
  const client = ipaddr.process(address);
  return masks.split(';').some((mask) => {
    const [network, bits] = mask.includes('/')
      ? ipaddr.parseCIDR(mask)
      : [ipaddr.parse(mask), mask.includes(':') ? 128 : 32];
    if (client.kind() !== network.kind()) return false;
    return client.kind() === 'ipv4'
      ? (client as ipaddr.IPv4).match(network, bits)
      : (client as ipaddr.IPv6).match(network, bits);
  });
}
