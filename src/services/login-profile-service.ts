// RAM login profiles (a user's console password) and the account's password policy. Passwords are
// checked against the policy, hashed with scrypt and never kept, logged or returned in clear.
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import {
  checkPassword,
  DEFAULT_PASSWORD_POLICY,
  type PasswordPolicy,
} from '../core/identity/password-policy.js';
import { hashPassword, verifyPassword } from '../core/keys/password.js';
import type { Random } from '../core/random.js';
import type { LoginProfileRecord, Store } from '../store/store.js';
import type { IdentityService } from './identity-service.js';

/** Previous hashes kept per profile: as many as the largest PasswordReusePrevention. */
const MAX_PREVIOUS_HASHES = 24;

export interface LoginProfileView {
  userName: string;
  passwordResetRequired: boolean;
  mfaBindRequired: boolean;
  createdAt: number;
}

export interface LoginProfileChanges {
  password?: string;
  passwordResetRequired?: boolean;
  mfaBindRequired?: boolean;
}

export class LoginProfileService {
  constructor(
    private readonly store: Store,
    private readonly identity: IdentityService,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async createLoginProfile(
    accountId: string,
    userName: string,
    init: { password: string; passwordResetRequired: boolean; mfaBindRequired: boolean },
  ): Promise<LoginProfileView> {
    const user = await this.identity.getUser(accountId, userName);
    await this.checkAgainstPolicy(accountId, init.password);
    const now = this.clock.now();
    const created = await this.store.createLoginProfile({
      accountId,
      userId: user.userId,
      passwordHash: await hashPassword(init.password, this.random),
      previousPasswordHashes: [],
      passwordResetRequired: init.passwordResetRequired,
      mfaBindRequired: init.mfaBindRequired,
      createdAt: now,
      updatedAt: now,
      passwordChangedAt: now,
    });
    if (!created) throw new RamkeyError('EntityAlreadyExists.User.LoginProfile');
    return { userName: user.userName, ...init, createdAt: now };
  }

  async getLoginProfile(accountId: string, userName: string): Promise<LoginProfileView> {
    const user = await this.identity.getUser(accountId, userName);
    const profile = await this.profileOf(accountId, user.userId);
    return view(user.userName, profile);
  }

  async updateLoginProfile(accountId: string, userName: string, changes: LoginProfileChanges): Promise<void> {
    const user = await this.identity.getUser(accountId, userName);
    const profile = await this.profileOf(accountId, user.userId);
    const next = { ...profile, updatedAt: this.clock.now() };
    if (changes.passwordResetRequired !== undefined)
      next.passwordResetRequired = changes.passwordResetRequired;
    if (changes.mfaBindRequired !== undefined) next.mfaBindRequired = changes.mfaBindRequired;
    if (changes.password !== undefined)
      Object.assign(next, await this.withNewPassword(profile, changes.password));
    if (!(await this.store.updateLoginProfile(next)))
      throw new RamkeyError('EntityNotExist.User.LoginProfile');
  }

  async deleteLoginProfile(accountId: string, userName: string): Promise<void> {
    const user = await this.identity.getUser(accountId, userName);
    if (!(await this.store.deleteLoginProfile(accountId, user.userId))) {
      throw new RamkeyError('EntityNotExist.User.LoginProfile');
    }
  }

  /**
   * A RAM user changes its own password, proving it knows the current one; refused with
   * Forbidden.ChangePassword while the account's preference disallows it.
   */
  async changePassword(
    accountId: string,
    userId: string,
    oldPassword: string,
    newPassword: string,
  ): Promise<void> {
    const profile = await this.profileOf(accountId, userId);
    // SetSecurityPreference's AllowUserToChangePassword=false takes the right away, except for a
    // user whose administrator asked for a new password (PasswordResetRequired): it must choose one.
    // Checked before the old password, so a refused caller learns nothing about it.
    const preference = await this.store.getSecurityPreference(accountId);
    if (!preference.allowUserToChangePassword && !profile.passwordResetRequired) {
      throw new RamkeyError('Forbidden.ChangePassword');
    }
    if (!(await verifyPassword(oldPassword, profile.passwordHash))) {
      throw new RamkeyError('InvalidParameter.OldPassword');
    }
    const next = {
      ...profile,
      ...(await this.withNewPassword(profile, newPassword)),
      updatedAt: this.clock.now(),
    };
    // The user chose this password: a reset asked for by an administrator is done.
    next.passwordResetRequired = false;
    if (!(await this.store.updateLoginProfile(next)))
      throw new RamkeyError('EntityNotExist.User.LoginProfile');
  }

  /** The user's profile as console sign-in checks it; undefined when the user has none. */
  profile(accountId: string, userId: string): Promise<LoginProfileRecord | undefined> {
    return this.store.getLoginProfile(accountId, userId);
  }

  async getPasswordPolicy(accountId: string): Promise<PasswordPolicy> {
    return (await this.store.getPasswordPolicy(accountId)) ?? DEFAULT_PASSWORD_POLICY;
  }

  async setPasswordPolicy(accountId: string, policy: PasswordPolicy): Promise<PasswordPolicy> {
    await this.store.setPasswordPolicy(accountId, policy);
    return policy;
  }

  private async profileOf(accountId: string, userId: string): Promise<LoginProfileRecord> {
    const profile = await this.store.getLoginProfile(accountId, userId);
    if (!profile) throw new RamkeyError('EntityNotExist.User.LoginProfile');
    return profile;
  }

  private async checkAgainstPolicy(accountId: string, password: string): Promise<PasswordPolicy> {
    const policy = await this.getPasswordPolicy(accountId);
    const checked = checkPassword(policy, password);
    if (!checked.ok) throw new RamkeyError(checked.code, { params: checked.params ?? [] });
    return policy;
  }

  /** The profile's password fields after a change to `password`, refused if the policy forbids reusing it. */
  private async withNewPassword(
    profile: LoginProfileRecord,
    password: string,
  ): Promise<Pick<LoginProfileRecord, 'passwordHash' | 'previousPasswordHashes' | 'passwordChangedAt'>> {
    const policy = await this.checkAgainstPolicy(profile.accountId, password);
    const recent = [profile.passwordHash, ...profile.previousPasswordHashes].slice(
      0,
      policy.passwordReusePrevention,
    );
    for (const hash of recent) {
      if (await verifyPassword(password, hash)) {
        throw new RamkeyError('InvalidParameter.Password', {
          params: [
            `it must differ from the last ${policy.passwordReusePrevention} passwords (PasswordReusePrevention)`,
          ],
        });
      }
    }
    return {
      passwordHash: await hashPassword(password, this.random),
      previousPasswordHashes: [profile.passwordHash, ...profile.previousPasswordHashes].slice(
        0,
        MAX_PREVIOUS_HASHES,
      ),
      passwordChangedAt: this.clock.now(),
    };
  }
}

function view(userName: string, profile: LoginProfileRecord): LoginProfileView {
  return {
    userName,
    passwordResetRequired: profile.passwordResetRequired,
    mfaBindRequired: profile.mfaBindRequired,
    createdAt: profile.createdAt,
  };
}
