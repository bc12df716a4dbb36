// Console sign-in security through the official SDKs: the security preference (RAM and IMS shapes,
// validation, omitted parameters unchanged, ChangePassword obeying it), virtual MFA devices (create,
// bind with two consecutive codes, unbind, delete, list, the account summary, DeleteUser's conflict,
// authorization, the seed never shown again), and ramkey.mfa as console sign-in calls it, replay
// protection across two nodes included. In process, on SQLite and on PostgreSQL.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import QRCode from 'qrcode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { base32Decode, otpauthUri, totpCode, totpStep } from '../../src/core/identity/totp.js';
import { startApp, TestClock, type RunningApp } from '../support/in-process-server.js';
import { callAction, clients, ImsModule, RamModule, sdkError, type Key } from '../support/sdk.js';
import { describePostgres, describeSqlite, type Engine } from '../support/test-stores.js';

type Json = Record<string, unknown>;

/**
 * The test clock, pinned: TOTP codes depend on the 30-second step, so time moves only when a test
 * says so (never across a step boundary by itself). Near real time, for the SDKs' signed dates.
 */
class PinnedClock extends TestClock {
  // Mid-step, so that the step is unambiguous.
  private at = (Math.floor(Date.now() / 30_000) + 0.5) * 30_000;
  override now(): number {
    return this.at;
  }
  override advance(ms: number): void {
    this.at += ms;
  }
}

function codeOf(seedBase32: string, nowMs: number, steps = 0): string {
  const seed = base32Decode(seedBase32);
  if (seed === undefined) throw new Error('the seed is not Base32');
  return totpCode(seed, totpStep(nowMs) + steps);
}

function mfaSuite(engine: Engine) {
  /** Everything the database holds, as text: the SQLite files (WAL included) or a pg_dump. */
  async function databaseText(): Promise<string> {
    if (engine === 'sqlite') {
      const file = join(server.dataDir, 'ramkey.db');
      return [file, `${file}-wal`]
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f).toString('latin1'))
        .join('');
    }
    const { stdout } = await promisify(execFile)(
      'pg_dump',
      ['--dbname', server.env.RAMKEY_DATABASE_URL ?? '', '--data-only', '--no-owner'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  }

  let server: RunningApp;
  const clock = new PinnedClock();

  beforeAll(async () => {
    server = await startApp({ engine, clock });
  });

  afterAll(async () => {
    await server.stop();
  });

  async function tenant() {
    const credentials = await server.createAccount({ rootAccessKey: true });
    const admin: Key = { id: credentials.accessKeyId, secret: credentials.accessKeySecret };
    const { ram, ims } = clients(server.endpoint, admin, 'v3');
    const userWithKey = async (userName: string): Promise<Key> => {
      await ram.createUser(new RamModule.CreateUserRequest({ userName }));
      const key = (await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }))).body
        ?.accessKey;
      return { id: key?.accessKeyId ?? '', secret: key?.accessKeySecret ?? '' };
    };
    const userId = async (userName: string) =>
      (await ram.getUser(new RamModule.GetUserRequest({ userName }))).body?.user?.userId ?? '';
    const createDevice = async (name: string) => {
      const device = (
        await ram.createVirtualMFADevice(
          new RamModule.CreateVirtualMFADeviceRequest({ virtualMFADeviceName: name }),
        )
      ).body?.virtualMFADevice;
      return { serialNumber: device?.serialNumber ?? '', seed: device?.base32StringSeed ?? '', device };
    };
    /** Binds with the codes of the previous and the current step, as a user reads them off an app. */
    const bind = (userName: string, serialNumber: string, seed: string) =>
      ram.bindMFADevice(
        new RamModule.BindMFADeviceRequest({
          userName,
          serialNumber,
          authenticationCode1: codeOf(seed, clock.now(), -1),
          authenticationCode2: codeOf(seed, clock.now()),
        }),
      );
    return { accountId: credentials.accountId, admin, ram, ims, userWithKey, userId, createDevice, bind };
  }

  it('answers the console preferences with their defaults, in RAM and IMS shapes', async () => {
    const { accountId, ram, ims } = await tenant();
    const fromRam = (await ram.getSecurityPreference()).body?.securityPreference;
    expect(fromRam?.loginProfilePreference).toMatchObject({
      enableSaveMFATicket: false,
      allowUserToChangePassword: true,
      loginSessionDuration: 6,
      loginNetworkMasks: '',
    });
    expect(fromRam?.MFAPreference?.allowUserToManageMFADevices).toBe(true);
    expect(fromRam?.accessKeyPreference?.allowUserToManageAccessKeys).toBe(false);
    const fromIms = (await ims.getSecurityPreference()).body?.securityPreference;
    expect(fromIms?.loginProfilePreference?.MFAOperationForLogin).toBe('independent');
    expect(fromIms?.maxIdleDays?.maxIdleDaysForAccessKeys).toBe(730);
    expect(await server.ramkey.permissions.getSecurityPreference(accountId)).toEqual({
      allowUserToManageAccessKeys: false,
      maxIdleDaysForAccessKeys: 730,
      loginSessionDuration: 6,
      loginNetworkMasks: '',
      allowUserToChangePassword: true,
      enableSaveMFATicket: false,
      allowUserToManageMFADevices: true,
      mfaOperationForLogin: 'independent',
    });
  });

  it('sets each preference, normalising masks, leaving out what a call omits, refusing bad values', async () => {
    const { accountId, admin, ram, ims } = await tenant();
    const set = await ram.setSecurityPreference(
      new RamModule.SetSecurityPreferenceRequest({
        loginSessionDuration: 24,
        loginNetworkMasks: '10.1.2.3/8; 192.168.0.7 ;2001:0DB8::/32',
        allowUserToChangePassword: false,
        enableSaveMFATicket: true,
        allowUserToManageMFADevices: false,
      }),
    );
    expect(set.body?.securityPreference?.loginProfilePreference).toMatchObject({
      loginSessionDuration: 24,
      loginNetworkMasks: '10.0.0.0/8;192.168.0.7;2001:db8::/32',
      allowUserToChangePassword: false,
      enableSaveMFATicket: true,
    });
    expect(set.body?.securityPreference?.MFAPreference?.allowUserToManageMFADevices).toBe(false);

    // IMS's extra setting; everything the call leaves out stays.
    await ims.setSecurityPreference(
      new ImsModule.SetSecurityPreferenceRequest({ MFAOperationForLogin: 'adaptive' }),
    );
    expect(await server.ramkey.permissions.getSecurityPreference(accountId)).toMatchObject({
      loginSessionDuration: 24,
      loginNetworkMasks: '10.0.0.0/8;192.168.0.7;2001:db8::/32',
      allowUserToChangePassword: false,
      enableSaveMFATicket: true,
      allowUserToManageMFADevices: false,
      allowUserToManageAccessKeys: false,
      mfaOperationForLogin: 'adaptive',
    });

    // RAM's older EnforceMFAForLogin (not in the current SDK): true is 'mandatory'.
    const enforced = (await callAction(server.endpoint, admin, {
      action: 'SetSecurityPreference',
      version: '2015-05-01',
      query: { EnforceMFAForLogin: 'true' },
    })) as { SecurityPreference?: { LoginProfilePreference?: Json } };
    expect(enforced.SecurityPreference?.LoginProfilePreference?.EnforceMFAForLogin).toBe(true);
    expect((await server.ramkey.permissions.getSecurityPreference(accountId)).mfaOperationForLogin).toBe(
      'mandatory',
    );
    const disagree = await sdkError(
      callAction(server.endpoint, admin, {
        action: 'SetSecurityPreference',
        version: '2019-08-15',
        query: { EnforceMFAForLogin: 'true', MFAOperationForLogin: 'adaptive' },
      }),
    );
    expect(disagree.code).toBe('InvalidParameter');

    for (const [request, code] of [
      [{ loginSessionDuration: 0 }, 'InvalidParameter.LoginSessionDuration'],
      [{ loginSessionDuration: 25 }, 'InvalidParameter.LoginSessionDuration'],
      [{ loginNetworkMasks: '10.0.0.0/8;10.0.0.256' }, 'InvalidParameter.LoginNetworkMasks'],
      [{ loginNetworkMasks: '10.0.0.0/33' }, 'InvalidParameter.LoginNetworkMasks'],
    ] as const) {
      const refused = await sdkError(
        ram.setSecurityPreference(new RamModule.SetSecurityPreferenceRequest(request)),
      );
      expect(refused.code).toBe(code);
    }
    const tooMany = await sdkError(
      ram.setSecurityPreference(
        new RamModule.SetSecurityPreferenceRequest({
          loginNetworkMasks: Array.from({ length: 41 }, (_, i) => `10.0.0.${String(i)}`).join(';'),
        }),
      ),
    );
    expect(tooMany.code).toBe('InvalidParameter.LoginNetworkMasks');
    expect(tooMany.message).toContain('more than 40 masks');
    const badOperation = await sdkError(
      ims.setSecurityPreference(
        new ImsModule.SetSecurityPreferenceRequest({ MFAOperationForLogin: 'never' }),
      ),
    );
    expect(badOperation.code).toBe('InvalidParameter.MFAOperationForLogin');
    // Nothing a refused call named was changed.
    expect(await server.ramkey.permissions.getSecurityPreference(accountId)).toMatchObject({
      loginSessionDuration: 24,
      loginNetworkMasks: '10.0.0.0/8;192.168.0.7;2001:db8::/32',
      mfaOperationForLogin: 'mandatory',
    });
    // Only separators: back to anywhere (an empty value counts as absent, as on Alibaba's gateway).
    await ram.setSecurityPreference(new RamModule.SetSecurityPreferenceRequest({ loginNetworkMasks: ';' }));
    expect((await server.ramkey.permissions.getSecurityPreference(accountId)).loginNetworkMasks).toBe('');
  });

  it('refuses ChangePassword while AllowUserToChangePassword is false, unless a reset is required', async () => {
    const { ram, userWithKey } = await tenant();
    const henry = await userWithKey('henry');
    await ram.createLoginProfile(
      new RamModule.CreateLoginProfileRequest({ userName: 'henry', password: 'henry-password-1' }),
    );
    const asHenry = clients(server.endpoint, henry, 'v3').ram;
    const change = (oldPassword: string, newPassword: string) =>
      asHenry.changePassword(new RamModule.ChangePasswordRequest({ oldPassword, newPassword }));
    await ram.setSecurityPreference(
      new RamModule.SetSecurityPreferenceRequest({ allowUserToChangePassword: false }),
    );
    const refused = await sdkError(change('henry-password-1', 'henry-password-2'));
    expect(refused.code).toBe('Forbidden.ChangePassword');
    expect(refused.statusCode).toBe(403);
    // Refused before the old password is checked: a wrong one gets the same answer.
    expect((await sdkError(change('wrong', 'henry-password-2'))).code).toBe('Forbidden.ChangePassword');

    // An administrator asked for a new password: the user must be able to choose one.
    await ram.updateLoginProfile(
      new RamModule.UpdateLoginProfileRequest({ userName: 'henry', passwordResetRequired: true }),
    );
    await change('henry-password-1', 'henry-password-2');
    expect((await sdkError(change('henry-password-2', 'henry-password-3'))).code).toBe(
      'Forbidden.ChangePassword',
    );
    await ram.setSecurityPreference(
      new RamModule.SetSecurityPreferenceRequest({ allowUserToChangePassword: true }),
    );
    await change('henry-password-2', 'henry-password-3');
  });

  it('creates a device whose seed and QR code are shown once, binds, unbinds and deletes it', async () => {
    const { accountId, ram, ims, userWithKey, createDevice, bind } = await tenant();
    await userWithKey('ivy');
    const { serialNumber, seed, device } = await createDevice('ivy-phone');
    expect(serialNumber).toBe(`acs:ram::${accountId}:mfa/ivy-phone`);
    expect(seed).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(seed)).toHaveLength(20);
    // The QR code is the PNG of the otpauth:// URI that holds the seed.
    const png = Buffer.from(device?.QRCodePNG ?? '', 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const expected = await QRCode.toBuffer(otpauthUri(seed, 'Ramkey', serialNumber), {
      type: 'png',
      errorCorrectionLevel: 'M',
    });
    expect(png.equals(expected)).toBe(true);
    // Sealed at rest: the database holds neither the seed nor the URI.
    const stored = await databaseText();
    expect(stored).toContain('ivy-phone');
    expect(stored).not.toContain(seed);

    for (const [name, code] of [
      ['IVY-PHONE', 'EntityAlreadyExists.VirtualMFADevice'],
      ['ivy phone', 'InvalidParameter.VirtualMFADeviceName.InvalidChars'],
      ['x'.repeat(65), 'InvalidParameter.VirtualMFADeviceName.Length'],
    ]) {
      const refused = await sdkError(
        ram.createVirtualMFADevice(
          new RamModule.CreateVirtualMFADeviceRequest({ virtualMFADeviceName: name }),
        ),
      );
      expect(refused.code).toBe(code);
    }

    const listed = (await ram.listVirtualMFADevices()).body?.virtualMFADevices?.virtualMFADevice;
    expect(listed).toEqual([expect.objectContaining({ serialNumber })]);
    expect(listed?.[0]?.user).toBeUndefined();
    expect(JSON.stringify(listed)).not.toContain(seed);

    const bindWith = (code1: string, code2: string) =>
      ram.bindMFADevice(
        new RamModule.BindMFADeviceRequest({
          userName: 'ivy',
          serialNumber,
          authenticationCode1: code1,
          authenticationCode2: code2,
        }),
      );
    const now = clock.now();
    expect((await sdkError(bindWith('12345', codeOf(seed, now)))).code).toBe(
      'InvalidParameter.AuthenticationCode.Format',
    );
    // Not consecutive, reversed, or too old: refused.
    for (const [a, b] of [
      [codeOf(seed, now), codeOf(seed, now)],
      [codeOf(seed, now), codeOf(seed, now, -1)],
      [codeOf(seed, now, -3), codeOf(seed, now, -2)],
    ] as const) {
      const wrong = await sdkError(bindWith(a, b));
      expect(wrong.code).toBe('CheckAuthenticationCodeFail');
      expect(wrong.statusCode).toBe(403);
    }
    const noDevice = await sdkError(
      ram.bindMFADevice(
        new RamModule.BindMFADeviceRequest({
          userName: 'ivy',
          serialNumber: `acs:ram::${accountId}:mfa/nothing`,
          authenticationCode1: '123456',
          authenticationCode2: '654321',
        }),
      ),
    );
    expect(noDevice.code).toBe('EntityNotExist.VirtualMFADevice');
    await bind('ivy', serialNumber, seed);

    expect(
      (await ram.getUserMFAInfo(new RamModule.GetUserMFAInfoRequest({ userName: 'ivy' }))).body?.MFADevice,
    ).toEqual({ serialNumber, type: 'VMFA' });
    const bound = (await ram.listVirtualMFADevices()).body?.virtualMFADevices?.virtualMFADevice?.[0];
    expect(bound?.user).toMatchObject({ userName: 'ivy', displayName: 'ivy' });
    expect(bound?.activateDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    // One device per user, one user per device.
    await userWithKey('jack');
    const spare = await createDevice('spare');
    expect((await sdkError(bind('ivy', spare.serialNumber, spare.seed))).code).toBe(
      'EntityAlreadyExists.User.MFADevice',
    );
    expect((await sdkError(bind('jack', serialNumber, seed))).code).toBe(
      'EntityAlreadyExists.VirtualMFADevice.User',
    );
    const summary = (await ims.getAccountSummary()).body?.summaryMap;
    expect(summary).toMatchObject({ MFADevices: 2, MFADevicesInUse: 1 });

    expect(
      (
        await sdkError(
          ram.deleteVirtualMFADevice(new RamModule.DeleteVirtualMFADeviceRequest({ serialNumber })),
        )
      ).code,
    ).toBe('DeleteConflict.VirtualMFADevice.User');

    const unbound = await ram.unbindMFADevice(new RamModule.UnbindMFADeviceRequest({ userName: 'ivy' }));
    expect(unbound.body?.MFADevice?.serialNumber).toBe(serialNumber);
    for (const call of [
      () => ram.unbindMFADevice(new RamModule.UnbindMFADeviceRequest({ userName: 'ivy' })),
      () => ram.getUserMFAInfo(new RamModule.GetUserMFAInfoRequest({ userName: 'ivy' })),
    ]) {
      expect((await sdkError(call())).code).toBe('EntityNotExist.User.MFADevice');
    }
    await ram.deleteVirtualMFADevice(new RamModule.DeleteVirtualMFADeviceRequest({ serialNumber }));
    expect(
      (
        await sdkError(
          ram.deleteVirtualMFADevice(new RamModule.DeleteVirtualMFADeviceRequest({ serialNumber })),
        )
      ).code,
    ).toBe('EntityNotExist.VirtualMFADevice');
    expect((await ims.getAccountSummary()).body?.summaryMap).toMatchObject({
      MFADevices: 1,
      MFADevicesInUse: 0,
    });
  });

  it('refuses to delete a user with a bound device (RAM and IMS), so the recycle bin loses no binding', async () => {
    const { ram, ims, userWithKey, userId, createDevice, bind } = await tenant();
    await userWithKey('kate');
    const { serialNumber, seed } = await createDevice('kate-phone');
    await bind('kate', serialNumber, seed);
    const viaRam = await sdkError(ram.deleteUser(new RamModule.DeleteUserRequest({ userName: 'kate' })));
    expect(viaRam.code).toBe('DeleteConflict.User.MFADevice');
    const viaIms = await sdkError(
      ims.deleteUser(new ImsModule.DeleteUserRequest({ userId: await userId('kate') })),
    );
    expect(viaIms.code).toBe('DeleteConflict.User.MFADevice');
    expect(
      (await ram.getUserMFAInfo(new RamModule.GetUserMFAInfoRequest({ userName: 'kate' }))).body?.MFADevice
        ?.serialNumber,
    ).toBe(serialNumber);

    await ram.unbindMFADevice(new RamModule.UnbindMFADeviceRequest({ userName: 'kate' }));
    await ram.deleteUser(new RamModule.DeleteUserRequest({ userName: 'kate' }));
  });

  it('verifies console sign-in codes once each, on any node', async () => {
    const { accountId, userWithKey, userId, createDevice, bind } = await tenant();
    await userWithKey('leo');
    await userWithKey('mia');
    const leo = await userId('leo');
    const mia = await userId('mia');
    const { mfa } = server.ramkey;
    expect(await mfa.deviceBoundAt(accountId, leo)).toBeUndefined();
    const { serialNumber, seed } = await createDevice('leo-phone');
    const before = codeOf(seed, clock.now());
    // Not bound yet: no code works.
    expect(await mfa.verifyLoginCode(accountId, leo, before)).toBe(false);
    const boundAt = clock.now();
    await bind('leo', serialNumber, seed);
    expect(await mfa.deviceBoundAt(accountId, leo)).toBe(boundAt);
    expect(await mfa.deviceBoundAt(accountId, mia)).toBeUndefined();

    // The binding used the current step's code: it does not sign in.
    expect(await mfa.verifyLoginCode(accountId, leo, codeOf(seed, clock.now()))).toBe(false);
    clock.advance(30_000);
    const next = codeOf(seed, clock.now());
    expect(await mfa.verifyLoginCode(accountId, mia, next)).toBe(false);
    expect(await mfa.verifyLoginCode(accountId, leo, 'abcdef')).toBe(false);
    expect(await mfa.verifyLoginCode(accountId, leo, next === '000000' ? '000001' : '000000')).toBe(false);
    expect(await mfa.verifyLoginCode(accountId, leo, next)).toBe(true);
    // Replayed: refused.
    expect(await mfa.verifyLoginCode(accountId, leo, next)).toBe(false);

    // The same fresh code offered to two nodes at once: exactly one accepts it. Several nodes
    // need PostgreSQL (a SQLite installation has one server); on SQLite, one node, twice.
    clock.advance(30_000);
    const fresh = codeOf(seed, clock.now());
    const other = engine === 'postgres' ? await server.otherNode() : undefined;
    try {
      const second = other?.ramkey.mfa ?? mfa;
      const verdicts = await Promise.all([
        mfa.verifyLoginCode(accountId, leo, fresh),
        second.verifyLoginCode(accountId, leo, fresh),
      ]);
      expect(verdicts.filter(Boolean)).toHaveLength(1);
      expect(await second.verifyLoginCode(accountId, leo, fresh)).toBe(false);
      // An earlier step's code, still inside the window, is refused once a later one was used.
      expect(await second.verifyLoginCode(accountId, leo, codeOf(seed, clock.now(), -1))).toBe(false);
    } finally {
      await other?.close();
    }
    // Two steps on, a code is out of the window.
    const old = codeOf(seed, clock.now());
    clock.advance(60_000);
    expect(await mfa.verifyLoginCode(accountId, leo, old)).toBe(false);
    expect(await mfa.verifyLoginCode(accountId, leo, codeOf(seed, clock.now(), 1))).toBe(true);
  });

  it('speaks IMS: users by UserPrincipalName, paged lists', async () => {
    const { accountId, ims, userWithKey, createDevice } = await tenant();
    await userWithKey('nina');
    const upn = `nina@${accountId}.onaliyun.com`;
    const created = (
      await ims.createVirtualMFADevice(
        new ImsModule.CreateVirtualMFADeviceRequest({ virtualMFADeviceName: 'a-nina' }),
      )
    ).body?.virtualMFADevice;
    const seed = created?.base32StringSeed ?? '';
    await createDevice('b-spare');
    await createDevice('c-spare');
    await ims.bindMFADevice(
      new ImsModule.BindMFADeviceRequest({
        userPrincipalName: upn,
        serialNumber: created?.serialNumber,
        authenticationCode1: codeOf(seed, clock.now(), -1),
        authenticationCode2: codeOf(seed, clock.now()),
      }),
    );
    const info = (await ims.getUserMFAInfo(new ImsModule.GetUserMFAInfoRequest({ userPrincipalName: upn })))
      .body;
    expect(info).toMatchObject({
      isMFAEnable: true,
      MFADevice: { serialNumber: created?.serialNumber, type: 'VMFA' },
    });

    const first = (
      await ims.listVirtualMFADevices(new ImsModule.ListVirtualMFADevicesRequest({ maxItems: 2 }))
    ).body;
    expect(first?.isTruncated).toBe(true);
    expect(first?.virtualMFADevices?.virtualMFADevice?.map((d) => d.serialNumber)).toEqual([
      `acs:ram::${accountId}:mfa/a-nina`,
      `acs:ram::${accountId}:mfa/b-spare`,
    ]);
    expect(first?.virtualMFADevices?.virtualMFADevice?.[0]?.user).toMatchObject({ userPrincipalName: upn });
    const rest = (
      await ims.listVirtualMFADevices(
        new ImsModule.ListVirtualMFADevicesRequest({ maxItems: 2, marker: first?.marker }),
      )
    ).body;
    expect(rest?.isTruncated).toBe(false);
    expect(rest?.virtualMFADevices?.virtualMFADevice?.map((d) => d.serialNumber)).toEqual([
      `acs:ram::${accountId}:mfa/c-spare`,
    ]);

    const elsewhere = await sdkError(
      ims.unbindMFADevice(
        new ImsModule.UnbindMFADeviceRequest({ userPrincipalName: 'nina@1234567890123456.onaliyun.com' }),
      ),
    );
    expect(elsewhere.code).toBe('EntityNotExist.User');
    const unbound = await ims.unbindMFADevice(
      new ImsModule.UnbindMFADeviceRequest({ userPrincipalName: upn }),
    );
    expect(unbound.body?.MFADevice?.serialNumber).toBe(created?.serialNumber);
    await ims.deleteVirtualMFADevice(
      new ImsModule.DeleteVirtualMFADeviceRequest({ serialNumber: created?.serialNumber }),
    );
  });

  it('authorizes on the device and the user, hides other accounts’ devices, keeps seeds and codes out of the audit trail', async () => {
    const mine = await tenant();
    const olga = await mine.userWithKey('olga');
    const asOlga = clients(server.endpoint, olga, 'v3').ram;
    const create = (name: string) =>
      asOlga.createVirtualMFADevice(
        new RamModule.CreateVirtualMFADeviceRequest({ virtualMFADeviceName: name }),
      );
    expect((await sdkError(create('olga-phone'))).code).toBe('NoPermission');
    await mine.ram.createPolicy(
      new RamModule.CreatePolicyRequest({
        policyName: 'OwnMfaDevices',
        policyDocument: JSON.stringify({
          Version: '1',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['ram:CreateVirtualMFADevice', 'ram:BindMFADevice'],
              Resource: [`acs:ram:*:${mine.accountId}:mfa/olga-*`, `acs:ram:*:${mine.accountId}:user/olga`],
            },
          ],
        }),
      }),
    );
    await mine.ram.attachPolicyToUser(
      new RamModule.AttachPolicyToUserRequest({
        policyType: 'Custom',
        policyName: 'OwnMfaDevices',
        userName: 'olga',
      }),
    );
    const own = (await create('olga-phone')).body?.virtualMFADevice;
    expect((await sdkError(create('someone-else'))).code).toBe('NoPermission');
    const seed = own?.base32StringSeed ?? '';
    const codes = [codeOf(seed, clock.now(), -1), codeOf(seed, clock.now())] as const;
    await asOlga.bindMFADevice(
      new RamModule.BindMFADeviceRequest({
        userName: 'olga',
        serialNumber: own?.serialNumber,
        authenticationCode1: codes[0],
        authenticationCode2: codes[1],
      }),
    );
    // Unbinding needs its own right.
    expect(
      (await sdkError(asOlga.unbindMFADevice(new RamModule.UnbindMFADeviceRequest({ userName: 'olga' }))))
        .code,
    ).toBe('NoPermission');

    // Another account sees neither the device nor the user.
    const theirs = await tenant();
    const hidden = await sdkError(
      theirs.ram.deleteVirtualMFADevice(
        new RamModule.DeleteVirtualMFADeviceRequest({ serialNumber: own?.serialNumber }),
      ),
    );
    expect(hidden.code).toBe('EntityNotExist.VirtualMFADevice');
    expect((await theirs.ram.listVirtualMFADevices()).body?.virtualMFADevices?.virtualMFADevice).toEqual([]);

    await server.flush();
    const found = (await callAction(server.endpoint, mine.admin, {
      action: 'LookupEvents',
      version: '2020-07-06',
      query: { MaxResults: 50 },
    })) as { Events?: Json[] };
    const bindEvent = found.Events?.find((e) => e.eventName === 'BindMFADevice');
    expect(bindEvent?.requestParameters).toEqual({ UserName: 'olga', SerialNumber: own?.serialNumber });
    expect((found.Events ?? []).map((e) => e.eventName)).toContain('CreateVirtualMFADevice');
    const text = JSON.stringify(found);
    expect(text).not.toContain(seed);
    for (const line of server.logs) {
      expect(line).not.toContain(seed);
      expect(line).not.toContain(own?.QRCodePNG ?? '');
    }
  });
}

describeSqlite('console security and MFA devices on SQLite', () => {
  mfaSuite('sqlite');
});
await describePostgres('console security and MFA devices on PostgreSQL', () => {
  mfaSuite('postgres');
});
