// Console sign-in and sessions over HTTP, as the console page uses them: the cookie's flags, CSRF,
// calls through the same gate and authorization as the API (a RAM user gets exactly its policies),
// AccessKeys refused at the form, lockout, idle timeout, password age and changes, and the audit
// trail's ConsoleSignin / ConsoleOperation / ConsoleSignout events. In process, SQLite and PostgreSQL.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { base32Decode, totpCode, totpStep } from '../../src/core/identity/totp.js';
import { ACTIONTRAIL, ConsoleClient, RAM } from '../support/console-client.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { clients, ImsModule, RamModule, type Key } from '../support/sdk.js';
import { describePostgres, describeSqlite, type Engine } from '../support/test-stores.js';

const HOUR = 3_600_000;

/** The code an authenticator app shows `steps` steps from `nowMs`. */
function codeOf(seedBase32: string, nowMs: number, steps = 0): string {
  const seed = base32Decode(seedBase32);
  if (seed === undefined) throw new Error('the seed is not Base32');
  return totpCode(seed, totpStep(nowMs) + steps);
}

function consoleSuite(engine: Engine) {
  let server: RunningApp;

  beforeAll(async () => {
    // The tests' own address is a trusted proxy, so a browser's X-Forwarded-For sets its source address.
    server = await startApp({ engine, trustProxy: ['127.0.0.1'] });
  });

  afterAll(async () => {
    await server.stop();
  });

  /** A fresh account: its root sign-in, its admin's SDK client, and RAM users with passwords. */
  async function tenant() {
    const credentials = await server.createAccount();
    const admin: Key = { id: credentials.accessKeyId, secret: credentials.accessKeySecret };
    const { ram, ims } = clients(server.endpoint, admin, 'v3');
    const userWithPassword = async (userName: string, password: string, policy?: string) => {
      await ram.createUser(new RamModule.CreateUserRequest({ userName }));
      await ram.createLoginProfile(new RamModule.CreateLoginProfileRequest({ userName, password }));
      if (policy) {
        await ram.attachPolicyToUser(
          new RamModule.AttachPolicyToUserRequest({ policyType: 'System', policyName: policy, userName }),
        );
      }
      return `${userName}@${credentials.accountId}.onaliyun.com`;
    };
    return { credentials, admin, ram, ims, userWithPassword };
  }

  /** Creates a virtual MFA device and binds it to the user with two codes of now; its Base32 seed. */
  async function bindDevice(ram: ReturnType<typeof clients>['ram'], userName: string): Promise<string> {
    const device = (
      await ram.createVirtualMFADevice(
        new RamModule.CreateVirtualMFADeviceRequest({ virtualMFADeviceName: `${userName}-phone` }),
      )
    ).body?.virtualMFADevice;
    const seed = device?.base32StringSeed ?? '';
    const now = server.clock.now();
    await ram.bindMFADevice(
      new RamModule.BindMFADeviceRequest({
        userName,
        serialNumber: device?.serialNumber ?? '',
        authenticationCode1: codeOf(seed, now, -1),
        authenticationCode2: codeOf(seed, now),
      }),
    );
    return seed;
  }

  /**
   * Codes for MFA tests: each `nextCode` comes from a time step no sign-in used yet (the server's
   * clock moves a minute a code); `restore` moves the clock back by everything moved.
   */
  function codeClock(seed: string) {
    let moved = 0;
    const move = (ms: number) => {
      server.clock.advance(ms);
      moved += ms;
    };
    return {
      move,
      nextCode: () => {
        move(60_000);
        return codeOf(seed, server.clock.now());
      },
      restore: () => {
        server.clock.advance(-moved);
        moved = 0;
      },
    };
  }

  /** Unbinds the user's device and binds the same one again, three minutes on (its codes then). */
  async function rebindDevice(
    ram: ReturnType<typeof clients>['ram'],
    accountId: string,
    userName: string,
    seed: string,
    move: (ms: number) => void,
  ): Promise<void> {
    await ram.unbindMFADevice(new RamModule.UnbindMFADeviceRequest({ userName }));
    move(180_000);
    const now = server.clock.now();
    await ram.bindMFADevice(
      new RamModule.BindMFADeviceRequest({
        userName,
        serialNumber: `acs:ram::${accountId}:mfa/${userName}-phone`,
        authenticationCode1: codeOf(seed, now, -1),
        authenticationCode2: codeOf(seed, now),
      }),
    );
  }

  /** Lets the users call ram:ListUsers only from a session with acs:MFAPresent. */
  async function allowListUsersWithMfa(
    ram: ReturnType<typeof clients>['ram'],
    userNames: readonly string[],
  ): Promise<void> {
    await ram.createPolicy(
      new RamModule.CreatePolicyRequest({
        policyName: 'ListUsersWithMFA',
        policyDocument: JSON.stringify({
          Version: '1',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'ram:ListUsers',
              Resource: '*',
              Condition: { Bool: { 'acs:MFAPresent': 'true' } },
            },
          ],
        }),
      }),
    );
    for (const userName of userNames) {
      await ram.attachPolicyToUser(
        new RamModule.AttachPolicyToUserRequest({
          policyType: 'Custom',
          policyName: 'ListUsersWithMFA',
          userName,
        }),
      );
    }
  }

  /** The account's events of one type, newest first. */
  async function eventsOf(browser: ConsoleClient, eventType: string): Promise<Record<string, unknown>[]> {
    await server.flush();
    const answer = await browser.rpc('LookupEvents', ACTIONTRAIL, { MaxResults: '50' });
    expect(answer.status).toBe(200);
    return (answer.body.Events as Record<string, unknown>[]).filter((e) => e.eventType === eventType);
  }

  it('signs the account in with a Strict, HttpOnly cookie and serves calls as root', async () => {
    const { credentials } = await tenant();
    const browser = new ConsoleClient(server.endpoint);
    const signin = await browser.signIn(credentials.loginName, credentials.password);
    expect(signin.status).toBe(200);
    const cookie = signin.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^ramkey_console=[\w-]{40,}; Path=\/console; HttpOnly; SameSite=Strict$/);
    expect(signin.headers.get('cache-control')).toBe('no-store');
    expect(signin.body.Session).toMatchObject({
      Principal: {
        Type: 'root-account',
        AccountId: credentials.accountId,
        UserName: 'root',
        LoginName: `root@${credentials.accountId}`,
        Arn: `acs:ram::${credentials.accountId}:root`,
      },
      IdleTimeoutSeconds: 6 * 3600,
      PasswordResetRequired: false,
    });
    // The token is in the cookie only: the page gets the CSRF token, which is not the cookie's value.
    expect(JSON.stringify(signin.body)).not.toContain(browser.cookie?.split('=')[1]);

    const session = await browser.session();
    expect(session.status).toBe(200);
    expect((session.body.Session as { CsrfToken: string }).CsrfToken).toBe(browser.csrf);

    const created = await browser.rpc('CreateUser', RAM, { UserName: 'made-in-console' });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ User: { UserName: 'made-in-console' } });
    const listed = await browser.rpc('ListUsers', RAM);
    const names = (listed.body.Users as { User: { UserName: string }[] }).User.map((u) => u.UserName);
    expect(names).toContain('made-in-console');
  });

  it('refuses calls without the CSRF token, from another origin, or without a session', async () => {
    const { credentials } = await tenant();
    const browser = new ConsoleClient(server.endpoint);
    await browser.signIn(credentials.loginName, credentials.password);

    const noToken = await browser.rpc('ListUsers', RAM, {}, { csrf: null });
    expect(noToken.status).toBe(403);
    expect(noToken.body.Code).toBe('InvalidCsrfToken');
    const wrongToken = await browser.rpc('ListUsers', RAM, {}, { csrf: `${browser.csrf ?? ''}x` });
    expect(wrongToken.body.Code).toBe('InvalidCsrfToken');
    const elsewhere = await browser.rpc('ListUsers', RAM, {}, { origin: 'https://evil.example' });
    expect(elsewhere.body.Code).toBe('InvalidCsrfToken');

    const stranger = new ConsoleClient(server.endpoint);
    const none = await stranger.rpc('ListUsers', RAM, {}, { csrf: browser.csrf ?? '' });
    expect(none.status).toBe(401);
    expect(none.body.Code).toBe('ConsoleSessionRequired');
    const forged = await stranger.request('/console/api/signin', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: stranger.origin },
      body: JSON.stringify({ LoginName: credentials.loginName, Password: credentials.password }),
    });
    expect(forged.body.Code).toBe('InvalidParameter.ContentType');
    const crossSite = await stranger.request('/console/api/signin', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ LoginName: credentials.loginName, Password: credentials.password }),
    });
    expect(crossSite.body.Code).toBe('InvalidCsrfToken');
    expect(crossSite.headers.get('set-cookie')).toBeNull();
  });

  it('signs out: the session ends and its cookie is cleared', async () => {
    const { credentials } = await tenant();
    const browser = new ConsoleClient(server.endpoint);
    await browser.signIn(credentials.loginName, credentials.password);
    const out = await browser.signOut();
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await browser.session()).body.Code).toBe('ConsoleSessionRequired');
    expect((await browser.rpc('ListUsers', RAM)).status).toBe(401);
  });

  it('signs a RAM user in, who can do exactly what its policies allow', async () => {
    const { userWithPassword, credentials } = await tenant();
    const reader = await userWithPassword('reader', 'Reader-password-1', 'ReadOnlyAccess');
    const browser = new ConsoleClient(server.endpoint);
    const signin = await browser.signIn(reader, 'Reader-password-1');
    expect(signin.status).toBe(200);
    expect(signin.body.Session).toMatchObject({
      Principal: { Type: 'ram-user', UserName: 'reader', LoginName: reader },
    });
    expect((await browser.rpc('ListUsers', RAM)).status).toBe(200);
    const write = await browser.rpc('CreateUser', RAM, { UserName: 'not-allowed' });
    expect(write.status).toBe(403);
    expect(write.body.Code).toBe('NoPermission');
    expect(write.body.AccessDeniedDetail).toMatchObject({
      AuthAction: 'ram:CreateUser',
      AuthPrincipalType: 'SubUser',
      AuthPrincipalDisplayName: 'reader',
      NoPermissionType: 'ImplicitDeny',
    });

    // A user without a login profile cannot sign in at all.
    const nobody = new ConsoleClient(server.endpoint);
    expect((await nobody.signIn(`admin@${credentials.accountId}.onaliyun.com`, 'x')).body.Code).toBe(
      'SigninFailed',
    );
  });

  it("keeps each account's data to itself", async () => {
    const mine = await tenant();
    const theirs = await tenant();
    await theirs.ram.createUser(new RamModule.CreateUserRequest({ userName: 'their-user' }));
    const browser = new ConsoleClient(server.endpoint);
    await browser.signIn(mine.credentials.loginName, mine.credentials.password);
    const got = await browser.rpc('GetUser', RAM, { UserName: 'their-user' });
    expect(got.body.Code).toBe('EntityNotExist.User');
    const listed = await browser.rpc('ListUsers', RAM);
    expect(JSON.stringify(listed.body)).not.toContain('their-user');
  });

  it('refuses an AccessKey typed into the form, saying keys are for programs', async () => {
    const { credentials } = await tenant();
    const browser = new ConsoleClient(server.endpoint);
    for (const [loginName, password] of [
      [credentials.accessKeyId, credentials.accessKeySecret],
      [credentials.loginName, credentials.accessKeySecret],
      [credentials.accessKeySecret, 'whatever'],
      [credentials.loginName, credentials.accessKeyId],
    ] as const) {
      const answer = await browser.signIn(loginName, password);
      expect(answer.status).toBe(400);
      expect(answer.body.Code).toBe('InvalidParameter.SigninWithAccessKey');
      expect(answer.body.Message).toMatch(/AccessKeys are for programs, not for signing in/);
      expect(answer.headers.get('set-cookie')).toBeNull();
    }
    // The attempts are audited without the key's secret.
    await browser.signIn(credentials.loginName, credentials.password);
    const events = await eventsOf(browser, 'ConsoleSignin');
    const refused = events.filter((e) => e.errorCode === 'InvalidParameter.SigninWithAccessKey');
    expect(JSON.stringify(refused)).not.toContain(credentials.accessKeySecret);
    expect(server.logs.join('\n')).not.toContain(credentials.accessKeySecret);
  });

  it('answers a wrong password and an unknown name alike, and locks the name after MaxLoginAttemps', async () => {
    const { userWithPassword, ram, credentials } = await tenant();
    await ram.setPasswordPolicy(new RamModule.SetPasswordPolicyRequest({ maxLoginAttemps: 3 }));
    const carol = await userWithPassword('carol', 'Carol-password-1');
    const browser = new ConsoleClient(server.endpoint);
    const wrong = await browser.signIn(carol, 'not-her-password');
    const unknown = await browser.signIn(`nobody@${credentials.accountId}.onaliyun.com`, 'whatever');
    expect(wrong.status).toBe(401);
    expect(wrong.body.Code).toBe('SigninFailed');
    expect(unknown.body).toMatchObject({ Code: 'SigninFailed', Message: wrong.body.Message });

    await browser.signIn(carol, 'not-her-password');
    await browser.signIn(carol.toUpperCase().replace('.ONALIYUN.COM', '.onaliyun.com'), 'still-not');
    const locked = await browser.signIn(carol, 'Carol-password-1');
    expect(locked.status).toBe(429);
    expect(locked.body.Code).toBe('SigninLocked');
    expect(locked.body.Message).toMatch(/try again in 60 minutes/);

    server.clock.advance(HOUR + 1000);
    try {
      expect((await browser.signIn(carol, 'Carol-password-1')).status).toBe(200);
    } finally {
      server.clock.advance(-(HOUR + 1000));
    }
  });

  it('ends a session idle for LoginSessionDuration, and one whose password was reset', async () => {
    const { userWithPassword, ram } = await tenant();
    const dave = await userWithPassword('dave', 'Dave-password-1');
    const idle = new ConsoleClient(server.endpoint);
    await idle.signIn(dave, 'Dave-password-1');
    const reset = new ConsoleClient(server.endpoint);
    await reset.signIn(dave, 'Dave-password-1');

    server.clock.advance(6 * HOUR - 60_000);
    try {
      expect((await reset.session()).status).toBe(200);
      server.clock.advance(2 * 60_000);
      // Idle six hours: gone. The other was used a minute before, so it lives on.
      expect((await idle.session()).body.Code).toBe('ConsoleSessionRequired');
      expect((await reset.session()).status).toBe(200);
    } finally {
      server.clock.advance(-(6 * HOUR + 60_000));
    }
    server.clock.advance(1000);
    await ram.updateLoginProfile(
      new RamModule.UpdateLoginProfileRequest({ userName: 'dave', password: 'Dave-password-2' }),
    );
    expect((await reset.session()).body.Code).toBe('ConsoleSessionRequired');
  });

  it("asks for a new password when required, and the user's own change keeps the session", async () => {
    const { ram, credentials } = await tenant();
    await ram.createUser(new RamModule.CreateUserRequest({ userName: 'erin' }));
    await ram.createLoginProfile(
      new RamModule.CreateLoginProfileRequest({
        userName: 'erin',
        password: 'Erin-password-1',
        passwordResetRequired: true,
      }),
    );
    const erin = `erin@${credentials.accountId}.onaliyun.com`;
    const browser = new ConsoleClient(server.endpoint);
    const signin = await browser.signIn(erin, 'Erin-password-1');
    expect(signin.body.Session).toMatchObject({ PasswordResetRequired: true });
    const other = new ConsoleClient(server.endpoint);
    await other.signIn(erin, 'Erin-password-1');

    const changed = await browser.rpc('ChangePassword', RAM, {
      OldPassword: 'Erin-password-1',
      NewPassword: 'Erin-password-2',
    });
    expect(changed.status).toBe(200);
    const after = await browser.session();
    expect(after.body.Session).toMatchObject({ PasswordResetRequired: false });
    expect((await other.session()).body.Code).toBe('ConsoleSessionRequired');
    expect((await new ConsoleClient(server.endpoint).signIn(erin, 'Erin-password-2')).status).toBe(200);
  });

  it('enforces MaxPasswordAge: a reset when soft, a refusal with HardExpiry', async () => {
    const { userWithPassword, ram } = await tenant();
    const fay = await userWithPassword('fay', 'Fay-password-1');
    await ram.setPasswordPolicy(new RamModule.SetPasswordPolicyRequest({ maxPasswordAge: 1 }));
    server.clock.advance(25 * HOUR);
    try {
      const soft = await new ConsoleClient(server.endpoint).signIn(fay, 'Fay-password-1');
      expect(soft.body.Session).toMatchObject({ PasswordResetRequired: true });
    } finally {
      server.clock.advance(-25 * HOUR);
    }
    await ram.setPasswordPolicy(
      new RamModule.SetPasswordPolicyRequest({ maxPasswordAge: 1, hardExpiry: true }),
    );
    server.clock.advance(25 * HOUR);
    try {
      const hard = await new ConsoleClient(server.endpoint).signIn(fay, 'Fay-password-1');
      expect(hard.status).toBe(403);
      expect(hard.body.Code).toBe('PasswordExpired');
    } finally {
      server.clock.advance(-25 * HOUR);
    }
  });

  it('asks a user with an MFA device for its code, accepts each code once, says MFAUsed and sets acs:MFAPresent', async () => {
    const { userWithPassword, ram, credentials } = await tenant();
    const gus = await userWithPassword('gus', 'Gus-password-1');
    const now = server.clock.now();
    const seed = await bindDevice(ram, 'gus');
    const browser = new ConsoleClient(server.endpoint);
    const asked = await browser.signIn(gus, 'Gus-password-1');
    expect(asked.status).toBe(401);
    expect(asked.body.Code).toBe('MFACodeRequired');
    expect(asked.headers.get('set-cookie')).toBeNull();
    // A wrong code, and the code the device was bound with, are refused.
    const wrong = codeOf(seed, now, 5);
    expect((await browser.signIn(gus, 'Gus-password-1', wrong)).body.Code).toBe('InvalidMFACode');
    expect((await browser.signIn(gus, 'Gus-password-1', codeOf(seed, now))).body.Code).toBe('InvalidMFACode');
    // The right password is still needed with a right code.
    const next = codeOf(seed, now, 1);
    expect((await browser.signIn(gus, 'not-it', next)).body.Code).toBe('SigninFailed');
    const signin = await browser.signIn(gus, 'Gus-password-1', next);
    expect(signin.status).toBe(200);

    // acs:MFAPresent is true for the session that passed MFA, and false for one that did not.
    const jo = await userWithPassword('jo', 'Jo-password-1');
    await allowListUsersWithMfa(ram, ['gus', 'jo']);
    expect((await browser.rpc('ListUsers', RAM)).status).toBe(200);
    const withoutMfa = new ConsoleClient(server.endpoint);
    await withoutMfa.signIn(jo, 'Jo-password-1');
    expect((await withoutMfa.rpc('ListUsers', RAM)).body.Code).toBe('NoPermission');
    expect((await new ConsoleClient(server.endpoint).signIn(gus, 'Gus-password-1', next)).body.Code).toBe(
      'InvalidMFACode',
    );
    const root = new ConsoleClient(server.endpoint);
    await root.signIn(credentials.loginName, credentials.password);
    const events = (await eventsOf(root, 'ConsoleSignin')).filter(
      (e) => (e.userIdentity as { userName: string }).userName === 'gus',
    );
    expect(events.find((e) => e.errorCode === undefined)).toMatchObject({
      requestParameters: { LoginName: gus, MFAUsed: 'true' },
    });
    expect(events.map((e) => e.errorCode)).toContain('InvalidMFACode');
    expect(JSON.stringify(events)).not.toContain(next);
  });

  it('lets a browser skip the MFA code for 7 days when EnableSaveMFATicket allows it, for that user and device only', async () => {
    const { userWithPassword, ram, credentials } = await tenant();
    const kim = await userWithPassword('kim', 'Kim-password-1');
    const lee = await userWithPassword('lee', 'Lee-password-1');
    const kimSeed = await bindDevice(ram, 'kim');
    await bindDevice(ram, 'lee');
    const { move, nextCode, restore } = codeClock(kimSeed);
    const preference = (enableSaveMFATicket: boolean) =>
      ram.setSecurityPreference(new RamModule.SetSecurityPreferenceRequest({ enableSaveMFATicket }));
    try {
      // Not allowed (the default): the page is told so, and asking to remember gives no ticket.
      const browser = new ConsoleClient(server.endpoint);
      const asked = await browser.signIn(kim, 'Kim-password-1');
      expect(asked.body).toMatchObject({ Code: 'MFACodeRequired', SaveMFATicketAllowed: false });
      const plain = await browser.signIn(kim, 'Kim-password-1', nextCode(), { rememberMfa: true });
      expect(plain.status).toBe(200);
      expect(plain.headers.getSetCookie()).toHaveLength(1);
      expect(browser.mfaTicket).toBeUndefined();

      await preference(true);
      expect((await browser.signIn(kim, 'Kim-password-1')).body).toMatchObject({
        Code: 'MFACodeRequired',
        SaveMFATicketAllowed: true,
      });
      // A code without asking to remember gives no ticket either.
      await browser.signIn(kim, 'Kim-password-1', nextCode());
      expect(browser.mfaTicket).toBeUndefined();
      const remembered = await browser.signIn(kim, 'Kim-password-1', nextCode(), { rememberMfa: true });
      expect(remembered.status).toBe(200);
      const ticketCookie = remembered.headers.getSetCookie()[1] ?? '';
      expect(ticketCookie).toMatch(
        /^ramkey_mfa_ticket=\d+\.[\w-]{43}; Path=\/console\/api\/signin; HttpOnly; SameSite=Strict; Max-Age=604800$/,
      );
      expect(JSON.stringify(remembered.body)).not.toContain(browser.mfaTicket?.split('=')[1]);

      // The ticket stands in for the code, not for the password; the session has MFA present.
      await browser.signOut();
      expect((await browser.signIn(kim, 'Kim-password-1!')).body.Code).toBe('SigninFailed');
      const skipped = await browser.signIn(kim, 'Kim-password-1');
      expect(skipped.status).toBe(200);
      expect(browser.mfaTicket).toBeDefined();

      // It is kim's: lee, in the same browser, is asked for a code; a tampered ticket is nothing.
      const kimTicket = browser.mfaTicket ?? '';
      expect((await browser.signIn(lee, 'Lee-password-1')).body.Code).toBe('MFACodeRequired');
      // (The MAC's first character: the last one's low bits are dropped by Base64 decoding.)
      browser.mfaTicket = kimTicket.replace(/\.(.)/, (_, c: string) => (c === 'A' ? '.B' : '.A'));
      expect((await browser.signIn(kim, 'Kim-password-1')).body.Code).toBe('MFACodeRequired');
      browser.mfaTicket = kimTicket;

      // Switched off, tickets stop working at once (and come back if it is switched on again).
      await preference(false);
      expect((await browser.signIn(kim, 'Kim-password-1')).body.Code).toBe('MFACodeRequired');
      await preference(true);
      expect((await browser.signIn(kim, 'Kim-password-1')).status).toBe(200);

      // Unbinding the device ends its tickets, even when the same device is bound again.
      await rebindDevice(ram, credentials.accountId, 'kim', kimSeed, move);
      expect((await browser.signIn(kim, 'Kim-password-1')).body.Code).toBe('MFACodeRequired');

      // Seven days after a ticket is given, a code again; signing in with it drops the dead ticket.
      await browser.signIn(kim, 'Kim-password-1', nextCode(), { rememberMfa: true });
      expect((await browser.signIn(kim, 'Kim-password-1')).status).toBe(200);
      move(7 * 24 * HOUR);
      expect((await browser.signIn(kim, 'Kim-password-1')).body.Code).toBe('MFACodeRequired');
      const afterWeek = await browser.signIn(kim, 'Kim-password-1', nextCode());
      expect(afterWeek.status).toBe(200);
      expect(afterWeek.headers.getSetCookie()[1]).toMatch(
        /^ramkey_mfa_ticket=; Path=\/console\/api\/signin; HttpOnly; SameSite=Strict; Max-Age=0$/,
      );
      expect(browser.mfaTicket).toBeUndefined();
      move(-7 * 24 * HOUR);

      // The audit trail says which sign-ins used or were given a ticket, and holds no ticket.
      const root = new ConsoleClient(server.endpoint);
      await root.signIn(credentials.loginName, credentials.password);
      const events = (await eventsOf(root, 'ConsoleSignin')).filter(
        (e) => e.errorCode === undefined && (e.userIdentity as { userName: string }).userName === 'kim',
      );
      const tickets = events.map((e) => (e.requestParameters as Record<string, string>).MFATicket);
      expect(tickets).toContain('issued');
      expect(tickets).toContain('used');
      expect(events.every((e) => (e.requestParameters as Record<string, string>).MFAUsed === 'true')).toBe(
        true,
      );
      expect(JSON.stringify(events)).not.toContain(kimTicket.split('=')[1]);
    } finally {
      restore();
    }
  });

  it('requires a device when the account makes MFA mandatory', async () => {
    const { userWithPassword, ims, credentials } = await tenant();
    const hal = await userWithPassword('hal', 'Hal-password-1');
    await ims.setSecurityPreference(
      new ImsModule.SetSecurityPreferenceRequest({ MFAOperationForLogin: 'mandatory' }),
    );
    const refused = await new ConsoleClient(server.endpoint).signIn(hal, 'Hal-password-1');
    expect(refused.status).toBe(403);
    expect(refused.body.Code).toBe('MFADeviceRequired');
    // The account's root identity signs in with its password (its MFA is not Ramkey's to require).
    expect(
      (await new ConsoleClient(server.endpoint).signIn(credentials.loginName, credentials.password)).status,
    ).toBe(200);
  });

  it('asks for the code under adaptive MFA only from an address the user has not passed MFA from lately', async () => {
    const { userWithPassword, ram, ims, credentials } = await tenant();
    const ada = await userWithPassword('ada', 'Ada-password-1');
    const seed = await bindDevice(ram, 'ada');
    const { move, nextCode, restore } = codeClock(seed);
    const mfaOperation = (MFAOperationForLogin: string) =>
      ims.setSecurityPreference(new ImsModule.SetSecurityPreferenceRequest({ MFAOperationForLogin }));
    const from = (address: string) => {
      const browser = new ConsoleClient(server.endpoint);
      browser.forwardedFor = address;
      return browser;
    };
    const codeOfSignin = async (address: string) =>
      (await from(address).signIn(ada, 'Ada-password-1')).body.Code;
    try {
      await mfaOperation('adaptive');
      // No code passed from anywhere yet: asked.
      expect(await codeOfSignin('198.51.100.7')).toBe('MFACodeRequired');
      expect((await from('198.51.100.7').signIn(ada, 'Ada-password-1', nextCode())).status).toBe(200);
      // From that address again, in another browser: no code, and no MFA in the session either.
      expect((await from('198.51.100.7').signIn(ada, 'Ada-password-1')).status).toBe(200);
      // From elsewhere, and with a wrong password from there: as before.
      expect(await codeOfSignin('198.51.100.8')).toBe('MFACodeRequired');
      expect(await codeOfSignin('2001:db8::7')).toBe('MFACodeRequired');
      expect((await from('198.51.100.7').signIn(ada, 'not-it')).body.Code).toBe('SigninFailed');

      // A ticket signs in from a new address but does not make it known: it may have travelled.
      await ram.setSecurityPreference(
        new RamModule.SetSecurityPreferenceRequest({ enableSaveMFATicket: true }),
      );
      const laptop = from('198.51.100.7');
      await laptop.signIn(ada, 'Ada-password-1', nextCode(), { rememberMfa: true });
      laptop.forwardedFor = '203.0.113.50';
      expect((await laptop.signIn(ada, 'Ada-password-1')).status).toBe(200);
      expect(await codeOfSignin('203.0.113.50')).toBe('MFACodeRequired');

      // Independent asks every time, whatever the address.
      await mfaOperation('independent');
      expect(await codeOfSignin('198.51.100.7')).toBe('MFACodeRequired');
      await mfaOperation('adaptive');
      expect(await codeOfSignin('198.51.100.7')).toBeUndefined();

      // Binding the device again forgets every address known before.
      expect((await from('198.51.100.7').signIn(ada, 'Ada-password-1', nextCode())).status).toBe(200);
      expect(await codeOfSignin('198.51.100.7')).toBeUndefined();
      await rebindDevice(ram, credentials.accountId, 'ada', seed, move);
      expect(await codeOfSignin('198.51.100.7')).toBe('MFACodeRequired');

      // The trail tells a skipped code from a passed one; a known address's session has no MFA present.
      const root = new ConsoleClient(server.endpoint);
      await root.signIn(credentials.loginName, credentials.password);
      const events = (await eventsOf(root, 'ConsoleSignin')).filter(
        (e) => e.errorCode === undefined && (e.userIdentity as { userName: string }).userName === 'ada',
      );
      const parametersOf = (e: Record<string, unknown>) => e.requestParameters as Record<string, string>;
      const skipped = events.filter((e) => parametersOf(e).MFASkipped === 'KnownSourceIp');
      expect(skipped.length).toBeGreaterThanOrEqual(3);
      expect(skipped.every((e) => parametersOf(e).MFAUsed === 'false')).toBe(true);
      expect(skipped.every((e) => e.sourceIpAddress === '198.51.100.7')).toBe(true);
      expect(events.some((e) => parametersOf(e).MFAUsed === 'true')).toBe(true);
      await allowListUsersWithMfa(ram, ['ada']);
      const withCode = from('198.51.100.7');
      expect((await withCode.signIn(ada, 'Ada-password-1', nextCode())).status).toBe(200);
      expect((await withCode.rpc('ListUsers', RAM)).status).toBe(200);
      const withoutCode = from('198.51.100.7');
      expect((await withoutCode.signIn(ada, 'Ada-password-1')).status).toBe(200);
      expect((await withoutCode.rpc('ListUsers', RAM)).body.Code).toBe('NoPermission');

      // An address is known for 30 days from its last code (the SDK's calls are done: its clock is real).
      move(30 * 24 * HOUR - 2 * 60_000);
      expect(await codeOfSignin('198.51.100.7')).toBeUndefined();
      move(5 * 60_000);
      expect(await codeOfSignin('198.51.100.7')).toBe('MFACodeRequired');
      // The background job then forgets it: back within the 30 days, the address is unknown.
      await server.ramkey.consoleSessions.purgeExpired();
      move(-10 * 24 * HOUR);
      expect(await codeOfSignin('198.51.100.7')).toBe('MFACodeRequired');
    } finally {
      restore();
    }
  });

  it('enforces LoginNetworkMasks for RAM users and LoginSessionDuration as the idle timeout', async () => {
    const { userWithPassword, ram } = await tenant();
    const ida = await userWithPassword('ida', 'Ida-password-1');
    const before = new ConsoleClient(server.endpoint);
    await before.signIn(ida, 'Ida-password-1');
    await ram.setSecurityPreference(
      new RamModule.SetSecurityPreferenceRequest({
        loginNetworkMasks: '10.0.0.0/8;192.168.1.1',
        loginSessionDuration: 1,
      }),
    );
    const refused = await new ConsoleClient(server.endpoint).signIn(ida, 'Ida-password-1');
    expect(refused.status).toBe(403);
    expect(refused.body.Code).toBe('Forbidden.LoginNetworkMask');
    expect(refused.body.Message).toContain('127.0.0.1');
    // A session opened before the masks cannot be used from outside them either.
    expect((await before.rpc('ListUsers', RAM)).body.Code).toBe('ConsoleSessionRequired');

    await ram.setSecurityPreference(
      new RamModule.SetSecurityPreferenceRequest({ loginNetworkMasks: '127.0.0.0/8' }),
    );
    const browser = new ConsoleClient(server.endpoint);
    const signin = await browser.signIn(ida, 'Ida-password-1');
    expect(signin.body.Session).toMatchObject({ IdleTimeoutSeconds: 3600 });
    server.clock.advance(HOUR + 1000);
    try {
      expect((await browser.session()).body.Code).toBe('ConsoleSessionRequired');
    } finally {
      server.clock.advance(-(HOUR + 1000));
    }
  });

  it('audits sign-in, every console operation and sign-out, never a password', async () => {
    const { credentials } = await tenant();
    const browser = new ConsoleClient(server.endpoint);
    await browser.signIn(credentials.loginName, 'wrong-password');
    await browser.signIn(credentials.loginName, credentials.password);
    await browser.rpc('CreateUser', RAM, { UserName: 'audited' });
    await browser.rpc('DeleteUser', RAM, { UserName: 'no-such-user' });

    const signins = await eventsOf(browser, 'ConsoleSignin');
    expect(signins.map((e) => e.errorCode ?? 'ok').slice(0, 2)).toEqual(['ok', 'SigninFailed']);
    expect(signins[0]).toMatchObject({
      eventName: 'ConsoleSignin',
      serviceName: 'Console',
      sourceIpAddress: '127.0.0.1',
      requestParameters: { LoginName: credentials.loginName, MFAUsed: 'false' },
      userIdentity: { type: 'root-account', accountId: credentials.accountId, accessKeyId: '' },
    });
    const operations = await eventsOf(browser, 'ConsoleOperation');
    const created = operations.find((e) => e.eventName === 'CreateUser');
    expect(created).toMatchObject({
      serviceName: 'Ram',
      eventRW: 'Write',
      requestParameters: { UserName: 'audited' },
      userIdentity: { type: 'root-account', accessKeyId: '' },
    });
    expect(operations.find((e) => e.eventName === 'DeleteUser')).toMatchObject({
      errorCode: 'EntityNotExist.User',
    });

    await browser.signOut();
    const admin = new ConsoleClient(server.endpoint);
    await admin.signIn(credentials.loginName, credentials.password);
    expect((await eventsOf(admin, 'ConsoleSignout')).length).toBe(1);
    const everything = JSON.stringify(await eventsOf(admin, 'ConsoleSignin'));
    expect(everything).not.toContain(credentials.password);
    expect(everything).not.toContain('wrong-password');
    expect(server.logs.join('\n')).not.toContain(credentials.password);
  });
}

describeSqlite('console sessions (SQLite)', () => {
  consoleSuite('sqlite');
});

await describePostgres('console sessions (PostgreSQL)', () => {
  consoleSuite('postgres');
});

describeSqlite('console sign-in floods', () => {
  it('throttles a source after 30 failed sign-ins, before any password is checked', async () => {
    const app = await startApp();
    try {
      const browser = new ConsoleClient(app.endpoint);
      const nobody = `nobody@${app.admin.accountId}.onaliyun.com`;
      // 30 in a burst; the allowance refills at one a second meanwhile (each failure costs a hash).
      let failures = 0;
      while (failures < 40 && (await browser.signIn(nobody, 'guess')).body.Code === 'SigninFailed')
        failures++;
      expect(failures).toBeGreaterThanOrEqual(30);
      expect(failures).toBeLessThan(40);
      const throttled = await browser.signIn(app.admin.loginName, app.admin.password);
      expect(throttled.status).toBe(503);
      expect(throttled.body.Code).toBe('Throttling');
      // The allowance refills at one failure a second.
      app.clock.advance(2000);
      expect((await browser.signIn(app.admin.loginName, app.admin.password)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});
