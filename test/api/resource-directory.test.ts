// Resource directory through the official SDKs and the operator commands: from the management
// account, and only from it, a member account's key owners and audit events; everyone else gets
// what a missing entity gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { runCli } from '../support/ramkey-server.js';
import { callAction, clients, ImsModule, RamModule, sdkError } from '../support/sdk.js';

const TRAIL = '2020-07-06';
let server: RunningApp;

beforeAll(async () => {
  server = await startApp();
});
afterAll(async () => {
  await server.stop();
});

const keyOf = (a: { accessKeyId: string; accessKeySecret: string }) => ({
  id: a.accessKeyId,
  secret: a.accessKeySecret,
});

async function directoryCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(['directory', ...args, '--data', server.dataDir], server.env);
}

describe('resource directory', () => {
  it('lets the management account find member keys and read member trails, and no one else', async () => {
    const [management, member, other, outsider] = [
      await server.createAccount(),
      await server.createAccount(),
      await server.createAccount(),
      await server.createAccount(),
    ];
    expect((await directoryCli(['create', '--management', management.accountId])).code).toBe(0);
    for (const m of [member, other]) {
      const added = await directoryCli([
        'add-member',
        '--management',
        management.accountId,
        '--member',
        m.accountId,
      ]);
      expect(added.code, added.stderr).toBe(0);
    }
    // An account is in one directory at most; a missing account is refused.
    const twice = await directoryCli([
      'add-member',
      '--management',
      management.accountId,
      '--member',
      member.accountId,
    ]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('already in a resource directory');
    expect((await directoryCli(['create', '--management', '9999999999999999'])).stderr).toContain(
      'The account does not exist.',
    );
    const listed = await directoryCli(['list', '--json']);
    expect(JSON.parse(listed.stdout)).toContainEqual({
      ManagementAccountId: management.accountId,
      CreateDate: expect.any(String) as unknown,
      Members: expect.arrayContaining([
        expect.objectContaining({ AccountId: member.accountId }),
        expect.objectContaining({ AccountId: other.accountId }),
      ]) as unknown,
    });

    // A member account's user with a key that does something.
    const memberAdmin = clients(server.endpoint, keyOf(member), 'v3');
    await memberAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'payments' }));
    const created = await memberAdmin.ram.createAccessKey(
      new RamModule.CreateAccessKeyRequest({ userName: 'payments' }),
    );
    const paymentsKey = created.body?.accessKey?.accessKeyId ?? '';
    await server.flush();

    // The management account finds its owner, across the directory.
    const owner = await callAction(server.endpoint, keyOf(management), {
      action: 'GetAccessKeyOwner',
      version: '2019-08-15',
      query: { UserAccessKeyId: paymentsKey },
    });
    expect(owner).toMatchObject({
      AccessKeyOwner: { AccessKeyId: paymentsKey, AccountId: member.accountId, UserName: 'payments' },
    });
    // And reads the member's trail with MemberAccountId.
    const events = (await callAction(server.endpoint, keyOf(management), {
      action: 'LookupEvents',
      version: TRAIL,
      query: {
        MemberAccountId: member.accountId,
        LookupAttribute: [{ Key: 'EventName', Value: 'CreateUser' }],
      },
    })) as { Events: { recipientAccountId: string; requestParameters: Record<string, string> }[] };
    expect(events.Events).toHaveLength(1);
    expect(events.Events[0]).toMatchObject({
      recipientAccountId: member.accountId,
      requestParameters: { UserName: 'payments' },
    });
    // Without MemberAccountId, its own trail only.
    const own = (await callAction(server.endpoint, keyOf(management), {
      action: 'LookupEvents',
      version: TRAIL,
      query: { LookupAttribute: [{ Key: 'EventName', Value: 'CreateUser' }] },
    })) as { Events: unknown[] };
    expect(own.Events).toEqual([]);

    // Another member, and an outsider, get what a missing key gets.
    for (const asker of [other, outsider]) {
      const missing = await sdkError(
        clients(server.endpoint, keyOf(asker), 'v3').ims.getAccessKeyLastUsed(
          new ImsModule.GetAccessKeyLastUsedRequest({ userAccessKeyId: paymentsKey }),
        ),
      );
      expect(missing.code).toBe('EntityNotExist.User.AccessKey');
      await expect(
        callAction(server.endpoint, keyOf(asker), {
          action: 'GetAccessKeyOwner',
          version: '2019-08-15',
          query: { UserAccessKeyId: paymentsKey },
        }),
      ).rejects.toMatchObject({ code: 'InvalidAccessKeyId.NotFound' });
      await expect(
        callAction(server.endpoint, keyOf(asker), {
          action: 'LookupEvents',
          version: TRAIL,
          query: { MemberAccountId: member.accountId },
        }),
      ).rejects.toMatchObject({ code: 'InvalidParameter.MemberAccountId' });
    }
    // A missing account answers as a foreign one.
    await expect(
      callAction(server.endpoint, keyOf(management), {
        action: 'LookupEvents',
        version: TRAIL,
        query: { MemberAccountId: '9999999999999999' },
      }),
    ).rejects.toMatchObject({ code: 'InvalidParameter.MemberAccountId' });
    // The member itself sees its own key, not the management account's.
    await expect(
      callAction(server.endpoint, keyOf(member), {
        action: 'GetAccessKeyOwner',
        version: '2019-08-15',
        query: { UserAccessKeyId: management.accessKeyId },
      }),
    ).rejects.toMatchObject({ code: 'InvalidAccessKeyId.NotFound' });

    // Once removed, the member is out of sight again.
    expect(
      (
        await directoryCli([
          'remove-member',
          '--management',
          management.accountId,
          '--member',
          member.accountId,
        ])
      ).code,
    ).toBe(0);
    await expect(
      callAction(server.endpoint, keyOf(management), {
        action: 'GetAccessKeyOwner',
        version: '2019-08-15',
        query: { UserAccessKeyId: paymentsKey },
      }),
    ).rejects.toMatchObject({ code: 'InvalidAccessKeyId.NotFound' });
  });
});
