// Virtual MFA devices (TOTP, RFC 6238): created with a fresh seed (shown once, in the create answer,
// and sealed at rest), bound to a user by two consecutive codes, and checked at console sign-in,
// where each time step is accepted at most once per user (replay protection in the database, so it
// holds across nodes).
import { timingSafeEqual } from 'node:crypto';
import QRCode from 'qrcode';
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import {
  checkMfaTicket,
  issueMfaTicket,
  MFA_TICKET_TTL_MS,
  type MfaTicketBinding,
} from '../core/identity/mfa-ticket.js';
import {
  base32Decode,
  base32Encode,
  isTotpCodeFormat,
  matchTotpStep,
  otpauthUri,
  totpCode,
  totpStep,
  TOTP_SEED_BYTES,
  TOTP_WINDOW,
} from '../core/identity/totp.js';
import { Secret } from '../core/keys/secret.js';
import type { Random } from '../core/random.js';
import type { Sealer } from '../store/sealer.js';
import type { Page, Store, VirtualMfaDeviceRecord, VirtualMfaDeviceSummary } from '../store/store.js';
import type { IdentityService } from './identity-service.js';
import type { Quotas } from './quotas.js';

/** The issuer authenticator apps show next to the account name (the CLI's otpauth:// URI names it too). */
export const MFA_ISSUER = 'Ramkey';

/** `acs:ram::<accountId>:mfa/<name>`, RAM's serial number of a virtual MFA device. */
export function mfaSerialNumber(accountId: string, deviceName: string): string {
  return `acs:ram::${accountId}:mfa/${deviceName}`;
}

export interface CreatedVirtualMfaDevice {
  serialNumber: string;
  /** The seed in Base32: shown once, in CreateVirtualMFADevice's answer. */
  seed: Secret;
  /** A PNG of the otpauth:// URI (which holds the seed), base64. */
  qrCodePng: Secret;
}

export class MfaService {
  constructor(
    private readonly store: Store,
    private readonly identity: IdentityService,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly quotas: Quotas,
  ) {}

  async createVirtualDevice(accountId: string, deviceName: string): Promise<CreatedVirtualMfaDevice> {
    const serialNumber = mfaSerialNumber(accountId, deviceName);
    const seed = new Secret(base32Encode(this.random.bytes(TOTP_SEED_BYTES)));
    const created = await this.store.createVirtualMfaDevice(
      {
        accountId,
        deviceName,
        sealedSeed: this.sealer.seal(serialNumber, seed),
        userId: null,
        boundAt: null,
        lastUsedStep: null,
        createdAt: this.clock.now(),
      },
      // At most one device per user is of use; the user quota bounds the unbound ones too.
      this.quotas.usersPerAccount,
    );
    if (!created) throw new RamkeyError('EntityAlreadyExists.VirtualMFADevice');
    const png = await QRCode.toBuffer(otpauthUri(seed.reveal(), MFA_ISSUER, serialNumber), {
      type: 'png',
      errorCorrectionLevel: 'M',
    });
    return { serialNumber, seed, qrCodePng: new Secret(png.toString('base64')) };
  }

  /** Binds the device `serialNumber` names to the user, proven by two consecutive codes of it. */
  async bind(
    accountId: string,
    userName: string,
    serialNumber: string,
    codes: [string, string],
  ): Promise<void> {
    for (const [i, code] of codes.entries()) {
      if (!isTotpCodeFormat(code)) {
        throw new RamkeyError('InvalidParameter.AuthenticationCode.Format', {
          params: [`AuthenticationCode${i + 1}`],
        });
      }
    }
    const device = await this.deviceBySerial(accountId, serialNumber);
    if (device.userId !== null) throw new RamkeyError('EntityAlreadyExists.VirtualMFADevice.User');
    const user = await this.identity.getUser(accountId, userName);
    if (await this.store.getUserMfaDevice(accountId, user.userId)) {
      throw new RamkeyError('EntityAlreadyExists.User.MFADevice');
    }
    const step = consecutiveStep(this.seedOf(device), codes, this.clock.now());
    if (step === undefined) throw new RamkeyError('CheckAuthenticationCodeFail');
    const refusal = await this.store.bindMfaDevice(
      accountId,
      device.deviceName,
      user.userId,
      this.clock.now(),
      step,
    );
    // Refusals here are races lost since the checks above.
    if (refusal === 'no-device') throw new RamkeyError('EntityNotExist.VirtualMFADevice');
    if (refusal === 'no-user') throw new RamkeyError('EntityNotExist.User');
    if (refusal === 'user-bound') throw new RamkeyError('EntityAlreadyExists.User.MFADevice');
    if (refusal === 'device-bound') throw new RamkeyError('EntityAlreadyExists.VirtualMFADevice.User');
  }

  /** Unbinds the user's device and returns its serial number. */
  async unbind(accountId: string, userName: string): Promise<string> {
    const user = await this.identity.getUser(accountId, userName);
    const name = await this.store.unbindMfaDevice(accountId, user.userId);
    if (name === undefined) throw new RamkeyError('EntityNotExist.User.MFADevice');
    return mfaSerialNumber(accountId, name);
  }

  async deleteVirtualDevice(accountId: string, serialNumber: string): Promise<void> {
    const name = deviceNameOf(accountId, serialNumber);
    const outcome = name === undefined ? 'missing' : await this.store.deleteVirtualMfaDevice(accountId, name);
    if (outcome === 'missing') throw new RamkeyError('EntityNotExist.VirtualMFADevice');
    if (outcome === 'bound') throw new RamkeyError('DeleteConflict.VirtualMFADevice.User');
  }

  list(
    accountId: string,
    options: { after?: string; limit: number },
  ): Promise<Page<VirtualMfaDeviceSummary>> {
    return this.store.listVirtualMfaDevices(accountId, options);
  }

  /** The serial number of the user's device (EntityNotExist.User.MFADevice when it has none). */
  async userDevice(accountId: string, userName: string): Promise<string> {
    const user = await this.identity.getUser(accountId, userName);
    const device = await this.store.getUserMfaDevice(accountId, user.userId);
    if (!device) throw new RamkeyError('EntityNotExist.User.MFADevice');
    return mfaSerialNumber(accountId, device.deviceName);
  }

  counts(accountId: string): Promise<{ devices: number; inUse: number }> {
    return this.store.countMfaDevices(accountId);
  }

  /** When the user's MFA device was bound (console sign-in then asks for a code); undefined without one. */
  async deviceBoundAt(accountId: string, userId: string): Promise<number | undefined> {
    const device = await this.store.getUserMfaDevice(accountId, userId);
    return device && (device.boundAt ?? undefined);
  }

  /**
   * A ticket that stands in for the user's MFA code for 7 days (see core/identity/mfa-ticket), or
   * undefined when the user has no device bound.
   */
  async issueLoginTicket(accountId: string, userId: string): Promise<string | undefined> {
    const bound = await this.boundDevice(accountId, userId);
    return bound && issueMfaTicket(bound.seed, bound.binding, this.clock.now() + MFA_TICKET_TTL_MS);
  }

  /** Whether the ticket was issued for the device the user has bound now, and has not expired. */
  async checkLoginTicket(accountId: string, userId: string, ticket: string): Promise<boolean> {
    const bound = await this.boundDevice(accountId, userId);
    return bound !== undefined && checkMfaTicket(bound.seed, bound.binding, ticket, this.clock.now());
  }

  /** The user's bound device as tickets see it: its seed and binding; undefined without one. */
  private async boundDevice(
    accountId: string,
    userId: string,
  ): Promise<{ seed: Buffer; binding: MfaTicketBinding } | undefined> {
    const device = await this.store.getUserMfaDevice(accountId, userId);
    if (!device || device.userId === null || device.boundAt === null) return undefined;
    const { deviceName, boundAt } = device;
    return {
      seed: this.seedOf(device),
      binding: { accountId: device.accountId, userId: device.userId, deviceName, boundAt },
    };
  }

  /**
   * True only for a valid code (current step ±1) of the user's bound device whose time step no
   * earlier sign-in or binding of that device used: a code works once, on whichever node sees it first.
   */
  async verifyLoginCode(accountId: string, userId: string, code: string): Promise<boolean> {
    if (!isTotpCodeFormat(code)) return false;
    const device = await this.store.getUserMfaDevice(accountId, userId);
    if (!device) return false;
    const step = matchTotpStep(this.seedOf(device), code, this.clock.now());
    if (step === undefined) return false;
    if (device.lastUsedStep !== null && step <= device.lastUsedStep) return false;
    return this.store.acceptMfaStep(accountId, userId, device.deviceName, step);
  }

  private async deviceBySerial(accountId: string, serialNumber: string): Promise<VirtualMfaDeviceRecord> {
    const name = deviceNameOf(accountId, serialNumber);
    const device = name === undefined ? undefined : await this.store.getVirtualMfaDevice(accountId, name);
    if (!device) throw new RamkeyError('EntityNotExist.VirtualMFADevice');
    return device;
  }

  private seedOf(device: VirtualMfaDeviceRecord): Buffer {
    const seed = this.sealer.open(mfaSerialNumber(device.accountId, device.deviceName), device.sealedSeed);
    const bytes = base32Decode(seed.reveal());
    if (bytes === undefined) throw new Error('sealed MFA seed is not Base32');
    return bytes;
  }
}

/** The device name in a serial number of the caller's account; undefined for any other. */
export function deviceNameOf(accountId: string, serialNumber: string): string | undefined {
  const prefix = mfaSerialNumber(accountId, '');
  if (!serialNumber.startsWith(prefix)) return undefined;
  const name = serialNumber.slice(prefix.length);
  return /^[A-Za-z0-9._-]{1,64}$/.test(name) ? name : undefined;
}

/**
 * The later step of two consecutive codes, both within ±TOTP_WINDOW of now: `codes[0]` of step s and
 * `codes[1]` of s + 1. Every candidate pair is compared in constant time.
 */
function consecutiveStep(seed: Buffer, codes: [string, string], nowMs: number): number | undefined {
  const current = totpStep(nowMs);
  const [first, second] = codes.map((c) => Buffer.from(c, 'ascii')) as [Buffer, Buffer];
  let found: number | undefined;
  for (let step = current - TOTP_WINDOW; step < current + TOTP_WINDOW; step++) {
    const a = timingSafeEqual(Buffer.from(totpCode(seed, step), 'ascii'), first);
    const b = timingSafeEqual(Buffer.from(totpCode(seed, step + 1), 'ascii'), second);
    if (a && b && found === undefined) found = step + 1;
  }
  return found;
}
