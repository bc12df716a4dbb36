// Virtual MFA devices through RAM (2015-05-01, users by UserName) and IMS (2019-08-15, users by
// UserPrincipalName). The seed (Base32StringSeed, and the QR code that holds it) is in
// CreateVirtualMFADevice's answer only; authentication codes are dropped from the audit trail
// (core/audit/event-fields.ts).
import { toWireDate } from '../../core/clock.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import {
  parseUserName,
  parseUserPrincipalName,
  parseVirtualMfaDeviceName,
} from '../../core/identity/validate.js';
import { mfaSerialNumber } from '../../services/mfa-service.js';
import { userPrincipalName } from '../../services/principal.js';
import type { VirtualMfaDeviceSummary } from '../../store/store.js';
import {
  anyResource,
  keyOwnerByLogonName,
  mfaDeviceByName,
  mfaDeviceBySerial,
  on,
  user,
} from '../authorization.js';
import { unwrap, type Params } from '../params.js';
import type { ActionContext, ActionDef } from './action.js';

/** Pages ListVirtualMFADevices (RAM, which has no paging) reads the whole list in. */
const PAGE = 1000;

/** How an action names the user: RAM's UserName, or IMS's UserPrincipalName (this account's only). */
type UserOf = (ctx: ActionContext) => string;

const ramUser: UserOf = ({ params }) => unwrap(parseUserName(params.required('UserName')));

const imsUser: UserOf = ({ params, caller }) => {
  const upn = unwrap(parseUserPrincipalName(params.required('UserPrincipalName')));
  // Another account's domain answers like a missing user.
  if (upn.accountId !== caller.principal.accountId) throw new RamkeyError('EntityNotExist.User');
  return upn.userName;
};

function codes(params: Params): [string, string] {
  return [params.required('AuthenticationCode1'), params.required('AuthenticationCode2')];
}

function deviceActions(userOf: UserOf, userResource: typeof user): Record<string, ActionDef> {
  return {
    CreateVirtualMFADevice: {
      rw: 'Write',
      resources: on(mfaDeviceByName),
      async handle({ ramkey, caller, params }) {
        const name = unwrap(parseVirtualMfaDeviceName(params.required('VirtualMFADeviceName')));
        const created = await ramkey.mfa.createVirtualDevice(caller.principal.accountId, name);
        return {
          VirtualMFADevice: {
            SerialNumber: created.serialNumber,
            // The only answer that ever carries the seed.
            Base32StringSeed: created.seed.reveal(),
            QRCodePNG: created.qrCodePng.reveal(),
          },
        };
      },
    },
    BindMFADevice: {
      rw: 'Write',
      resources: on(userResource, mfaDeviceBySerial),
      async handle(ctx) {
        const { ramkey, caller, params } = ctx;
        await ramkey.mfa.bind(
          caller.principal.accountId,
          userOf(ctx),
          params.required('SerialNumber'),
          codes(params),
        );
        return {};
      },
    },
    UnbindMFADevice: {
      rw: 'Write',
      resources: on(userResource),
      async handle(ctx) {
        const serialNumber = await ctx.ramkey.mfa.unbind(ctx.caller.principal.accountId, userOf(ctx));
        return { MFADevice: { SerialNumber: serialNumber } };
      },
    },
    DeleteVirtualMFADevice: {
      rw: 'Write',
      resources: on(mfaDeviceBySerial),
      async handle({ ramkey, caller, params }) {
        await ramkey.mfa.deleteVirtualDevice(caller.principal.accountId, params.required('SerialNumber'));
        return {};
      },
    },
  };
}

function deviceBody(accountId: string, device: VirtualMfaDeviceSummary, ims: boolean) {
  return {
    SerialNumber: mfaSerialNumber(accountId, device.deviceName),
    ...(device.boundAt !== null && { ActivateDate: toWireDate(device.boundAt) }),
    ...(device.user !== null && {
      User: {
        UserId: device.user.userId,
        DisplayName: device.user.displayName,
        ...(ims
          ? { UserPrincipalName: userPrincipalName(accountId, device.user.userName) }
          : { UserName: device.user.userName }),
      },
    }),
  };
}

export const ramMfaActions: Record<string, ActionDef> = {
  ...deviceActions(ramUser, user),
  // RAM's list has no paging: every device of the account (at most the user quota's worth).
  ListVirtualMFADevices: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller }) {
      const accountId = caller.principal.accountId;
      const devices: VirtualMfaDeviceSummary[] = [];
      let after: string | undefined;
      do {
        const page = await ramkey.mfa.list(accountId, { limit: PAGE, ...(after !== undefined && { after }) });
        devices.push(...page.items);
        after = page.nextMarker;
      } while (after !== undefined);
      return { VirtualMFADevices: { VirtualMFADevice: devices.map((d) => deviceBody(accountId, d, false)) } };
    },
  },
  GetUserMFAInfo: {
    rw: 'Read',
    resources: on(user),
    async handle(ctx) {
      const serialNumber = await ctx.ramkey.mfa.userDevice(ctx.caller.principal.accountId, ramUser(ctx));
      return { MFADevice: { SerialNumber: serialNumber, Type: 'VMFA' } };
    },
  },
};

export const imsMfaActions: Record<string, ActionDef> = {
  ...deviceActions(imsUser, keyOwnerByLogonName),
  ListVirtualMFADevices: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const accountId = caller.principal.accountId;
      const maxItems = params.integer(
        'MaxItems',
        { min: 1, max: 1000, fallback: 100 },
        'InvalidParameter.MaxItems',
      );
      const marker = params.optional('Marker');
      const page = await ramkey.mfa.list(accountId, {
        limit: maxItems,
        ...(marker !== undefined && { after: marker }),
      });
      return {
        IsTruncated: page.nextMarker !== undefined,
        ...(page.nextMarker !== undefined && { Marker: page.nextMarker }),
        VirtualMFADevices: { VirtualMFADevice: page.items.map((d) => deviceBody(accountId, d, true)) },
      };
    },
  },
  GetUserMFAInfo: {
    rw: 'Read',
    resources: on(keyOwnerByLogonName),
    async handle(ctx) {
      const serialNumber = await ctx.ramkey.mfa.userDevice(ctx.caller.principal.accountId, imsUser(ctx));
      return { IsMFAEnable: true, MFADevice: { SerialNumber: serialNumber, Type: 'VMFA' } };
    },
  },
};
