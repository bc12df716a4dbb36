// The AccessKey lifecycle driven by the official Alibaba Cloud SDKs against Ramkey, once with V3
// signatures (the SDK default) and once with RPC V1 (`signatureAlgorithm: 'v2'`), and pop-core.
// In process on SQLite and PostgreSQL; one smoke run against the packaged `ramkey serve`.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { startServer } from '../support/ramkey-server.js';
import {
  clients,
  Darabonba,
  ImsModule,
  OpenApiCore,
  PopRpcClient,
  RamModule,
  sdkConfig,
  sdkError,
  type Key,
  type SignatureChoice,
} from '../support/sdk.js';
import { describePostgres, describeSqlite, type Engine } from '../support/test-stores.js';

/** A user name no other test uses. */
function unique(base: string): string {
  return `${base}-${randomBytes(4).toString('hex')}`;
}

/** The whole suite, against a server keeping its state in `engine`. */
function lifecycleSuite(engine: Engine) {
  /** Every secret the server handed out: none may ever reach its log. */
  const createdSecrets: string[] = [];
  let app: RunningApp;
  let admin: Key;

  beforeAll(async () => {
    app = await startApp({ engine });
    admin = { id: app.admin.accessKeyId, secret: app.admin.accessKeySecret };
  });

  afterAll(async () => {
    await app.stop();
  });

  // Security property, checked after every test: whatever the test did (secrets created, used,
  // refused, deleted), no secret and no signature reached the server's log, which runs at debug level.
  afterEach(() => {
    const log = app.logs.join('\n');
    expect(app.logs.some((line) => line.includes('"level":20'))).toBe(true);
    expect(log).not.toContain(app.admin.accessKeySecret);
    expect(log).not.toContain(app.admin.password);
    for (const secret of createdSecrets) expect(log).not.toContain(secret);
    expect(log).not.toMatch(/Signature=|ACS3-HMAC-SHA256 Credential/);
  });

  /** Takes a key from an SDK answer, remembering its secret for the log check. */
  function keyOf(accessKey: { accessKeyId?: string; accessKeySecret?: string } | undefined): Key {
    const key = { id: accessKey?.accessKeyId ?? '', secret: accessKey?.accessKeySecret ?? '' };
    createdSecrets.push(key.secret);
    return key;
  }

  describe.each<SignatureChoice>(['v3', 'v2'])('AccessKey lifecycle with %s signatures', (signature) => {
    let asAdmin: ReturnType<typeof clients>;

    beforeAll(() => {
      asAdmin = clients(app.endpoint, admin, signature);
    });

    /** A new RAM user of the first account, with one AccessKey. */
    async function userWithKey(): Promise<{ userName: string; key: Key }> {
      const userName = unique(`app-${signature}`);
      await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName, displayName: 'App' }));
      const res = await asAdmin.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }));
      return { userName, key: keyOf(res.body?.accessKey) };
    }

    it('creates a RAM user', async () => {
      const userName = unique(`app-${signature}`);
      const res = await asAdmin.ram.createUser(
        new RamModule.CreateUserRequest({ userName, displayName: 'App' }),
      );
      expect(res.body?.user?.userName).toBe(userName);
      expect(res.body?.user?.userId).toMatch(/^\d{16}$/);
      expect(res.body?.requestId).toMatch(/^[0-9A-F-]{36}$/);
    });

    it('creates an AccessKey for the user and returns its secret once', async () => {
      const userName = unique(`app-${signature}`);
      await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName }));
      const res = await asAdmin.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }));
      const key = res.body?.accessKey;
      keyOf(key);
      expect(key?.accessKeyId).toMatch(/^LTAI[0-9A-Za-z]{20}$/);
      expect(key?.accessKeySecret).toMatch(/^[0-9A-Za-z]{30}$/);
      expect(key?.status).toBe('Active');
    });

    it('lists the key without its secret anywhere in the raw response body', async () => {
      const { userName, key: appKey } = await userWithKey();
      // callApi with bodyType "string" hands back the body exactly as received.
      const client = new OpenApiCore.default(sdkConfig(app.endpoint, admin, signature));
      const raw = (await client.callApi(
        new OpenApiCore.$OpenApiUtil.Params({
          action: 'ListAccessKeys',
          version: '2015-05-01',
          protocol: 'HTTP',
          pathname: '/',
          method: 'POST',
          authType: 'AK',
          style: 'RPC',
          reqBodyType: 'formData',
          bodyType: 'string',
        }),
        new OpenApiCore.$OpenApiUtil.OpenApiRequest({ query: { UserName: userName } }),
        new Darabonba.RuntimeOptions({}),
      )) as { body: string };
      expect(raw.body).toContain(appKey.id);
      expect(raw.body).not.toContain(appKey.secret);
      const listed = await asAdmin.ram.listAccessKeys(new RamModule.ListAccessKeysRequest({ userName }));
      expect(listed.body?.accessKeys?.accessKey?.map((k) => k.accessKeyId)).toEqual([appKey.id]);
      expect(JSON.stringify(listed.body)).not.toContain(appKey.secret);
    });

    it('lets the new key call GetCallerIdentity as that user', async () => {
      const { userName, key: appKey } = await userWithKey();
      const asApp = clients(app.endpoint, appKey, signature);
      const me = (await asApp.sts.getCallerIdentity()).body;
      expect(me?.identityType).toBe('RAMUser');
      expect(me?.accountId).toBe(app.admin.accountId);
      expect(me?.arn).toBe(`acs:ram::${app.admin.accountId}:user/${userName}`);
      expect(me?.userId).toMatch(/^\d{16}$/);
      expect(me?.principalId).toBe(me?.userId);
    });

    it('refuses a disabled key with InvalidAccessKeyId.Inactive, and accepts it again once enabled', async () => {
      const { userName, key: appKey } = await userWithKey();
      await asAdmin.ram.updateAccessKey(
        new RamModule.UpdateAccessKeyRequest({ userName, userAccessKeyId: appKey.id, status: 'Inactive' }),
      );
      const asApp = clients(app.endpoint, appKey, signature);
      const err = await sdkError(asApp.sts.getCallerIdentity());
      expect(err.code).toBe('InvalidAccessKeyId.Inactive');
      expect(err.statusCode).toBe(400);

      await asAdmin.ims.updateAccessKey(
        new ImsModule.UpdateAccessKeyRequest({
          userPrincipalName: `${userName}@${app.admin.accountId}.onaliyun.com`,
          userAccessKeyId: appKey.id,
          status: 'Active',
        }),
      );
      expect((await asApp.sts.getCallerIdentity()).body?.identityType).toBe('RAMUser');
    });

    it('rejects a Status other than Active or Inactive', async () => {
      const { userName, key: appKey } = await userWithKey();
      const err = await sdkError(
        asAdmin.ram.updateAccessKey(
          new RamModule.UpdateAccessKeyRequest({ userName, userAccessKeyId: appKey.id, status: 'Deleted' }),
        ),
      );
      expect(err.code).toBe('InvalidParameter.Status');
    });

    it('answers SignatureDoesNotMatch, with the server string to sign, for a wrong secret', async () => {
      const { key: appKey } = await userWithKey();
      const wrong = clients(
        app.endpoint,
        { id: appKey.id, secret: `${appKey.secret.slice(0, -1)}${appKey.secret.endsWith('x') ? 'y' : 'x'}` },
        signature,
      );
      const err = await sdkError(wrong.sts.getCallerIdentity());
      expect(err.code).toBe('SignatureDoesNotMatch');
      expect(err.statusCode).toBe(400);
      expect(err.message).toContain('server string to sign is:');
      expect(err.message).not.toContain(appKey.secret);
    });

    it('refuses a third live key with LimitExceeded.User.AccessKey', async () => {
      const { userName } = await userWithKey();
      const second = await asAdmin.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }));
      keyOf(second.body?.accessKey);
      const err = await sdkError(
        asAdmin.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName })),
      );
      expect(err.code).toBe('LimitExceeded.User.AccessKey');
      expect(err.statusCode).toBe(409);
      const listed = await asAdmin.ram.listAccessKeys(new RamModule.ListAccessKeysRequest({ userName }));
      expect(listed.body?.accessKeys?.accessKey).toHaveLength(2);
    });

    it('shows when and with which service the key was last used, before any flush', async () => {
      const { userName, key: appKey } = await userWithKey();
      const asApp = clients(app.endpoint, appKey, signature);
      await asApp.sts.getCallerIdentity();
      const ram = await asAdmin.ram.getAccessKeyLastUsed(
        new RamModule.GetAccessKeyLastUsedRequest({ userName, userAccessKeyId: appKey.id }),
      );
      const lastUsed = Date.parse(ram.body?.accessKeyLastUsed?.lastUsedDate ?? '');
      expect(Math.abs(app.clock.now() - lastUsed)).toBeLessThan(60_000);
      const ims = await asAdmin.ims.getAccessKeyLastUsed(
        new ImsModule.GetAccessKeyLastUsedRequest({
          userPrincipalName: `${userName}@${app.admin.accountId}.onaliyun.com`,
          userAccessKeyId: appKey.id,
        }),
      );
      expect(ims.body?.accessKeyLastUsed?.serviceName).toBe('Sts');
    });

    it('denies a user without permissions with NoPermission and creates nothing', async () => {
      const { key: appKey } = await userWithKey();
      const asApp = clients(app.endpoint, appKey, signature);
      const victim = unique(`not-created-${signature}`);
      const err = await sdkError(asApp.ram.createUser(new RamModule.CreateUserRequest({ userName: victim })));
      expect(err.code).toBe('NoPermission');
      expect(err.statusCode).toBe(403);
      expect(err.accessDeniedDetail?.AuthAction).toBe('ram:CreateUser');
      const missing = await sdkError(asAdmin.ram.getUser(new RamModule.GetUserRequest({ userName: victim })));
      expect(missing.code).toBe('EntityNotExist.User');
      const keyErr = await sdkError(asApp.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({})));
      expect(keyErr.code).toBe('NoPermission');
    });

    it('answers EntityNotExist.User for a missing user', async () => {
      const err = await sdkError(
        asAdmin.ram.getUser(new RamModule.GetUserRequest({ userName: 'nobody-here' })),
      );
      expect(err.code).toBe('EntityNotExist.User');
      expect(err.statusCode).toBe(404);
      const keys = await sdkError(
        asAdmin.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'nobody-here' })),
      );
      expect(keys.code).toBe('EntityNotExist.User');
    });

    // DeleteUser no longer refuses a user with keys (DeleteConflict.User.AccessKey): the user goes to
    // the recycle bin with them, and they stop working at once, as a deleted key does.
    it('deletes a user that still has keys into the recycle bin with them: they stop working at once', async () => {
      const { userName, key: appKey } = await userWithKey();
      const asApp = clients(app.endpoint, appKey, signature);
      expect((await asApp.sts.getCallerIdentity()).body?.arn).toContain(`user/${userName}`);
      await asAdmin.ram.deleteUser(new RamModule.DeleteUserRequest({ userName }));
      const gone = await sdkError(asApp.sts.getCallerIdentity());
      expect(gone.code).toBe('InvalidAccessKeyId.NotFound');
      expect(gone.statusCode).toBe(404);
      const missing = await sdkError(asAdmin.ram.getUser(new RamModule.GetUserRequest({ userName })));
      expect(missing.code).toBe('EntityNotExist.User');
      const info = await asAdmin.ims.getAccessKeyInfoInRecycleBin(
        new ImsModule.GetAccessKeyInfoInRecycleBinRequest({ userAccessKeyId: appKey.id }),
      );
      expect(info.body?.accessKey).toMatchObject({ accessKeyId: appKey.id, userRecycled: true });
    });

    it('deletes a key into the recycle bin: it stops working at once, and the user can then go too', async () => {
      const { userName, key: appKey } = await userWithKey();
      await asAdmin.ram.deleteAccessKey(
        new RamModule.DeleteAccessKeyRequest({ userName, userAccessKeyId: appKey.id }),
      );
      const asApp = clients(app.endpoint, appKey, signature);
      const gone = await sdkError(asApp.sts.getCallerIdentity());
      expect(gone.code).toBe('InvalidAccessKeyId.NotFound');
      expect(gone.statusCode).toBe(404);
      await asAdmin.ram.deleteUser(new RamModule.DeleteUserRequest({ userName }));
      const missing = await sdkError(asAdmin.ram.getUser(new RamModule.GetUserRequest({ userName })));
      expect(missing.code).toBe('EntityNotExist.User');
    });
  });

  describe('root identity and account-wide views', () => {
    /** A fresh account's admin key: account-wide counts and listings see only what the test made. */
    async function freshAdmin(): Promise<Key> {
      const account = await app.createAccount();
      return keyOf({ accessKeyId: account.accessKeyId, accessKeySecret: account.accessKeySecret });
    }

    it('identifies the root key as the Account, with the root ARN', async () => {
      const root: Key = {
        id: app.admin.rootAccessKeyId ?? '',
        secret: app.admin.rootAccessKeySecret ?? '',
      };
      const me = (await clients(app.endpoint, root, 'v3').sts.getCallerIdentity()).body;
      expect(me?.identityType).toBe('Account');
      expect(me?.arn).toBe(`acs:ram::${app.admin.accountId}:root`);
      expect(me?.accountId).toBe(app.admin.accountId);
    });

    it('lets IMS CreateAccessKey without a user name create a key for the caller itself', async () => {
      const own = await freshAdmin();
      const asAdmin = clients(app.endpoint, own, 'v3');
      const created = await asAdmin.ims.createAccessKey(new ImsModule.CreateAccessKeyRequest({}));
      keyOf(created.body?.accessKey);
      const listed = await asAdmin.ims.listAccessKeys(new ImsModule.ListAccessKeysRequest({}));
      const ids = listed.body?.accessKeys?.accessKey?.map((k) => k.accessKeyId);
      expect(ids).toContain(created.body?.accessKey?.accessKeyId);
      expect(ids).toContain(own.id);
      expect(listed.body?.accessKeys?.accessKey?.every((k) => typeof k.updateDate === 'string')).toBe(true);
    });

    it('reports real counts and quotas in GetAccountSummary', async () => {
      const asAdmin = clients(app.endpoint, await freshAdmin(), 'v3');
      const before = (await asAdmin.ims.getAccountSummary()).body?.summaryMap;
      await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'counted' }));
      await asAdmin.ram.createGroup(new RamModule.CreateGroupRequest({ groupName: 'counted' }));
      await asAdmin.ram.createPolicy(
        new RamModule.CreatePolicyRequest({
          policyName: 'Counted',
          policyDocument: JSON.stringify({
            Version: '1',
            Statement: [{ Effect: 'Allow', Action: 'ram:GetUser', Resource: '*' }],
          }),
        }),
      );
      const after = (await asAdmin.ims.getAccountSummary()).body?.summaryMap;
      expect(after?.users).toBe((before?.users ?? 0) + 1);
      expect(after?.groups).toBe((before?.groups ?? 0) + 1);
      expect(after?.policies).toBe((before?.policies ?? 0) + 1);
      expect(after).toMatchObject({
        accessKeysPerUserQuota: 2,
        usersQuota: 5000,
        groupsQuota: 300,
        groupsPerUserQuota: 10,
        policiesQuota: 1500,
        policySizeQuota: 6144,
        versionsPerPolicyQuota: 5,
        attachedPoliciesPerUserQuota: 10,
        attachedSystemPoliciesPerUserQuota: 20,
        roles: 0,
      });
      await asAdmin.ram.deletePolicy(new RamModule.DeletePolicyRequest({ policyName: 'Counted' }));
      await asAdmin.ram.deleteGroup(new RamModule.DeleteGroupRequest({ groupName: 'counted' }));
      await asAdmin.ram.deleteUser(new RamModule.DeleteUserRequest({ userName: 'counted' }));
    });

    it('pages ListUsers with Marker and MaxItems', async () => {
      const asAdmin = clients(app.endpoint, await freshAdmin(), 'v2');
      const names = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
      for (const userName of names)
        await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName }));
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await asAdmin.ram.listUsers(new RamModule.ListUsersRequest({ maxItems: 2, marker }));
        seen.push(...(page.body?.users?.user?.map((u) => u.userName ?? '') ?? []));
        marker = page.body?.isTruncated ? page.body.marker : undefined;
        pages++;
      } while (marker);
      expect(seen.filter((n) => n.startsWith('page-'))).toEqual(names);
      expect(new Set(seen).size).toBe(seen.length);
      expect(pages).toBeGreaterThan(2);
    });

    it('renames a user with UpdateUser, and the key follows the new name', async () => {
      const asAdmin = clients(app.endpoint, admin, 'v3');
      const oldName = unique('old-name');
      const newName = unique('new-name');
      await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName: oldName }));
      const key = keyOf(
        (await asAdmin.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: oldName }))).body
          ?.accessKey,
      );
      const asUser = clients(app.endpoint, key, 'v3');
      expect((await asUser.sts.getCallerIdentity()).body?.arn).toMatch(new RegExp(`:user/${oldName}$`));
      const updated = await asAdmin.ram.updateUser(
        new RamModule.UpdateUserRequest({ userName: oldName, newUserName: newName, newComments: 'renamed' }),
      );
      expect(updated.body?.user?.userName).toBe(newName);
      expect(updated.body?.user?.comments).toBe('renamed');
      expect((await asUser.sts.getCallerIdentity()).body?.arn).toMatch(new RegExp(`:user/${newName}$`));
    });
  });

  describe('@alicloud/pop-core', () => {
    const pop = (apiVersion: string, key: Key = admin) =>
      new PopRpcClient({
        endpoint: `http://${app.endpoint}`,
        apiVersion,
        accessKeyId: key.id,
        accessKeySecret: key.secret,
      });

    it.each(['GET', 'POST'])('runs a user and key lifecycle over %s', async (method) => {
      const ram = pop('2015-05-01');
      const userName = unique(`pop-${method.toLowerCase()}`);
      const opts = { method };
      // DisplayName and Comments exercise the signer's escaping of reserved and non-ASCII characters.
      const created = await ram.request<{ User: { UserName: string; DisplayName: string } }>(
        'CreateUser',
        { UserName: userName, DisplayName: "Pop (test)*!'~ 中文", Comments: 'a+b=c&d' },
        opts,
      );
      expect(created.User.DisplayName).toBe("Pop (test)*!'~ 中文");
      const key = await ram.request<{ AccessKey: { AccessKeyId: string; AccessKeySecret: string } }>(
        'CreateAccessKey',
        { UserName: userName },
        opts,
      );
      const asUser = pop(
        '2015-04-01',
        keyOf({ accessKeyId: key.AccessKey.AccessKeyId, accessKeySecret: key.AccessKey.AccessKeySecret }),
      );
      const me = await asUser.request<{ Arn: string }>('GetCallerIdentity', {}, opts);
      expect(me.Arn).toBe(`acs:ram::${app.admin.accountId}:user/${userName}`);
      const ims = pop('2019-08-15');
      const listed = await ims.request<{ AccessKeys: { AccessKey: { AccessKeyId: string }[] } }>(
        'ListAccessKeys',
        { UserPrincipalName: `${userName}@${app.admin.accountId}.onaliyun.com` },
        opts,
      );
      expect(listed.AccessKeys.AccessKey.map((k) => k.AccessKeyId)).toEqual([key.AccessKey.AccessKeyId]);
      await ram.request(
        'DeleteAccessKey',
        { UserName: userName, UserAccessKeyId: key.AccessKey.AccessKeyId },
        opts,
      );
      const err = (await asUser.request('GetCallerIdentity', {}, opts).catch((e: unknown) => e)) as {
        code?: string;
      };
      expect(err.code).toBe('InvalidAccessKeyId.NotFound');
      await ram.request('DeleteUser', { UserName: userName }, opts);
    });
  });
}

describeSqlite('official SDKs against Ramkey on SQLite', () => {
  lifecycleSuite('sqlite');
});
await describePostgres('official SDKs against Ramkey on PostgreSQL', () => {
  lifecycleSuite('postgres');
});

describeSqlite('official SDKs against the packaged `ramkey serve`', () => {
  it('serves a user and key lifecycle to V3 and V1 clients, and stops cleanly on SIGTERM', async () => {
    const server = await startServer();
    try {
      const admin: Key = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
      const asAdmin = clients(server.endpoint, admin, 'v3');
      await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'smoke' }));
      const made = await asAdmin.ram.createAccessKey(
        new RamModule.CreateAccessKeyRequest({ userName: 'smoke' }),
      );
      const key: Key = {
        id: made.body?.accessKey?.accessKeyId ?? '',
        secret: made.body?.accessKey?.accessKeySecret ?? '',
      };
      const me = (await clients(server.endpoint, key, 'v2').sts.getCallerIdentity()).body;
      expect(me?.arn).toBe(`acs:ram::${server.admin.accountId}:user/smoke`);
      await asAdmin.ram.deleteAccessKey(
        new RamModule.DeleteAccessKeyRequest({ userName: 'smoke', userAccessKeyId: key.id }),
      );
      expect((await sdkError(clients(server.endpoint, key, 'v2').sts.getCallerIdentity())).code).toBe(
        'InvalidAccessKeyId.NotFound',
      );
      expect(server.logs.join('\n')).not.toContain(key.secret);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
