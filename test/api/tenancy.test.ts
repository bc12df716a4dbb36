// Two accounts on one installation see nothing of each other: another account's users and keys
// answer exactly like missing ones, even by exact name or ID. In process; each test makes its accounts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, ImsModule, RamModule, sdkError } from '../support/sdk.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';

let server: RunningApp;

beforeAll(async () => {
  server = await startApp();
});

afterAll(async () => {
  await server.stop();
});

describe('accounts on one installation', () => {
  it('gives the new account its own ID and admin key', async () => {
    const other = await server.createAccount();
    expect(other.accountId).not.toBe(server.admin.accountId);
    const me = await clients(
      server.endpoint,
      { id: other.accessKeyId, secret: other.accessKeySecret },
      'v3',
    ).sts.getCallerIdentity();
    expect(me.body?.accountId).toBe(other.accountId);
  });

  it("answers another account's users and keys exactly like missing ones", async () => {
    const other = await server.createAccount();
    const mine = clients(
      server.endpoint,
      { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret },
      'v3',
    );
    const theirs = clients(server.endpoint, { id: other.accessKeyId, secret: other.accessKeySecret }, 'v3');
    await mine.ram.createUser(new RamModule.CreateUserRequest({ userName: 'private-app' }));
    const key = (
      await mine.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'private-app' }))
    ).body?.accessKey?.accessKeyId;

    const byName = await sdkError(
      theirs.ram.getUser(new RamModule.GetUserRequest({ userName: 'private-app' })),
    );
    const missing = await sdkError(
      theirs.ram.getUser(new RamModule.GetUserRequest({ userName: 'never-existed' })),
    );
    expect(byName.code).toBe('EntityNotExist.User');
    expect(byName.code).toBe(missing.code);
    expect(byName.statusCode).toBe(missing.statusCode);

    const byUpn = await sdkError(
      theirs.ims.listAccessKeys(
        new ImsModule.ListAccessKeysRequest({
          userPrincipalName: `private-app@${server.admin.accountId}.onaliyun.com`,
        }),
      ),
    );
    expect(byUpn.code).toBe('EntityNotExist.User');

    // The other account's admin tries to disable our key by its exact ID, as if it were its own.
    const byId = await sdkError(
      theirs.ims.updateAccessKey(
        new ImsModule.UpdateAccessKeyRequest({ userAccessKeyId: key, status: 'Inactive' }),
      ),
    );
    const unknownId = await sdkError(
      theirs.ims.updateAccessKey(
        new ImsModule.UpdateAccessKeyRequest({
          userAccessKeyId: 'LTAI0000000000000000abcd',
          status: 'Inactive',
        }),
      ),
    );
    expect(byId.code).toBe('EntityNotExist.User.AccessKey');
    expect(byId.code).toBe(unknownId.code);
    const lastUsed = await sdkError(
      theirs.ims.getAccessKeyLastUsed(new ImsModule.GetAccessKeyLastUsedRequest({ userAccessKeyId: key })),
    );
    expect(lastUsed.code).toBe('EntityNotExist.User.AccessKey');

    const theirUsers =
      (await theirs.ram.listUsers(new RamModule.ListUsersRequest({}))).body?.users?.user ?? [];
    expect(theirUsers.map((u) => u.userName)).toEqual(['admin']);
    const ourKeys = await mine.ram.listAccessKeys(
      new RamModule.ListAccessKeysRequest({ userName: 'private-app' }),
    );
    expect(ourKeys.body?.accessKeys?.accessKey?.[0]?.status).toBe('Active');
  });
});
