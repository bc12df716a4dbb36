// SetSecurityPreference / GetSecurityPreference for RAM and IMS: one parser and the two answer shapes.
// Every parameter left out leaves its setting as it was.
import { MAX_IDLE_DAYS_CHOICES } from '../../core/keys/idle.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import { normaliseLoginNetworkMasks } from '../../core/network/login-network-masks.js';
import type { MfaOperationForLogin, SecurityPreference } from '../../store/store.js';
import { unwrap, type Params } from '../params.js';
import { parseBoolean } from './ram-permissions.js';

const MFA_OPERATIONS: readonly MfaOperationForLogin[] = ['mandatory', 'independent', 'adaptive'];

/**
 * The settings a SetSecurityPreference request changes. IMS adds MaxIdleDaysForAccessKeys and
 * MFAOperationForLogin; both accept RAM's older EnforceMFAForLogin (true = 'mandatory', false =
 * 'independent'), which must agree with MFAOperationForLogin when both are given.
 */
export function parseSecurityPreferencePatch(
  params: Params,
  product: 'ram' | 'ims',
): Partial<SecurityPreference> {
  const patch: Partial<SecurityPreference> = {};
  const flags = [
    ['AllowUserToManageAccessKeys', 'allowUserToManageAccessKeys'],
    ['AllowUserToChangePassword', 'allowUserToChangePassword'],
    ['EnableSaveMFATicket', 'enableSaveMFATicket'],
    ['AllowUserToManageMFADevices', 'allowUserToManageMFADevices'],
  ] as const;
  for (const [name, key] of flags) {
    const value = parseBoolean(params, name);
    if (value !== undefined) patch[key] = value;
  }
  if (params.optional('LoginSessionDuration') !== undefined) {
    patch.loginSessionDuration = params.integer(
      'LoginSessionDuration',
      { min: 1, max: 24, fallback: 0 },
      'InvalidParameter.LoginSessionDuration',
    );
  }
  const masks = params.optional('LoginNetworkMasks');
  if (masks !== undefined) patch.loginNetworkMasks = unwrap(normaliseLoginNetworkMasks(masks));

  const enforce = parseBoolean(params, 'EnforceMFAForLogin');
  const fromEnforce: MfaOperationForLogin | undefined =
    enforce === undefined ? undefined : enforce ? 'mandatory' : 'independent';
  const operation = product === 'ims' ? params.optional('MFAOperationForLogin') : undefined;
  if (operation !== undefined) {
    if (!MFA_OPERATIONS.includes(operation as MfaOperationForLogin)) {
      throw new RamkeyError('InvalidParameter.MFAOperationForLogin');
    }
    if (fromEnforce !== undefined && (operation === 'mandatory') !== enforce) {
      throw new RamkeyError('InvalidParameter', { params: ['EnforceMFAForLogin'] });
    }
    patch.mfaOperationForLogin = operation as MfaOperationForLogin;
  } else if (fromEnforce !== undefined) {
    patch.mfaOperationForLogin = fromEnforce;
  }

  if (product === 'ims') {
    const maxIdle = params.optional('MaxIdleDaysForAccessKeys');
    // Enforced by the daily idle-key job (services/idle-keys.ts).
    if (maxIdle !== undefined) {
      if (!MAX_IDLE_DAYS_CHOICES.map(String).includes(maxIdle)) {
        throw new RamkeyError('InvalidParameter', { params: ['MaxIdleDaysForAccessKeys'] });
      }
      patch.maxIdleDaysForAccessKeys = Number(maxIdle);
    }
  }
  return patch;
}

/** RAM's SecurityPreference (2015-05-01). */
export function ramPreferenceBody(pref: SecurityPreference) {
  return {
    SecurityPreference: {
      AccessKeyPreference: { AllowUserToManageAccessKeys: pref.allowUserToManageAccessKeys },
      LoginProfilePreference: loginProfilePreference(pref),
      MFAPreference: { AllowUserToManageMFADevices: pref.allowUserToManageMFADevices },
    },
  };
}

/** IMS's SecurityPreference (2019-08-15): RAM's, MFAOperationForLogin and MaxIdleDays. */
export function imsPreferenceBody(pref: SecurityPreference) {
  return {
    SecurityPreference: {
      AccessKeyPreference: { AllowUserToManageAccessKeys: pref.allowUserToManageAccessKeys },
      LoginProfilePreference: {
        ...loginProfilePreference(pref),
        MFAOperationForLogin: pref.mfaOperationForLogin,
      },
      MFAPreference: { AllowUserToManageMFADevices: pref.allowUserToManageMFADevices },
      MaxIdleDays: { MaxIdleDaysForAccessKeys: pref.maxIdleDaysForAccessKeys },
    },
  };
}

function loginProfilePreference(pref: SecurityPreference) {
  return {
    EnableSaveMFATicket: pref.enableSaveMFATicket,
    AllowUserToChangePassword: pref.allowUserToChangePassword,
    LoginSessionDuration: pref.loginSessionDuration,
    LoginNetworkMasks: pref.loginNetworkMasks,
    EnforceMFAForLogin: pref.mfaOperationForLogin === 'mandatory',
  };
}
