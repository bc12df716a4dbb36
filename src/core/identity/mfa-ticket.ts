// MFA tickets: what lets a browser skip the MFA code for 7 days when the account's security
// preference allows it (EnableSaveMFATicket). A ticket is `<expiresAt ms>.<MAC>`, the MAC an
// HMAC-SHA256 under a key derived from the bound device's TOTP seed over the account, the user, the
// device, when it was bound, and the expiry. So a ticket proves what a code proves (the seed's
// holder issued it, through a code), works for that user and binding only, and dies with the binding:
// unbinding, deleting or rebinding the device ends every ticket of it. Nothing is stored for it.
// Pure functions: the seed and the time are passed in.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a remembered MFA check lasts (RAM's "remember this device for 7 days"). */
export const MFA_TICKET_TTL_MS = 7 * 24 * 3_600_000;

/** What a ticket is bound to. */
export interface MfaTicketBinding {
  readonly accountId: string;
  readonly userId: string;
  readonly deviceName: string;
  readonly boundAt: number;
}

const TICKET = /^([1-9]\d{0,15})\.([A-Za-z0-9_-]{43})$/;
/** HKDF-like separation: the seed signs TOTP codes with HMAC-SHA1, tickets under its own derived key. */
const TICKET_KEY_LABEL = 'ramkey mfa ticket v1';

function macOf(seed: Buffer, binding: MfaTicketBinding, expiresAt: number): Buffer {
  const key = createHmac('sha256', seed).update(TICKET_KEY_LABEL).digest();
  const facts = [binding.accountId, binding.userId, binding.deviceName, binding.boundAt, expiresAt];
  return createHmac('sha256', key).update(facts.join('\n')).digest();
}

/** A ticket valid until `expiresAt` (ms). */
export function issueMfaTicket(seed: Buffer, binding: MfaTicketBinding, expiresAt: number): string {
  return `${String(expiresAt)}.${macOf(seed, binding, expiresAt).toString('base64url')}`;
}

/**
 * Whether `ticket` was issued for this binding and has not expired at `nowMs`. An expiry further
 * away than a ticket ever lives is refused too. The MAC is compared in constant time.
 */
export function checkMfaTicket(
  seed: Buffer,
  binding: MfaTicketBinding,
  ticket: string,
  nowMs: number,
): boolean {
  const match = TICKET.exec(ticket);
  if (match?.[1] === undefined || match[2] === undefined) return false;
  const expiresAt = Number(match[1]);
  if (expiresAt <= nowMs || expiresAt > nowMs + MFA_TICKET_TTL_MS) return false;
  // Compared as text, not decoded: Base64 lets the last character's low bits vary without changing
  // the bytes, and only the one encoding issued is the ticket.
  const presented = Buffer.from(match[2], 'ascii');
  const expected = Buffer.from(macOf(seed, binding, expiresAt).toString('base64url'), 'ascii');
  return timingSafeEqual(presented, expected);
}
