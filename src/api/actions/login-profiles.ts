// RAM (2015-05-01) login profiles and the password policy: the API side of console sign-in.
// Passwords come in only (Password, OldPassword, NewPassword); no response ever carries one, and the
// audit trail drops every parameter named like a password (core/audit/event-fields.ts).
import { toWireDate } from '../../core/clock.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import { parseUserName } from '../../core/identity/validate.js';
import {
  DEFAULT_PASSWORD_POLICY,
  PASSWORD_POLICY_LIMITS,
  type PasswordPolicy,
} from '../../core/identity/password-policy.js';
import type { LoginProfileView } from '../../services/login-profile-service.js';
import { anyResource, on, user } from '../authorization.js';
import { unwrap, type Params } from '../params.js';
import type { ActionDef } from './action.js';
import { parseBoolean } from './ram-permissions.js';

function userName(params: Params): string {
  return unwrap(parseUserName(params.required('UserName')));
}

function loginProfileBody(profile: LoginProfileView) {
  return {
    LoginProfile: {
      UserName: profile.userName,
      PasswordResetRequired: profile.passwordResetRequired,
      MFABindRequired: profile.mfaBindRequired,
      CreateDate: toWireDate(profile.createdAt),
    },
  };
}

function passwordPolicyBody(policy: PasswordPolicy) {
  return {
    PasswordPolicy: {
      MinimumPasswordLength: policy.minimumPasswordLength,
      RequireLowercaseCharacters: policy.requireLowercaseCharacters,
      RequireUppercaseCharacters: policy.requireUppercaseCharacters,
      RequireNumbers: policy.requireNumbers,
      RequireSymbols: policy.requireSymbols,
      HardExpiry: policy.hardExpiry,
      // Alibaba's spelling.
      MaxLoginAttemps: policy.maxLoginAttempts,
      PasswordReusePrevention: policy.passwordReusePrevention,
      MaxPasswordAge: policy.maxPasswordAge,
    },
  };
}

/** SetPasswordPolicy's parameters; each one left out takes RAM's default. */
function parsePasswordPolicy(params: Params, defaults: PasswordPolicy): PasswordPolicy {
  const integer = (name: string, key: keyof typeof PASSWORD_POLICY_LIMITS) =>
    params.integer(name, { ...PASSWORD_POLICY_LIMITS[key], fallback: defaults[key] }, 'InvalidParameter');
  const flag = (name: string, fallback: boolean) => parseBoolean(params, name) ?? fallback;
  return {
    minimumPasswordLength: integer('MinimumPasswordLength', 'minimumPasswordLength'),
    requireLowercaseCharacters: flag('RequireLowercaseCharacters', defaults.requireLowercaseCharacters),
    requireUppercaseCharacters: flag('RequireUppercaseCharacters', defaults.requireUppercaseCharacters),
    requireNumbers: flag('RequireNumbers', defaults.requireNumbers),
    requireSymbols: flag('RequireSymbols', defaults.requireSymbols),
    hardExpiry: flag('HardExpiry', defaults.hardExpiry),
    maxLoginAttempts: integer('MaxLoginAttemps', 'maxLoginAttempts'),
    passwordReusePrevention: integer('PasswordReusePrevention', 'passwordReusePrevention'),
    maxPasswordAge: integer('MaxPasswordAge', 'maxPasswordAge'),
  };
}

export const loginProfileActions: Record<string, ActionDef> = {
  CreateLoginProfile: {
    rw: 'Write',
    resources: on(user),
    async handle({ ramkey, caller, params }) {
      const profile = await ramkey.loginProfiles.createLoginProfile(
        caller.principal.accountId,
        userName(params),
        {
          password: params.required('Password'),
          passwordResetRequired: parseBoolean(params, 'PasswordResetRequired') ?? false,
          mfaBindRequired: parseBoolean(params, 'MFABindRequired') ?? false,
        },
      );
      return loginProfileBody(profile);
    },
  },
  GetLoginProfile: {
    rw: 'Read',
    resources: on(user),
    async handle({ ramkey, caller, params }) {
      return loginProfileBody(
        await ramkey.loginProfiles.getLoginProfile(caller.principal.accountId, userName(params)),
      );
    },
  },
  UpdateLoginProfile: {
    rw: 'Write',
    resources: on(user),
    async handle({ ramkey, caller, params }) {
      const password = params.optional('Password');
      const passwordResetRequired = parseBoolean(params, 'PasswordResetRequired');
      const mfaBindRequired = parseBoolean(params, 'MFABindRequired');
      await ramkey.loginProfiles.updateLoginProfile(caller.principal.accountId, userName(params), {
        ...(password !== undefined && { password }),
        ...(passwordResetRequired !== undefined && { passwordResetRequired }),
        ...(mfaBindRequired !== undefined && { mfaBindRequired }),
      });
      return {};
    },
  },
  DeleteLoginProfile: {
    rw: 'Write',
    resources: on(user),
    async handle({ ramkey, caller, params }) {
      await ramkey.loginProfiles.deleteLoginProfile(caller.principal.accountId, userName(params));
      return {};
    },
  },
  GetPasswordPolicy: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller }) {
      return passwordPolicyBody(await ramkey.loginProfiles.getPasswordPolicy(caller.principal.accountId));
    },
  },
  SetPasswordPolicy: {
    rw: 'Write',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const policy = parsePasswordPolicy(params, DEFAULT_PASSWORD_POLICY);
      return passwordPolicyBody(
        await ramkey.loginProfiles.setPasswordPolicy(caller.principal.accountId, policy),
      );
    },
  },
  // Any RAM user may change its own password (it must know the current one), as on Alibaba Cloud.
  ChangePassword: {
    rw: 'Write',
    resources: anyResource,
    unrestricted: true,
    async handle({ ramkey, caller, params }) {
      const { principal } = caller;
      if (principal.kind === 'root') throw new RamkeyError('NotSupported.RootPassword');
      await ramkey.loginProfiles.changePassword(
        principal.accountId,
        principal.userId,
        params.required('OldPassword'),
        params.required('NewPassword'),
      );
      return {};
    },
  },
};
