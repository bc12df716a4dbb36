// RAM login profiles and the password policy through the official SDK: the profile's lifecycle, the
// policy enforced on every new password, ChangePassword, reuse prevention, permissions and tenancy,
// and no password in any response or audit event. In process, on SQLite and on PostgreSQL.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { callAction, clients, ImsModule, RamModule, sdkError, type Key } from '../support/sdk.js';
import { describePostgres, describeSqlite, type Engine } from '../support/test-stores.js';

type Json = Record<string, unknown>;

function loginProfileSuite(engine: Engine) {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp({ engine });
  });

  afterAll(async () => {
    await server.stop();
  });

  /** An account of its own, its admin's clients, and a way to add a user with a key. */
  async function tenant() {
    const credentials = await server.createAccount({ rootAccessKey: true });
    const admin: Key = { id: credentials.accessKeyId, secret: credentials.accessKeySecret };
    const root: Key = {
      id: credentials.rootAccessKeyId ?? '',
      secret: credentials.rootAccessKeySecret ?? '',
    };
    const ram = clients(server.endpoint, admin, 'v3').ram;
    const userWithKey = async (userName: string): Promise<Key> => {
      await ram.createUser(new RamModule.CreateUserRequest({ userName }));
      const key = (await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }))).body
        ?.accessKey;
      return { id: key?.accessKeyId ?? '', secret: key?.accessKeySecret ?? '' };
    };
    return { credentials, admin, root, ram, userWithKey };
  }

  it('creates, gets, updates and deletes a login profile, never returning the password', async () => {
    const { ram } = await tenant();
    await ram.createUser(new RamModule.CreateUserRequest({ userName: 'alice' }));
    const password = 'Correct-Horse-7';
    const created = await ram.createLoginProfile(
      new RamModule.CreateLoginProfileRequest({ userName: 'alice', password, passwordResetRequired: true }),
    );
    const profile = created.body?.loginProfile;
    expect(profile).toMatchObject({ userName: 'alice', passwordResetRequired: true, MFABindRequired: false });
    expect(profile?.createDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(JSON.stringify(created.body)).not.toContain(password);

    const again = await sdkError(
      ram.createLoginProfile(new RamModule.CreateLoginProfileRequest({ userName: 'alice', password })),
    );
    expect(again.code).toBe('EntityAlreadyExists.User.LoginProfile');

    await ram.updateLoginProfile(
      new RamModule.UpdateLoginProfileRequest({
        userName: 'alice',
        passwordResetRequired: false,
        MFABindRequired: true,
      }),
    );
    const got = (await ram.getLoginProfile(new RamModule.GetLoginProfileRequest({ userName: 'alice' }))).body;
    expect(got?.loginProfile).toMatchObject({
      userName: 'alice',
      createDate: profile?.createDate,
      passwordResetRequired: false,
      MFABindRequired: true,
    });
    expect(JSON.stringify(got)).not.toContain(password);

    await ram.deleteLoginProfile(new RamModule.DeleteLoginProfileRequest({ userName: 'alice' }));
    for (const call of [
      () => ram.getLoginProfile(new RamModule.GetLoginProfileRequest({ userName: 'alice' })),
      () => ram.deleteLoginProfile(new RamModule.DeleteLoginProfileRequest({ userName: 'alice' })),
      () => ram.updateLoginProfile(new RamModule.UpdateLoginProfileRequest({ userName: 'alice', password })),
    ]) {
      expect((await sdkError(call())).code).toBe('EntityNotExist.User.LoginProfile');
    }
    const noUser = await sdkError(
      ram.createLoginProfile(new RamModule.CreateLoginProfileRequest({ userName: 'nobody', password })),
    );
    expect(noUser.code).toBe('EntityNotExist.User');
  });

  it('enforces the password policy, naming the rule broken', async () => {
    const { ram } = await tenant();
    expect((await ram.getPasswordPolicy()).body?.passwordPolicy).toMatchObject({
      minimumPasswordLength: 8,
      requireLowercaseCharacters: false,
      requireUppercaseCharacters: false,
      requireNumbers: false,
      requireSymbols: false,
      hardExpiry: false,
      maxLoginAttemps: 5,
      passwordReusePrevention: 0,
      maxPasswordAge: 0,
    });
    await ram.createUser(new RamModule.CreateUserRequest({ userName: 'bob' }));
    const create = (password: string) =>
      ram.createLoginProfile(new RamModule.CreateLoginProfileRequest({ userName: 'bob', password }));

    const short = await sdkError(create('Ab1!xyz'));
    expect(short.code).toBe('InvalidParameter.Password');
    expect(short.message).toContain('at least 8 characters long (MinimumPasswordLength)');

    const set = await ram.setPasswordPolicy(
      new RamModule.SetPasswordPolicyRequest({
        minimumPasswordLength: 12,
        requireSymbols: true,
        requireNumbers: true,
        passwordReusePrevention: 2,
      }),
    );
    expect(set.body?.passwordPolicy).toMatchObject({ minimumPasswordLength: 12, requireSymbols: true });
    expect((await ram.getPasswordPolicy()).body?.passwordPolicy).toMatchObject({
      minimumPasswordLength: 12,
      requireLowercaseCharacters: false,
      requireUppercaseCharacters: false,
      requireNumbers: true,
      requireSymbols: true,
      hardExpiry: false,
      maxLoginAttemps: 5,
      passwordReusePrevention: 2,
      maxPasswordAge: 0,
    });
    const tooShort = await sdkError(create('Abcdefgh1!'));
    expect(tooShort.message).toContain('at least 12 characters long (MinimumPasswordLength)');
    const noSymbol = await sdkError(create('Abcdefghijk1'));
    expect(noSymbol.code).toBe('InvalidParameter.Password');
    expect(noSymbol.message).toContain('a symbol (RequireSymbols)');
    expect(noSymbol.message).not.toContain('Abcdefghijk1');
    const noDigit = await sdkError(create('Abcdefghijk!'));
    expect(noDigit.message).toContain('a digit (RequireNumbers)');
    await create('Abcdefghij1!');

    const outOfRange = await sdkError(
      ram.setPasswordPolicy(new RamModule.SetPasswordPolicyRequest({ minimumPasswordLength: 7 })),
    );
    expect(outOfRange.code).toBe('InvalidParameter');
    expect(outOfRange.message).toContain('MinimumPasswordLength');
  });

  it('lets a RAM user change its own password, with the old one, not reusing recent ones', async () => {
    const { ram, root, userWithKey } = await tenant();
    await ram.setPasswordPolicy(new RamModule.SetPasswordPolicyRequest({ passwordReusePrevention: 2 }));
    const carol = await userWithKey('carol');
    await ram.createLoginProfile(
      new RamModule.CreateLoginProfileRequest({
        userName: 'carol',
        password: 'first-password',
        passwordResetRequired: true,
      }),
    );
    // carol has no policy at all: changing her own password needs none.
    const asCarol = clients(server.endpoint, carol, 'v3').ram;
    const change = (oldPassword: string, newPassword: string) =>
      asCarol.changePassword(new RamModule.ChangePasswordRequest({ oldPassword, newPassword }));

    expect((await sdkError(change('wrong-password', 'second-password'))).code).toBe(
      'InvalidParameter.OldPassword',
    );
    expect((await sdkError(change('first-password', 'short'))).code).toBe('InvalidParameter.Password');
    const same = await sdkError(change('first-password', 'first-password'));
    expect(same.code).toBe('InvalidParameter.Password');
    expect(same.message).toContain('PasswordReusePrevention');

    await change('first-password', 'second-password');
    expect((await sdkError(change('first-password', 'third-password'))).code).toBe(
      'InvalidParameter.OldPassword',
    );
    // Two back is still remembered; the reset asked for is done.
    expect((await sdkError(change('second-password', 'first-password'))).code).toBe(
      'InvalidParameter.Password',
    );
    await change('second-password', 'third-password');
    const profile = (await ram.getLoginProfile(new RamModule.GetLoginProfileRequest({ userName: 'carol' })))
      .body;
    expect(profile?.loginProfile?.passwordResetRequired).toBe(false);
    // Three back is forgotten under PasswordReusePrevention 2.
    await change('third-password', 'first-password');

    // An administrator's new password is checked against the same history.
    const reused = await sdkError(
      ram.updateLoginProfile(
        new RamModule.UpdateLoginProfileRequest({ userName: 'carol', password: 'third-password' }),
      ),
    );
    expect(reused.code).toBe('InvalidParameter.Password');

    const asRoot = clients(server.endpoint, root, 'v3').ram;
    const rootChange = await sdkError(
      asRoot.changePassword(
        new RamModule.ChangePasswordRequest({ oldPassword: 'x', newPassword: 'yyyyyyyy' }),
      ),
    );
    expect(rootChange.code).toBe('NotSupported.RootPassword');

    const dave = await userWithKey('dave');
    const noProfile = await sdkError(
      clients(server.endpoint, dave, 'v3').ram.changePassword(
        new RamModule.ChangePasswordRequest({ oldPassword: 'whatever1', newPassword: 'whatever2' }),
      ),
    );
    expect(noProfile.code).toBe('EntityNotExist.User.LoginProfile');
  });

  it('keeps every password out of the audit events', async () => {
    const { admin, ram, userWithKey } = await tenant();
    const erin = await userWithKey('erin');
    const passwords = ['erin-password-1', 'erin-password-2', 'erin-password-3'];
    await ram.createLoginProfile(
      new RamModule.CreateLoginProfileRequest({ userName: 'erin', password: passwords[0] }),
    );
    await ram.updateLoginProfile(
      new RamModule.UpdateLoginProfileRequest({ userName: 'erin', password: passwords[1] }),
    );
    await clients(server.endpoint, erin, 'v3').ram.changePassword(
      new RamModule.ChangePasswordRequest({ oldPassword: passwords[1], newPassword: passwords[2] }),
    );
    await server.flush();
    const found = (await callAction(server.endpoint, admin, {
      action: 'LookupEvents',
      version: '2020-07-06',
      query: { MaxResults: 50 },
    })) as { Events?: Json[] };
    const names = (found.Events ?? []).map((e) => e.eventName);
    expect(names).toEqual(
      expect.arrayContaining(['CreateLoginProfile', 'UpdateLoginProfile', 'ChangePassword']),
    );
    const created = found.Events?.find((e) => e.eventName === 'CreateLoginProfile');
    expect(created?.requestParameters).toEqual({ UserName: 'erin' });
    const text = JSON.stringify(found);
    for (const password of passwords) expect(text).not.toContain(password);
    for (const line of server.logs) for (const password of passwords) expect(line).not.toContain(password);
  });

  it('deletes the profile with its user and brings it back with the restored user', async () => {
    const { admin, ram } = await tenant();
    const ims = clients(server.endpoint, admin, 'v3').ims;
    const user = (await ram.createUser(new RamModule.CreateUserRequest({ userName: 'grace' }))).body?.user;
    await ram.createLoginProfile(
      new RamModule.CreateLoginProfileRequest({
        userName: 'grace',
        password: 'grace-password',
        MFABindRequired: true,
      }),
    );
    await ram.deleteUser(new RamModule.DeleteUserRequest({ userName: 'grace' }));
    const gone = await sdkError(
      ram.getLoginProfile(new RamModule.GetLoginProfileRequest({ userName: 'grace' })),
    );
    expect(gone.code).toBe('EntityNotExist.User');
    await ims.restoreUserFromRecycleBin(
      new ImsModule.RestoreUserFromRecycleBinRequest({ userId: user?.userId }),
    );
    const back = await ram.getLoginProfile(new RamModule.GetLoginProfileRequest({ userName: 'grace' }));
    expect(back.body?.loginProfile).toMatchObject({ userName: 'grace', MFABindRequired: true });
  });

  it('refuses a user without permissions and hides other accounts’ users', async () => {
    const mine = await tenant();
    const intruder = await mine.userWithKey('intruder');
    await mine.ram.createUser(new RamModule.CreateUserRequest({ userName: 'frank' }));
    const asIntruder = clients(server.endpoint, intruder, 'v3').ram;
    for (const call of [
      () =>
        asIntruder.createLoginProfile(
          new RamModule.CreateLoginProfileRequest({ userName: 'frank', password: 'frank-password' }),
        ),
      () => asIntruder.getLoginProfile(new RamModule.GetLoginProfileRequest({ userName: 'frank' })),
      () => asIntruder.getPasswordPolicy(),
      () =>
        asIntruder.setPasswordPolicy(new RamModule.SetPasswordPolicyRequest({ minimumPasswordLength: 20 })),
    ]) {
      expect((await sdkError(call())).code).toBe('NoPermission');
    }

    await mine.ram.createLoginProfile(
      new RamModule.CreateLoginProfileRequest({ userName: 'frank', password: 'frank-password' }),
    );
    // ReadOnlyAccess grants the Get actions only.
    await mine.ram.attachPolicyToUser(
      new RamModule.AttachPolicyToUserRequest({
        policyType: 'System',
        policyName: 'ReadOnlyAccess',
        userName: 'intruder',
      }),
    );
    const read = await asIntruder.getLoginProfile(
      new RamModule.GetLoginProfileRequest({ userName: 'frank' }),
    );
    expect(read.body?.loginProfile?.userName).toBe('frank');
    expect((await asIntruder.getPasswordPolicy()).body?.passwordPolicy?.minimumPasswordLength).toBe(8);
    const write = await sdkError(
      asIntruder.updateLoginProfile(
        new RamModule.UpdateLoginProfileRequest({ userName: 'frank', password: 'stolen-password' }),
      ),
    );
    expect(write.code).toBe('NoPermission');
    const theirs = await tenant();
    const hidden = await sdkError(
      theirs.ram.getLoginProfile(new RamModule.GetLoginProfileRequest({ userName: 'frank' })),
    );
    expect(hidden.code).toBe('EntityNotExist.User');
    await theirs.ram.setPasswordPolicy(new RamModule.SetPasswordPolicyRequest({ minimumPasswordLength: 30 }));
    expect((await mine.ram.getPasswordPolicy()).body?.passwordPolicy?.minimumPasswordLength).toBe(8);
  });
}

describeSqlite('login profiles on SQLite', () => {
  loginProfileSuite('sqlite');
});
await describePostgres('login profiles on PostgreSQL', () => {
  loginProfileSuite('postgres');
});
