// MFA tickets: valid for their binding until they expire, and for nothing else.
import { describe, expect, it } from 'vitest';
import { checkMfaTicket, issueMfaTicket, MFA_TICKET_TTL_MS, type MfaTicketBinding } from './mfa-ticket.js';

const SEED = Buffer.from('12345678901234567890', 'ascii');
const BINDING: MfaTicketBinding = {
  accountId: '1234567890123456',
  userId: '200000000000000001',
  deviceName: 'phone',
  boundAt: 1_700_000_000_000,
};
const NOW = 1_800_000_000_000;

describe('MFA tickets', () => {
  it('are valid for their binding until they expire', () => {
    const ticket = issueMfaTicket(SEED, BINDING, NOW + MFA_TICKET_TTL_MS);
    expect(ticket).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
    expect(checkMfaTicket(SEED, BINDING, ticket, NOW)).toBe(true);
    expect(checkMfaTicket(SEED, BINDING, ticket, NOW + MFA_TICKET_TTL_MS - 1)).toBe(true);
    expect(checkMfaTicket(SEED, BINDING, ticket, NOW + MFA_TICKET_TTL_MS)).toBe(false);
  });

  it('do not work for another account, user, device, binding or seed', () => {
    const ticket = issueMfaTicket(SEED, BINDING, NOW + 1000);
    const others: MfaTicketBinding[] = [
      { ...BINDING, accountId: '1234567890123457' },
      { ...BINDING, userId: '200000000000000002' },
      { ...BINDING, deviceName: 'phone2' },
      { ...BINDING, boundAt: BINDING.boundAt + 1 },
    ];
    for (const other of others) expect(checkMfaTicket(SEED, other, ticket, NOW)).toBe(false);
    expect(checkMfaTicket(Buffer.from('another seed of 20 b', 'ascii'), BINDING, ticket, NOW)).toBe(false);
  });

  it('refuse a changed expiry, a tampered or re-encoded MAC, an expiry beyond 7 days and any malformed text', () => {
    const ticket = issueMfaTicket(SEED, BINDING, NOW + 1000);
    const [expiry, mac] = ticket.split('.') as [string, string];
    const flipped = (mac.startsWith('A') ? 'B' : 'A') + mac.slice(1);
    // The same bytes in another encoding: the last character carries 4 bits and 2 that decoding drops.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(mac.slice(-1));
    const reencoded = `${mac.slice(0, -1)}${alphabet[last ^ 1] ?? ''}`;
    expect(Buffer.from(reencoded, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
    const far = issueMfaTicket(SEED, BINDING, NOW + MFA_TICKET_TTL_MS + 1);
    for (const bad of [
      `${String(Number(expiry) + 1)}.${mac}`,
      `${expiry}.${flipped}`,
      `${expiry}.${reencoded}`,
      far,
      '',
      expiry,
      `${expiry}.`,
      `${expiry}.${mac}x`,
      `0${expiry}.${mac}`,
      `-${expiry}.${mac}`,
      `${expiry}.${mac}.${mac}`,
    ]) {
      expect(checkMfaTicket(SEED, BINDING, bad, NOW), bad).toBe(false);
    }
  });
});
