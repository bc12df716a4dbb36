// Console sign-in and sessions. People sign in with a login name and a console password (never an
// AccessKey), optionally an MFA code; a session is then a second kind of credential: its calls go
// through the same gate, authorization, handlers and audit trail as a signed API call.
//
// A session is a random token in an HttpOnly cookie; the database keeps only the token's SHA-256, so
// a copy of the database signs nobody in. The CSRF token is an HMAC of the session token: the page
// asks for it (same origin only) and sends it as a header, and nothing needs storing for it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import {
  isAccessKeyIdShaped,
  loginKey,
  looksLikeAccessKey,
  parseLoginName,
  type LoginName,
} from '../core/identity/login-name.js';
import { verifyPassword } from '../core/keys/password.js';
import { loginNetworkAllows } from '../core/network/login-network-masks.js';
import type { Random } from '../core/random.js';
import type { ConsoleSessionRecord, SecurityPreference, Store } from '../store/store.js';
import type { AuditTrail } from './audit-trail.js';
import type { Connection } from './gate/admission.js';
import type { IdentityService } from './identity-service.js';
import type { LoginProfileService } from './login-profile-service.js';
import { principalArn, userPrincipalName, type Principal } from './principal.js';
import type { SecretIndex } from './secret-index.js';

const HOUR_MS = 3_600_000;
/** Failed sign-ins are counted over an hour, and MaxLoginAttemps of them lock the name for an hour (as RAM does). */
const FAILURE_WINDOW_MS = HOUR_MS;
const LOCK_MS = HOUR_MS;
/** No session outlives this, however active (LoginSessionDuration is at most 24 hours too). */
const MAX_SESSION_MS = 24 * HOUR_MS;
/** Last activity is written at most this often per session: a click is not a database write. */
const TOUCH_EVERY_MS = 60_000;
/** A well-formed hash to verify against when the login name names nobody: every answer costs one scrypt. */
const DECOY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const MFA_CODE = /^\d{6}$/;
/**
 * MFAOperationForLogin=adaptive: a RAM user who passed MFA with a code from a source address within
 * this long (and since binding the device) signs in from it again without one.
 */
export const ADAPTIVE_MFA_WINDOW_MS = 30 * 24 * HOUR_MS;

/** What sign-in needs of RAM users' MFA devices. */
export interface MfaCheck {
  /** When the user's device was bound; undefined when the user has none. */
  deviceBoundAt(accountId: string, userId: string): Promise<number | undefined>;
  /** True for the current code of the user's device, once (a used code is refused afterwards). */
  verifyLoginCode(accountId: string, userId: string, code: string): Promise<boolean>;
  /** A ticket that stands in for the code for 7 days (EnableSaveMFATicket); undefined without a device. */
  issueLoginTicket(accountId: string, userId: string): Promise<string | undefined>;
  /** Whether the ticket was issued for the user's bound device and has not expired. */
  checkLoginTicket(accountId: string, userId: string, ticket: string): Promise<boolean>;
}

/**
 * How a sign-in passed MFA: not asked, a code, a ticket a code earned in this browser before, or
 * not asked because adaptive MFA knows the source address (a code passed from it lately).
 */
type MfaOutcome = 'none' | 'code' | 'ticket' | 'knownSource';

export interface SigninInput {
  readonly loginName: string;
  readonly password: string;
  readonly mfaCode?: string | undefined;
  /** The browser's MFA ticket, if it has one (a cookie). */
  readonly mfaTicket?: string | undefined;
  /** Asks for a ticket, so this browser skips the code for 7 days (when the account allows it). */
  readonly rememberMfa?: boolean | undefined;
}

/** A signed-in session, its token (for the cookie, never stored), and what to do with the MFA ticket cookie. */
export interface SigninResult {
  readonly token: string;
  readonly session: ActiveSession;
  /** A new MFA ticket for the browser to keep (the page asked to remember MFA, and the account allows it). */
  readonly newMfaTicket?: string | undefined;
  /** The browser's MFA ticket no longer works (expired, another user's, the device changed): drop it. */
  readonly forgetMfaTicket: boolean;
}

/** Where a sign-in or a console call came from, for the audit trail. */
export interface ConsoleRequestInfo {
  readonly requestId: string;
  readonly host: string;
  readonly connection: Connection;
}

/** A session as the page sees it (GET /console/api/session). */
export interface SessionView {
  readonly Principal: {
    readonly Type: 'root-account' | 'ram-user';
    readonly AccountId: string;
    readonly UserName: string;
    readonly UserId?: string;
    readonly LoginName: string;
    readonly Arn: string;
  };
  readonly CsrfToken: string;
  readonly IdleTimeoutSeconds: number;
  readonly PasswordResetRequired: boolean;
}

/** A live session: who it signs in, and how the page sees it. */
export interface ActiveSession {
  readonly record: ConsoleSessionRecord;
  readonly principal: Principal;
  readonly view: SessionView;
}

export class ConsoleSessions {
  constructor(
    private readonly store: Store,
    private readonly identity: IdentityService,
    private readonly loginProfiles: LoginProfileService,
    private readonly preferences: (accountId: string) => Promise<SecurityPreference>,
    private readonly mfa: MfaCheck,
    private readonly audit: AuditTrail,
    private readonly secrets: SecretIndex,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /**
   * Signs a person in: returns the new session's token (for the cookie, never stored) and the
   * session. Every outcome, success or not, is a ConsoleSignin event.
   */
  async signIn(input: SigninInput, info: ConsoleRequestInfo): Promise<SigninResult> {
    const at = this.clock.now();
    // A key typed into the form is refused before anything else, and its event keeps none of it.
    if (looksLikeAccessKey(input.loginName) || this.isAccessKey(input.password)) {
      const error = new RamkeyError('InvalidParameter.SigninWithAccessKey');
      this.recordSignin(info, at, undefined, {}, error);
      throw error;
    }
    const name = parseLoginName(input.loginName);
    const parameters = { LoginName: input.loginName.trim() };
    const principal = name && (await this.principalOf(name));
    if (!name || !principal) {
      // The same answer, after the same work, as a wrong password.
      await verifyPassword(input.password, DECOY_HASH);
      return this.refuse(info, at, undefined, parameters, new RamkeyError('SigninFailed'));
    }
    const key = loginKey(name);
    const failures = await this.store.getSigninFailures(key);
    if (failures && failures.lockedUntil > at) {
      const minutes = String(Math.ceil((failures.lockedUntil - at) / 60_000));
      return this.refuse(
        info,
        at,
        principal,
        parameters,
        new RamkeyError('SigninLocked', { params: [minutes] }),
      );
    }
    const preference = await this.preferences(principal.accountId);
    if (
      principal.kind === 'user' &&
      !loginNetworkAllows(preference.loginNetworkMasks, info.connection.sourceIp)
    ) {
      const error = new RamkeyError('Forbidden.LoginNetworkMask', { params: [info.connection.sourceIp] });
      return this.refuse(info, at, principal, parameters, error);
    }
    const credentials = await this.credentialsOf(principal);
    if (!credentials || !(await verifyPassword(input.password, credentials.passwordHash))) {
      return this.fail(info, at, principal, key, parameters, new RamkeyError('SigninFailed'));
    }
    const mfa = await this.checkMfa(principal, preference, input, credentials.mfaBindRequired, info);
    if (mfa instanceof RamkeyError) {
      // Asking for the code is no failure; a wrong code is one.
      return mfa.code === 'InvalidMFACode'
        ? this.fail(info, at, principal, key, parameters, mfa)
        : this.refuse(info, at, principal, parameters, mfa);
    }
    const mfaPresent = mfa === 'code' || mfa === 'ticket';
    const policy = await this.loginProfiles.getPasswordPolicy(principal.accountId);
    const expired =
      principal.kind === 'user' &&
      policy.maxPasswordAge > 0 &&
      at - credentials.passwordChangedAt > policy.maxPasswordAge * 24 * HOUR_MS;
    if (expired && policy.hardExpiry) {
      return this.refuse(info, at, principal, parameters, new RamkeyError('PasswordExpired'));
    }
    if (failures) await this.store.clearSigninFailures(key);
    const token = this.random.bytes(32).toString('base64url');
    const record: ConsoleSessionRecord = {
      tokenHash: hashToken(token),
      sessionId: `cs-${this.random.bytes(12).toString('hex')}`,
      accountId: principal.accountId,
      userId: principal.kind === 'user' ? principal.userId : undefined,
      mfaPresent,
      createdAt: at,
      lastSeenAt: at,
      passwordVerifiedAt: at,
    };
    await this.store.createConsoleSession(record);
    if (mfa === 'code' && principal.kind === 'user') {
      // Only a code makes a source address known: a ticket may have travelled.
      await this.store.recordMfaSource(principal.accountId, principal.userId, info.connection.sourceIp, at);
    }
    const ticket =
      mfa === 'code' &&
      input.rememberMfa === true &&
      preference.enableSaveMFATicket &&
      principal.kind === 'user'
        ? await this.mfa.issueLoginTicket(principal.accountId, principal.userId)
        : undefined;
    this.recordSignin(info, at, principal, {
      ...parameters,
      MFAUsed: mfaPresent ? 'true' : 'false',
      ...(mfa === 'ticket' && { MFATicket: 'used' }),
      ...(ticket !== undefined && { MFATicket: 'issued' }),
      ...(mfa === 'knownSource' && { MFASkipped: 'KnownSourceIp' }),
    });
    const resetRequired = credentials.passwordResetRequired || expired;
    return {
      token,
      session: this.active(record, principal, token, preference, resetRequired),
      newMfaTicket: ticket,
      // A ticket the browser sent that this user's sign-in could not use (a code was needed after all).
      forgetMfaTicket: ticket === undefined && mfa === 'code' && input.mfaTicket !== undefined,
    };
  }

  /**
   * The live session the token names, its last activity moved to now; undefined when there is none
   * (never was, signed out, idle too long, its principal or password gone or changed, or the
   * address now outside the sign-in network masks).
   */
  async resume(token: string | undefined, sourceIp: string): Promise<ActiveSession | undefined> {
    if (!token) return undefined;
    const tokenHash = hashToken(token);
    const record = await this.store.getConsoleSession(tokenHash);
    if (!record) return undefined;
    const at = this.clock.now();
    const preference = await this.preferences(record.accountId);
    const idle = at - record.lastSeenAt > preference.loginSessionDuration * HOUR_MS;
    const principal = !idle && at - record.createdAt <= MAX_SESSION_MS && (await this.livePrincipal(record));
    if (!principal) {
      await this.store.deleteConsoleSession(tokenHash);
      return undefined;
    }
    const credentials = await this.credentialsOf(principal);
    // A password set since the session last proved it knew one (an administrator's reset, or a
    // change made elsewhere) ends the session.
    if (!credentials || credentials.passwordChangedAt > record.passwordVerifiedAt) {
      await this.store.deleteConsoleSession(tokenHash);
      return undefined;
    }
    if (principal.kind === 'user' && !loginNetworkAllows(preference.loginNetworkMasks, sourceIp))
      return undefined;
    if (at - record.lastSeenAt >= TOUCH_EVERY_MS) await this.store.touchConsoleSession(tokenHash, at);
    return this.active(record, principal, token, preference, credentials.passwordResetRequired);
  }

  /** Ends the session (ConsoleSignout). */
  async signOut(token: string, session: ActiveSession, info: ConsoleRequestInfo): Promise<void> {
    await this.store.deleteConsoleSession(hashToken(token));
    this.audit.recordSignin({
      eventType: 'ConsoleSignout',
      at: this.clock.now(),
      principal: session.principal,
      requestId: info.requestId,
      host: info.host,
      connection: info.connection,
      parameters: {},
    });
  }

  /** Whether `presented` is the session's CSRF token (constant time). */
  checkCsrf(token: string, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const expected = Buffer.from(csrfOf(token));
    const actual = Buffer.from(presented);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /**
   * Deletes sessions idle for longer than any session may live, and source addresses adaptive MFA
   * no longer counts as known (the background jobs run it). Returns how many rows went.
   */
  async purgeExpired(): Promise<number> {
    const now = this.clock.now();
    const sessions = await this.store.purgeConsoleSessions(now - MAX_SESSION_MS);
    return sessions + (await this.store.purgeMfaSources(now - ADAPTIVE_MFA_WINDOW_MS));
  }

  private isAccessKey(password: string): boolean {
    return isAccessKeyIdShaped(password) || this.secrets.masker().isSecret(password);
  }

  /** The principal a login name names, if it exists (a RAM user in the recycle bin does not). */
  private async principalOf(name: LoginName): Promise<Principal | undefined> {
    if (name.kind === 'root') {
      const account = await this.store.getAccount(name.accountId);
      return account && { kind: 'root', accountId: account.accountId };
    }
    const user = await this.identity.getUser(name.accountId, name.userName).catch(() => undefined);
    return user && { kind: 'user', accountId: user.accountId, userId: user.userId, userName: user.userName };
  }

  private async livePrincipal(record: ConsoleSessionRecord): Promise<Principal | undefined> {
    if (record.userId === undefined) return { kind: 'root', accountId: record.accountId };
    const userName = await this.identity.userNameById(record.accountId, record.userId);
    return userName === undefined
      ? undefined
      : { kind: 'user', accountId: record.accountId, userId: record.userId, userName };
  }

  /**
   * What a principal signs in with: the account's password for root, the login profile for a user
   * (none: the user cannot sign in). Root has no reset, MFA binding or password age here.
   */
  private async credentialsOf(principal: Principal): Promise<
    | {
        passwordHash: string;
        passwordResetRequired: boolean;
        mfaBindRequired: boolean;
        passwordChangedAt: number;
      }
    | undefined
  > {
    if (principal.kind === 'root') {
      const account = await this.store.getAccount(principal.accountId);
      return (
        account && {
          passwordHash: account.passwordHash,
          passwordResetRequired: false,
          mfaBindRequired: false,
          passwordChangedAt: 0,
        }
      );
    }
    return this.loginProfiles.profile(principal.accountId, principal.userId);
  }

  /**
   * After the session's own ChangePassword succeeded (which proved the old password): the session
   * goes on, whereas other sessions of the user end at their next call.
   */
  async passwordChangedBySession(token: string): Promise<void> {
    await this.store.setConsoleSessionPasswordVerifiedAt(hashToken(token), this.clock.now());
  }

  /**
   * How the sign-in passed MFA (not asked, a code, a ticket when the account lets browsers remember
   * MFA, or a known source address under adaptive MFA), or the refusal (code required, wrong code,
   * device required but none bound). RAM users only.
   */
  private async checkMfa(
    principal: Principal,
    preference: SecurityPreference,
    input: SigninInput,
    bindRequired: boolean,
    info: ConsoleRequestInfo,
  ): Promise<MfaOutcome | RamkeyError> {
    if (principal.kind === 'root') return 'none';
    const { accountId, userId } = principal;
    const boundAt = await this.mfa.deviceBoundAt(accountId, userId);
    if (boundAt === undefined) {
      const required = bindRequired || preference.mfaOperationForLogin === 'mandatory';
      return required ? new RamkeyError('MFADeviceRequired') : 'none';
    }
    const { mfaCode: code, mfaTicket: ticket } = input;
    if (preference.enableSaveMFATicket && ticket !== undefined) {
      if (await this.mfa.checkLoginTicket(accountId, userId, ticket)) return 'ticket';
    }
    const noCode = code === undefined || code === '';
    if (noCode && preference.mfaOperationForLogin === 'adaptive') {
      // Unusual means: no code passed from this address since the device was bound, or lately.
      const verifiedAt = await this.store.getMfaSourceVerifiedAt(accountId, userId, info.connection.sourceIp);
      const since = Math.max(boundAt, this.clock.now() - ADAPTIVE_MFA_WINDOW_MS);
      if (verifiedAt !== undefined && verifiedAt >= since) return 'knownSource';
    }
    if (noCode) {
      // The page offers "remember this browser" only where the account allows it.
      return new RamkeyError('MFACodeRequired', {
        extra: { SaveMFATicketAllowed: preference.enableSaveMFATicket },
      });
    }
    if (!MFA_CODE.test(code)) return new RamkeyError('InvalidMFACode');
    const valid = await this.mfa.verifyLoginCode(accountId, userId, code);
    return valid ? 'code' : new RamkeyError('InvalidMFACode');
  }

  private active(
    record: ConsoleSessionRecord,
    principal: Principal,
    token: string,
    preference: SecurityPreference,
    passwordResetRequired: boolean,
  ): ActiveSession {
    const isRoot = principal.kind === 'root';
    return {
      record,
      principal,
      view: {
        Principal: {
          Type: isRoot ? 'root-account' : 'ram-user',
          AccountId: principal.accountId,
          UserName: isRoot ? 'root' : principal.userName,
          ...(!isRoot && { UserId: principal.userId }),
          LoginName: isRoot
            ? `root@${principal.accountId}`
            : userPrincipalName(principal.accountId, principal.userName),
          Arn: principalArn(principal),
        },
        CsrfToken: csrfOf(token),
        IdleTimeoutSeconds: preference.loginSessionDuration * 3600,
        PasswordResetRequired: passwordResetRequired,
      },
    };
  }

  /** A refusal that counts against the login name (a wrong password or MFA code). */
  private async fail(
    info: ConsoleRequestInfo,
    at: number,
    principal: Principal,
    key: string,
    parameters: Record<string, string>,
    error: RamkeyError,
  ): Promise<never> {
    const policy = await this.loginProfiles.getPasswordPolicy(principal.accountId);
    await this.store.recordSigninFailure(principal.accountId, key, at, {
      windowMs: FAILURE_WINDOW_MS,
      maxFailures: policy.maxLoginAttempts,
      lockMs: LOCK_MS,
    });
    return this.refuse(info, at, principal, parameters, error);
  }

  private refuse(
    info: ConsoleRequestInfo,
    at: number,
    principal: Principal | undefined,
    parameters: Record<string, string>,
    error: RamkeyError,
  ): never {
    this.recordSignin(info, at, principal, parameters, error);
    throw error;
  }

  private recordSignin(
    info: ConsoleRequestInfo,
    at: number,
    principal: Principal | undefined,
    parameters: Record<string, string>,
    error?: RamkeyError,
  ): void {
    this.audit.recordSignin({
      eventType: 'ConsoleSignin',
      at,
      principal,
      requestId: info.requestId,
      host: info.host,
      connection: info.connection,
      parameters,
      error: error && { code: error.code, message: error.message },
    });
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function csrfOf(token: string): string {
  return createHmac('sha256', token).update('ramkey-console-csrf').digest('base64url');
}
