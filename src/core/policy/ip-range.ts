// IP addresses and CIDR ranges for IpAddress/NotIpAddress: strict parsing, one 16-byte form, prefix match.
//
// Every address and range is held as IPv6: an IPv4 address a.b.c.d becomes ::ffff:a.b.c.d and an IPv4
// CIDR /n becomes ::ffff:a.b.c.d/(96+n). So a dual-stack socket's `::ffff:1.2.3.4` and a plain `1.2.3.4`
// are the same source, and `10.0.0.0/8` and `::ffff:10.0.0.0/104` the same range: a Deny on an IPv4
// range cannot be sidestepped by connecting over IPv6 with the mapped form. Otherwise the families stay
// apart, as in ipaddr.js and AWS: an IPv4 source lies only in ranges inside ::ffff:0:0/96, so `::/0`
// or `2000::/3` ("any IPv6") does not quietly take in every IPv4 address as well.
//
// Policy values are checked with ipaddr.js at write time (isValidIpRangeText) as well as by the parser
// below; the parser exists because the source address is parsed on every evaluated request, and
// ipaddr.js takes 2-5 µs per IPv6 address where this takes about 0.1 µs. ip-range.test.ts checks that
// both agree, byte for byte.
import ipaddr from 'ipaddr.js';

/** An address as 16 bytes (IPv4 in its IPv4-mapped IPv6 form). */
export type IpAddressBytes = Uint8Array;

export interface IpRange {
  readonly bytes: IpAddressBytes;
  /** Prefix length in bits over the 16-byte form (IPv4 /n is 96 + n). */
  readonly prefix: number;
}

const PREFIX = /^(?:0|[1-9]\d{0,2})$/;

/**
 * Parses one address. Only unambiguous spellings are accepted: IPv4 as four decimal parts without
 * leading zeros (no `127.1`, `0x7f.0.0.1`, `010.0.0.1`), IPv6 without a zone (`%eth0`), and an embedded
 * IPv4 tail (`::ffff:1.2.3.4`) only in that same four-part form. Anything else is `undefined`.
 */
export function parseIpAddress(text: string): IpAddressBytes | undefined {
  if (text.length > 45) return undefined;
  const bytes = new Uint8Array(16);
  if (!text.includes(':')) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    return parseIpv4Into(text, bytes, 12) ? bytes : undefined;
  }
  return parseIpv6Into(text, bytes) ? bytes : undefined;
}

/** Parses an address (a range of one) or a CIDR (`10.0.0.0/8`, `2001:db8::/32`). */
export function parseIpRange(text: string): IpRange | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) {
    const bytes = parseIpAddress(text);
    return bytes && { bytes, prefix: 128 };
  }
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!PREFIX.test(prefixText)) return undefined;
  const bytes = parseIpAddress(address);
  if (!bytes) return undefined;
  const isV4 = !address.includes(':');
  const bits = Number(prefixText);
  if (bits > (isV4 ? 32 : 128)) return undefined;
  return { bytes, prefix: isV4 ? 96 + bits : bits };
}

/**
 * Whether a policy value is an address or CIDR by both this module's grammar and ipaddr.js's: the
 * write-time check, so that a value is only stored when two independent parsers agree on it.
 */
export function isValidIpRangeText(text: string): boolean {
  if (parseIpRange(text) === undefined) return false;
  if (text.includes('/'))
    return ipaddr.IPv4.isValidCIDRFourPartDecimal(text) || ipaddr.IPv6.isValidCIDR(text);
  return ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text);
}

/** Whether `address` lies in `range` (the first `prefix` bits are equal; see above for IPv4). */
export function isInIpRange(address: IpAddressBytes, range: IpRange): boolean {
  if (range.prefix < 96 && isIpv4Mapped(address)) return false;
  const full = range.prefix >>> 3;
  const r = range.bytes;
  for (let i = 0; i < full; i++) if (address[i] !== r[i]) return false;
  const rest = range.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[full] ?? 0) & mask) === ((r[full] ?? 0) & mask);
}

/** Whether the address is IPv4 (held as ::ffff:a.b.c.d). */
function isIpv4Mapped(address: IpAddressBytes): boolean {
  for (let i = 0; i < 10; i++) if (address[i] !== 0) return false;
  return address[10] === 0xff && address[11] === 0xff;
}

/** Four decimal parts 0-255, no leading zeros, written into `out` at `at`. */
function parseIpv4Into(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const part = parts[i] ?? '';
    if (part.length === 0 || part.length > 3 || (part.length > 1 && part.startsWith('0'))) return false;
    let n = 0;
    for (let j = 0; j < part.length; j++) {
      const d = part.charCodeAt(j) - 0x30;
      if (d < 0 || d > 9) return false;
      n = n * 10 + d;
    }
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

/** RFC 4291 section 2.2 text forms: eight groups, at most one `::`, an optional IPv4 tail. */
function parseIpv6Into(text: string, out: Uint8Array): boolean {
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) return false;
  const headText = gap >= 0 ? text.slice(0, gap) : text;
  const tailText = gap >= 0 ? text.slice(gap + 2) : '';
  const head = headText === '' ? [] : headText.split(':');
  const tail = tailText === '' ? [] : tailText.split(':');
  if (gap < 0 && head.length === 0) return false;
  // Groups as 16-bit numbers; an IPv4 tail (only as the very last group) counts as two.
  const headGroups = groupsOf(head, gap < 0 && tail.length === 0);
  const tailGroups = groupsOf(tail, true);
  if (!headGroups || !tailGroups) return false;
  const total = headGroups.length + tailGroups.length;
  if (gap < 0 ? total !== 8 : total > 7) return false;
  const groups = [...headGroups, ...new Array<number>(8 - total).fill(0), ...tailGroups];
  groups.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return true;
}

function groupsOf(parts: readonly string[], lastMayBeIpv4: boolean): number[] | undefined {
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (lastMayBeIpv4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = new Uint8Array(4);
      if (!parseIpv4Into(part, v4, 0)) return undefined;
      groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      continue;
    }
    if (part.length === 0 || part.length > 4) return undefined;
    let n = 0;
    for (let j = 0; j < part.length; j++) {
      const h = hexValue(part.charCodeAt(j));
      if (h < 0) return undefined;
      n = (n << 4) | h;
    }
    groups.push(n);
  }
  return groups;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
