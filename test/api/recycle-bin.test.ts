// The recycle bin and idle-key disabling through the official IMS and RAM SDKs, against Ramkey in
// process, on SQLite and PostgreSQL: deleting keys and users into the bin, finding them there with
// their dates, restoring (Inactive), purging by hand, at the DeleteDate and across a restart, the
// 3-per-user limit, tenancy, authorization, and keys disabled after MaxIdleDaysForAccessKeys. Every
// call is signed with the server's (test) clock, so that moving it by days keeps calls fresh.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/core/clock.js';
import { generateAccessKeyId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import { startApp, TestClock, type RunningApp } from '../support/in-process-server.js';
import { callAction, clientsAt, ImsModule, RamModule, sdkError, type Key } from '../support/sdk.js';
import { describePostgres, describeSqlite, type Engine } from '../support/test-stores.js';

type Json = Record<string, unknown>;

const RETENTION_MS = 30 * DAY_MS;

/** The SDK clients of `key`, signing as of the server's clock. */
function sdk(app: RunningApp, key: Key) {
  return clientsAt(app.endpoint, key, app.clock.now());
}

function upn(accountId: string, userName: string): string {
  return `${userName}@${accountId}.onaliyun.com`;
}

/** A fresh account (tests never see each other's users and keys) and its admin key. */
async function account(app: RunningApp): Promise<{ accountId: string; admin: Key }> {
  const made = await app.createAccount();
  return { accountId: made.accountId, admin: { id: made.accessKeyId, secret: made.accessKeySecret } };
}

/** A RAM user with `count` new keys. */
async function userWithKeys(
  app: RunningApp,
  admin: Key,
  userName: string,
  count: number,
): Promise<{ userId: string; keys: Key[] }> {
  const ram = sdk(app, admin).ram;
  const created = await ram.createUser(new RamModule.CreateUserRequest({ userName }));
  const keys: Key[] = [];
  for (let i = 0; i < count; i++) keys.push(await newKey(app, admin, userName));
  return { userId: created.body?.user?.userId ?? '', keys };
}

async function newKey(app: RunningApp, admin: Key, userName: string): Promise<Key> {
  const made = await sdk(app, admin).ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }));
  return { id: made.body?.accessKey?.accessKeyId ?? '', secret: made.body?.accessKey?.accessKeySecret ?? '' };
}

async function deleteKey(app: RunningApp, admin: Key, userName: string, key: Key): Promise<void> {
  await sdk(app, admin).ram.deleteAccessKey(
    new RamModule.DeleteAccessKeyRequest({ userName, userAccessKeyId: key.id }),
  );
}

async function liveKeys(app: RunningApp, admin: Key, userName: string): Promise<Json[]> {
  const listed = await sdk(app, admin).ram.listAccessKeys(new RamModule.ListAccessKeysRequest({ userName }));
  return (listed.body?.accessKeys?.accessKey ?? []).map((k) => ({ id: k.accessKeyId, status: k.status }));
}

async function binnedKeyIds(app: RunningApp, admin: Key, userId: string): Promise<string[]> {
  const bin = await sdk(app, admin).ims.listAccessKeysInRecycleBin(
    new ImsModule.ListAccessKeysInRecycleBinRequest({ userId }),
  );
  return (bin.body?.accessKeys?.accessKey ?? []).map((k) => k.accessKeyId ?? '');
}

/** GetAccessKeyOwner's State: Live, Recycled (in the bin), or Deleted (purged for good). */
async function keyState(app: RunningApp, admin: Key, id: string): Promise<string> {
  const res = (await callAction(app.endpoint, admin, {
    action: 'GetAccessKeyOwner',
    version: '2019-08-15',
    query: { UserAccessKeyId: id },
    now: app.clock.now(),
  })) as { AccessKeyOwner: { State: string } };
  return res.AccessKeyOwner.State;
}

/** The key's events (LookupEvents by EventAccessKeyId, the last 7 days of the server's clock). */
async function eventsOf(app: RunningApp, admin: Key, accessKeyId: string): Promise<Json[]> {
  await app.flush();
  const res = (await callAction(app.endpoint, admin, {
    action: 'LookupEvents',
    version: '2020-07-06',
    query: { LookupAttribute: [{ Key: 'EventAccessKeyId', Value: accessKeyId }], MaxResults: 50 },
    now: app.clock.now(),
  })) as { Events?: Json[] };
  return res.Events ?? [];
}

/** The events a key's owner account sees from the system identity (maintenance jobs). */
function systemEvents(events: Json[]): Json[] {
  return events.filter((e) => (e.userIdentity as Json).type === 'system');
}

async function works(app: RunningApp, key: Key): Promise<string> {
  return (await sdk(app, key).sts.getCallerIdentity()).body?.arn ?? '';
}

async function refusal(app: RunningApp, key: Key): Promise<{ code: string; statusCode?: number }> {
  return sdkError(sdk(app, key).sts.getCallerIdentity());
}

function unique(base: string): string {
  return `${base}-${randomBytes(3).toString('hex')}`;
}

function recycleBinSuite(engine: Engine) {
  describe('AccessKeys in the recycle bin', () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await startApp({ engine });
    });
    afterAll(async () => {
      await app.stop();
    });

    it('deletes a key into the bin, refuses it at once, shows its dates, and restores it Inactive; enabled, it works again', async () => {
      const { accountId, admin } = await account(app);
      const name = unique('bin-app');
      const {
        userId,
        keys: [key = { id: '', secret: '' }],
      } = await userWithKeys(app, admin, name, 1);
      expect(await works(app, key)).toContain(`user/${name}`);
      const created = (await liveKeys(app, admin, name))[0];
      expect(created).toMatchObject({ id: key.id, status: 'Active' });

      const ims = sdk(app, admin).ims;
      const before = app.clock.now();
      await ims.deleteAccessKey(
        new ImsModule.DeleteAccessKeyRequest({
          userAccessKeyId: key.id,
          userPrincipalName: upn(accountId, name),
        }),
      );
      const gone = await refusal(app, key);
      expect(gone.code).toBe('InvalidAccessKeyId.NotFound');
      expect(gone.statusCode).toBe(404);
      expect(await liveKeys(app, admin, name)).toEqual([]);

      const bin = await ims.listAccessKeysInRecycleBin(
        new ImsModule.ListAccessKeysInRecycleBinRequest({ userId }),
      );
      const [item, ...others] = bin.body?.accessKeys?.accessKey ?? [];
      expect(others).toEqual([]);
      expect(item?.accessKeyId).toBe(key.id);
      const recycled = Date.parse(item?.recycleDate ?? '');
      expect(recycled).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(recycled).toBeLessThanOrEqual(app.clock.now());
      // DeleteDate = RecycleDate + 30 days, to the second.
      expect(Date.parse(item?.deleteDate ?? '') - recycled).toBe(RETENTION_MS);
      expect(item?.createDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      const info = await ims.getAccessKeyInfoInRecycleBin(
        new ImsModule.GetAccessKeyInfoInRecycleBinRequest({ userAccessKeyId: key.id }),
      );
      expect(info.body?.accessKey).toEqual({
        accessKeyId: key.id,
        userId,
        userPrincipalName: upn(accountId, name),
        userRecycled: false,
        createDate: item?.createDate,
        recycleDate: item?.recycleDate,
        deleteDate: item?.deleteDate,
      });
      expect(await keyState(app, admin, key.id)).toBe('Recycled');

      await ims.restoreAccessKeyFromRecycleBin(
        new ImsModule.RestoreAccessKeyFromRecycleBinRequest({ userAccessKeyId: key.id, userId }),
      );
      // Nothing starts working again by surprise.
      expect(await liveKeys(app, admin, name)).toEqual([{ id: key.id, status: 'Inactive' }]);
      expect((await refusal(app, key)).code).toBe('InvalidAccessKeyId.Inactive');
      expect(await binnedKeyIds(app, admin, userId)).toEqual([]);
      await ims.updateAccessKey(
        new ImsModule.UpdateAccessKeyRequest({
          userAccessKeyId: key.id,
          status: 'Active',
          userPrincipalName: upn(accountId, name),
        }),
      );
      expect(await works(app, key)).toContain(`user/${name}`);
    });

    it('purges a key for good: restoring it then fails, its ID is refused, its audit events remain', async () => {
      const { admin } = await account(app);
      const name = unique('purged');
      const {
        userId,
        keys: [key = { id: '', secret: '' }],
      } = await userWithKeys(app, admin, name, 1);
      await works(app, key);
      await deleteKey(app, admin, name, key);
      const ims = sdk(app, admin).ims;
      await ims.deleteAccessKeyInRecycleBin(
        new ImsModule.DeleteAccessKeyInRecycleBinRequest({ userAccessKeyId: key.id, userId }),
      );
      const restore = await sdkError(
        ims.restoreAccessKeyFromRecycleBin(
          new ImsModule.RestoreAccessKeyFromRecycleBinRequest({ userAccessKeyId: key.id, userId }),
        ),
      );
      expect(restore.code).toBe('EntityNotExist.User.AccessKey');
      expect(restore.statusCode).toBe(404);
      const info = await sdkError(
        ims.getAccessKeyInfoInRecycleBin(
          new ImsModule.GetAccessKeyInfoInRecycleBinRequest({ userAccessKeyId: key.id }),
        ),
      );
      expect(info.code).toBe('EntityNotExist.User.AccessKey');
      expect((await refusal(app, key)).code).toBe('InvalidAccessKeyId.NotFound');
      expect(await binnedKeyIds(app, admin, userId)).toEqual([]);
      expect(await keyState(app, admin, key.id)).toBe('Deleted');
      // What the key did stays in the trail.
      expect((await eventsOf(app, admin, key.id)).map((e) => e.eventName)).toContain('GetCallerIdentity');
    });

    it('restores a key only while its user has a free slot (LimitExceeded.User.AccessKey)', async () => {
      const { admin } = await account(app);
      const name = unique('full');
      const {
        userId,
        keys: [first = { id: '', secret: '' }],
      } = await userWithKeys(app, admin, name, 1);
      await deleteKey(app, admin, name, first);
      await newKey(app, admin, name);
      const second = await newKey(app, admin, name);
      const ims = sdk(app, admin).ims;
      const restore = () =>
        ims.restoreAccessKeyFromRecycleBin(
          new ImsModule.RestoreAccessKeyFromRecycleBinRequest({ userAccessKeyId: first.id, userId }),
        );
      const full = await sdkError(restore());
      expect(full.code).toBe('LimitExceeded.User.AccessKey');
      expect(full.statusCode).toBe(409);
      expect(await binnedKeyIds(app, admin, userId)).toEqual([first.id]);
      await deleteKey(app, admin, name, second);
      await restore();
      expect((await liveKeys(app, admin, name)).map((k) => k.id)).toContain(first.id);
    });

    it('keeps 3 deleted keys per user: deleting a 4th purges the oldest deleted for good', async () => {
      const { admin } = await account(app);
      const name = unique('four');
      const { userId } = await userWithKeys(app, admin, name, 0);
      const deleted: Key[] = [];
      for (let i = 0; i < 4; i++) {
        const key = await newKey(app, admin, name);
        await deleteKey(app, admin, name, key);
        deleted.push(key);
      }
      const [oldest = { id: '', secret: '' }, ...kept] = deleted;
      expect(await binnedKeyIds(app, admin, userId)).toEqual(kept.map((k) => k.id));
      const ims = sdk(app, admin).ims;
      const restore = await sdkError(
        ims.restoreAccessKeyFromRecycleBin(
          new ImsModule.RestoreAccessKeyFromRecycleBinRequest({ userAccessKeyId: oldest.id, userId }),
        ),
      );
      expect(restore.code).toBe('EntityNotExist.User.AccessKey');
      expect(await keyState(app, admin, oldest.id)).toBe('Deleted');
      expect((await refusal(app, oldest)).code).toBe('InvalidAccessKeyId.NotFound');
    });

    // Tenancy: another account's key in the bin is exactly a missing key, whatever the action.
    it("answers another account's key in the bin exactly like a missing one", async () => {
      const a = await account(app);
      const b = await account(app);
      const name = unique('theirs');
      const {
        userId,
        keys: [key = { id: '', secret: '' }],
      } = await userWithKeys(app, a.admin, name, 1);
      await deleteKey(app, a.admin, name, key);
      const ims = sdk(app, b.admin).ims;
      for (const id of [key.id, generateAccessKeyId(cryptoRandom)]) {
        const info = await sdkError(
          ims.getAccessKeyInfoInRecycleBin(
            new ImsModule.GetAccessKeyInfoInRecycleBinRequest({ userAccessKeyId: id }),
          ),
        );
        expect([info.code, info.statusCode]).toEqual(['EntityNotExist.User.AccessKey', 404]);
        // One call at a time: each is sent only when it is awaited.
        for (const call of [
          () =>
            ims.restoreAccessKeyFromRecycleBin(
              new ImsModule.RestoreAccessKeyFromRecycleBinRequest({ userAccessKeyId: id }),
            ),
          () =>
            ims.deleteAccessKeyInRecycleBin(
              new ImsModule.DeleteAccessKeyInRecycleBinRequest({ userAccessKeyId: id }),
            ),
        ]) {
          expect((await sdkError(call())).code).toBe('EntityNotExist.User.AccessKey');
        }
      }
      // Naming the other account's user is naming no user.
      const byUser = await sdkError(
        ims.deleteAccessKeyInRecycleBin(
          new ImsModule.DeleteAccessKeyInRecycleBinRequest({ userAccessKeyId: key.id, userId }),
        ),
      );
      expect(byUser.code).toBe('EntityNotExist.User');
      expect(
        (
          await sdkError(
            ims.listAccessKeysInRecycleBin(new ImsModule.ListAccessKeysInRecycleBinRequest({ userId })),
          )
        ).code,
      ).toBe('EntityNotExist.User');
      expect(await binnedKeyIds(app, a.admin, userId)).toEqual([key.id]);
    });
  });

  describe('users in the recycle bin', () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await startApp({ engine });
    });
    afterAll(async () => {
      await app.stop();
    });

    it('deletes a user into the bin with its keys, finds it there, and restores it with them, Inactive', async () => {
      const { accountId, admin } = await account(app);
      const name = unique('leaver');
      const { userId } = await userWithKeys(app, admin, name, 0);
      const earlier = await newKey(app, admin, name);
      await deleteKey(app, admin, name, earlier);
      const active = await newKey(app, admin, name);
      const inactive = await newKey(app, admin, name);
      const { ram, ims } = sdk(app, admin);
      await ram.updateAccessKey(
        new RamModule.UpdateAccessKeyRequest({
          userName: name,
          userAccessKeyId: inactive.id,
          status: 'Inactive',
        }),
      );
      await works(app, active);

      await ram.deleteUser(new RamModule.DeleteUserRequest({ userName: name }));
      expect((await refusal(app, active)).code).toBe('InvalidAccessKeyId.NotFound');
      expect((await sdkError(ram.getUser(new RamModule.GetUserRequest({ userName: name })))).code).toBe(
        'EntityNotExist.User',
      );
      const listed = await ram.listUsers(new RamModule.ListUsersRequest({}));
      expect(listed.body?.users?.user?.map((u) => u.userName)).not.toContain(name);

      const inBin = await ims.listUsersInRecycleBin(new ImsModule.ListUsersInRecycleBinRequest({}));
      const [user, ...others] = inBin.body?.users?.user ?? [];
      expect(others).toEqual([]);
      expect(inBin.body?.isTruncated).toBe(false);
      expect(user).toMatchObject({ userId, userPrincipalName: upn(accountId, name), displayName: name });
      expect(Date.parse(user?.deleteDate ?? '') - Date.parse(user?.recycleDate ?? '')).toBe(RETENTION_MS);
      const filtered = await ims.listUsersInRecycleBin(
        new ImsModule.ListUsersInRecycleBinRequest({
          filter: `UserPrincipalName eq ${upn(accountId, name)}`,
        }),
      );
      expect(filtered.body?.users?.user).toEqual([user]);
      const elsewhere = await ims.listUsersInRecycleBin(
        new ImsModule.ListUsersInRecycleBinRequest({
          filter: `UserPrincipalName eq ${upn('1234567890123456', name)}`,
        }),
      );
      expect(elsewhere.body?.users?.user).toEqual([]);
      const badFilter = await sdkError(
        ims.listUsersInRecycleBin(
          new ImsModule.ListUsersInRecycleBinRequest({ filter: `UserName = ${name}` }),
        ),
      );
      expect(badFilter.code).toBe('InvalidParameter.Filter');
      expect(
        (await ims.getUserInRecycleBin(new ImsModule.GetUserInRecycleBinRequest({ userId }))).body?.user,
      ).toEqual(user);
      expect(
        (
          await ims.getUserInRecycleBin(
            new ImsModule.GetUserInRecycleBinRequest({ userAccessKeyId: active.id }),
          )
        ).body?.user,
      ).toEqual(user);
      const info = await ims.getAccessKeyInfoInRecycleBin(
        new ImsModule.GetAccessKeyInfoInRecycleBinRequest({ userAccessKeyId: active.id }),
      );
      expect(info.body?.accessKey).toMatchObject({
        userId,
        userPrincipalName: upn(accountId, name),
        userRecycled: true,
      });
      expect((await binnedKeyIds(app, admin, userId)).sort()).toEqual(
        [earlier.id, active.id, inactive.id].sort(),
      );

      // A key of a user in the bin comes back with its user, not alone; and the name stays taken.
      const alone = await sdkError(
        ims.restoreAccessKeyFromRecycleBin(
          new ImsModule.RestoreAccessKeyFromRecycleBinRequest({ userAccessKeyId: active.id, userId }),
        ),
      );
      expect(alone.code).toBe('EntityNotExist.User');
      const taken = await sdkError(ram.createUser(new RamModule.CreateUserRequest({ userName: name })));
      expect([taken.code, taken.statusCode]).toEqual(['EntityAlreadyExists.User', 409]);

      await ims.restoreUserFromRecycleBin(new ImsModule.RestoreUserFromRecycleBinRequest({ userId }));
      expect((await ram.getUser(new RamModule.GetUserRequest({ userName: name }))).body?.user?.userId).toBe(
        userId,
      );
      expect(
        (await liveKeys(app, admin, name)).sort((x, y) => String(x.id).localeCompare(String(y.id))),
      ).toEqual(
        [
          { id: active.id, status: 'Inactive' },
          { id: inactive.id, status: 'Inactive' },
        ].sort((x, y) => x.id.localeCompare(y.id)),
      );
      // The key deleted on its own before the user stays in the bin.
      expect(await binnedKeyIds(app, admin, userId)).toEqual([earlier.id]);
      expect(
        (await ims.listUsersInRecycleBin(new ImsModule.ListUsersInRecycleBinRequest({}))).body?.users?.user,
      ).toEqual([]);
      expect((await refusal(app, active)).code).toBe('InvalidAccessKeyId.Inactive');
      await ram.updateAccessKey(
        new RamModule.UpdateAccessKeyRequest({
          userName: name,
          userAccessKeyId: active.id,
          status: 'Active',
        }),
      );
      expect(await works(app, active)).toContain(`user/${name}`);
    });

    it('purges a user in the bin with all its keys; its name is then free', async () => {
      const { admin } = await account(app);
      const name = unique('gone');
      const {
        userId,
        keys: [key = { id: '', secret: '' }, other = { id: '', secret: '' }],
      } = await userWithKeys(app, admin, name, 2);
      await deleteKey(app, admin, name, other);
      const { ram, ims } = sdk(app, admin);
      await ram.deleteUser(new RamModule.DeleteUserRequest({ userName: name }));
      await ims.deleteUserInRecycleBin(new ImsModule.DeleteUserInRecycleBinRequest({ userId }));
      for (const call of [
        () => ims.getUserInRecycleBin(new ImsModule.GetUserInRecycleBinRequest({ userId })),
        () => ims.restoreUserFromRecycleBin(new ImsModule.RestoreUserFromRecycleBinRequest({ userId })),
        () => ims.deleteUserInRecycleBin(new ImsModule.DeleteUserInRecycleBinRequest({ userId })),
      ]) {
        expect((await sdkError(call())).code).toBe('EntityNotExist.User');
      }
      for (const k of [key, other]) {
        expect(await keyState(app, admin, k.id)).toBe('Deleted');
        expect((await refusal(app, k)).code).toBe('InvalidAccessKeyId.NotFound');
      }
      const again = await ram.createUser(new RamModule.CreateUserRequest({ userName: name }));
      expect(again.body?.user?.userId).not.toBe(userId);
      expect(await liveKeys(app, admin, name)).toEqual([]);
    });

    it("deletes by IMS logon name or UserId (one of them), keeps RAM's group and policy conflicts, and finds nothing of another account", async () => {
      const { accountId, admin } = await account(app);
      const other = await account(app);
      const { ram, ims } = sdk(app, admin);
      const byName = unique('by-upn');
      const byId = unique('by-id');
      await userWithKeys(app, admin, byName, 1);
      const { userId } = await userWithKeys(app, admin, byId, 1);
      await ims.deleteUser(new ImsModule.DeleteUserRequest({ userPrincipalName: upn(accountId, byName) }));
      await ims.deleteUser(new ImsModule.DeleteUserRequest({ userId }));
      const binned = await ims.listUsersInRecycleBin(new ImsModule.ListUsersInRecycleBinRequest({}));
      expect(binned.body?.users?.user?.map((u) => u.userPrincipalName).sort()).toEqual(
        [upn(accountId, byName), upn(accountId, byId)].sort(),
      );
      const both = await sdkError(
        ims.deleteUser(
          new ImsModule.DeleteUserRequest({ userId, userPrincipalName: upn(accountId, byName) }),
        ),
      );
      expect(both.code).toBe('InvalidParameter.Exclusive');
      expect((await sdkError(ims.deleteUser(new ImsModule.DeleteUserRequest({})))).code).toBe(
        'MissingParameter',
      );
      // Another account's user, by logon name or by ID, is no user of this account.
      const theirs = unique('theirs');
      const their = await userWithKeys(app, other.admin, theirs, 0);
      expect(
        (
          await sdkError(
            ims.deleteUser(
              new ImsModule.DeleteUserRequest({ userPrincipalName: upn(other.accountId, theirs) }),
            ),
          )
        ).code,
      ).toBe('EntityNotExist.User');
      expect(
        (await sdkError(ims.deleteUser(new ImsModule.DeleteUserRequest({ userId: their.userId })))).code,
      ).toBe('EntityNotExist.User');

      const member = unique('member');
      await ram.createUser(new RamModule.CreateUserRequest({ userName: member }));
      const groupName = unique('group');
      await ram.createGroup(new RamModule.CreateGroupRequest({ groupName }));
      await ram.addUserToGroup(new RamModule.AddUserToGroupRequest({ userName: member, groupName }));
      expect(
        (await sdkError(ram.deleteUser(new RamModule.DeleteUserRequest({ userName: member })))).code,
      ).toBe('DeleteConflict.User.Group');
      expect(
        (
          await sdkError(
            ims.deleteUser(new ImsModule.DeleteUserRequest({ userPrincipalName: upn(accountId, member) })),
          )
        ).code,
      ).toBe('DeleteConflict.User.Group');
      await ram.removeUserFromGroup(
        new RamModule.RemoveUserFromGroupRequest({ userName: member, groupName }),
      );
      await ram.attachPolicyToUser(
        new RamModule.AttachPolicyToUserRequest({
          policyType: 'System',
          policyName: 'ReadOnlyAccess',
          userName: member,
        }),
      );
      expect(
        (await sdkError(ram.deleteUser(new RamModule.DeleteUserRequest({ userName: member })))).code,
      ).toBe('DeleteConflict.User.Policy');
      expect(
        (await ram.getUser(new RamModule.GetUserRequest({ userName: member }))).body?.user?.userName,
      ).toBe(member);
    });

    it('authorizes the bin actions as ram:<Action> on *, and IMS DeleteUser by UserId on the named user', async () => {
      const { accountId, admin } = await account(app);
      const { ram } = sdk(app, admin);
      const operator = unique('operator');
      const {
        keys: [operatorKey = { id: '', secret: '' }],
      } = await userWithKeys(app, admin, operator, 1);
      const policyName = unique('DeleteApps');
      await ram.createPolicy(
        new RamModule.CreatePolicyRequest({
          policyName,
          policyDocument: JSON.stringify({
            Version: '1',
            Statement: [
              { Effect: 'Allow', Action: 'ram:DeleteUser', Resource: `acs:ram:*:${accountId}:user/app-*` },
              { Effect: 'Allow', Action: 'ram:GetUserInRecycleBin', Resource: '*' },
            ],
          }),
        }),
      );
      await ram.attachPolicyToUser(
        new RamModule.AttachPolicyToUserRequest({ policyType: 'Custom', policyName, userName: operator }),
      );
      const app1 = await userWithKeys(app, admin, 'app-1', 0);
      const target = await userWithKeys(app, admin, 'target', 0);
      const asOperator = sdk(app, operatorKey).ims;
      await asOperator.deleteUser(new ImsModule.DeleteUserRequest({ userId: app1.userId }));
      expect(
        (
          await asOperator.getUserInRecycleBin(
            new ImsModule.GetUserInRecycleBinRequest({ userId: app1.userId }),
          )
        ).body?.user?.userId,
      ).toBe(app1.userId);
      const refused = await sdkError(
        asOperator.deleteUser(new ImsModule.DeleteUserRequest({ userId: target.userId })),
      );
      expect(refused.code).toBe('NoPermission');
      expect(refused.accessDeniedDetail).toMatchObject({
        AuthAction: 'ram:DeleteUser',
        AuthResource: `acs:ram:*:${accountId}:user/target`,
      });
      const notGranted = await sdkError(
        asOperator.restoreUserFromRecycleBin(
          new ImsModule.RestoreUserFromRecycleBinRequest({ userId: app1.userId }),
        ),
      );
      expect(notGranted.accessDeniedDetail).toMatchObject({
        AuthAction: 'ram:RestoreUserFromRecycleBin',
        AuthResource: '*',
      });
      expect(
        (await ram.getUser(new RamModule.GetUserRequest({ userName: 'target' }))).body?.user?.userId,
      ).toBe(target.userId);
    });
  });

  describe('the purge at the DeleteDate', () => {
    let app: RunningApp | undefined;
    let restarted: RunningApp | undefined;
    afterEach(async () => {
      if (restarted) {
        await restarted.stop();
      } else {
        await app?.stop();
      }
      app = restarted = undefined;
    });

    it('purges a key when its DeleteDate passes, with a system audit event, and not a minute before', async () => {
      app = await startApp({ engine });
      const { admin } = await account(app);
      const name = unique('due');
      const {
        userId,
        keys: [key = { id: '', secret: '' }],
      } = await userWithKeys(app, admin, name, 1);
      await deleteKey(app, admin, name, key);
      const info = await sdk(app, admin).ims.getAccessKeyInfoInRecycleBin(
        new ImsModule.GetAccessKeyInfoInRecycleBinRequest({ userAccessKeyId: key.id }),
      );
      const deleteDate = Date.parse(info.body?.accessKey?.deleteDate ?? '');

      app.clock.advance(deleteDate - app.clock.now() - 60_000);
      expect((await app.maintenance()).purged).toEqual({ keys: 0, users: 0 });
      expect(await binnedKeyIds(app, admin, userId)).toEqual([key.id]);

      app.clock.advance(2 * 60_000);
      // Past its DeleteDate the key is out of the bin even before the job has run...
      expect(await binnedKeyIds(app, admin, userId)).toEqual([]);
      expect(await keyState(app, admin, key.id)).toBe('Recycled');
      // ... and the job purges it for good.
      expect((await app.maintenance()).purged).toEqual({ keys: 1, users: 0 });
      expect(await keyState(app, admin, key.id)).toBe('Deleted');
      const [event, ...more] = systemEvents(await eventsOf(app, admin, key.id));
      expect(more).toEqual([]);
      expect(event).toMatchObject({
        eventName: 'DeleteAccessKeyInRecycleBin',
        eventRW: 'Write',
        userIdentity: { type: 'system', userName: 'ramkey', accessKeyId: key.id },
        requestParameters: { UserAccessKeyId: key.id, UserId: userId, Reason: 'DeleteDateReached' },
      });
      // A second run finds nothing more to do and records nothing more.
      expect((await app.maintenance()).purged).toEqual({ keys: 0, users: 0 });
      expect(systemEvents(await eventsOf(app, admin, key.id))).toHaveLength(1);
    });

    it('purges at start-up what came due while no server ran: keys and users with theirs', async () => {
      app = await startApp({ engine });
      const { admin } = await account(app);
      const keyOwner = unique('restart-k');
      const {
        keys: [key = { id: '', secret: '' }],
      } = await userWithKeys(app, admin, keyOwner, 1);
      await deleteKey(app, admin, keyOwner, key);
      const leaver = unique('restart-u');
      const {
        userId,
        keys: [userKey = { id: '', secret: '' }],
      } = await userWithKeys(app, admin, leaver, 1);
      await sdk(app, admin).ram.deleteUser(new RamModule.DeleteUserRequest({ userName: leaver }));
      await app.stop({ keepData: true });

      // A new server on the same database, 30 days and a minute later: no maintenance call here.
      const clock = new TestClock(app.clock.offset + RETENTION_MS + 60_000);
      restarted = await startApp({ engine, clock, reuse: app });
      expect(await keyState(restarted, admin, key.id)).toBe('Deleted');
      expect(await keyState(restarted, admin, userKey.id)).toBe('Deleted');
      const ims = sdk(restarted, admin).ims;
      expect(
        (await sdkError(ims.getUserInRecycleBin(new ImsModule.GetUserInRecycleBinRequest({ userId })))).code,
      ).toBe('EntityNotExist.User');
      expect(systemEvents(await eventsOf(restarted, admin, key.id))).toMatchObject([
        { eventName: 'DeleteAccessKeyInRecycleBin', userIdentity: { type: 'system' } },
      ]);
      // The user's purge is one event, naming the user.
      await restarted.flush();
      const userEvents = (await callAction(restarted.endpoint, admin, {
        action: 'LookupEvents',
        version: '2020-07-06',
        query: { LookupAttribute: [{ Key: 'EventName', Value: 'DeleteUserInRecycleBin' }] },
        now: restarted.clock.now(),
      })) as { Events: Json[] };
      expect(userEvents.Events).toMatchObject([
        {
          userIdentity: { type: 'system', userName: 'ramkey' },
          requestParameters: { UserId: userId, UserName: leaver, Reason: 'DeleteDateReached' },
        },
      ]);
      // Its name is free again.
      await sdk(restarted, admin).ram.createUser(new RamModule.CreateUserRequest({ userName: leaver }));
    });
  });

  describe('idle AccessKeys', () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await startApp({ engine });
    });
    afterAll(async () => {
      await app.stop();
    });

    /** Moves the server's clock to `days` days after `origin`. */
    function toDay(origin: number, days: number): void {
      app.clock.advance(origin + days * DAY_MS - app.clock.now());
    }

    // One test: it moves the server's clock by years, which every key of the app sees.
    it('disables keys unused for MaxIdleDaysForAccessKeys (730 by default, never-used ones from creation) once a day, auditing each; a key used on day 729 stays Active', async () => {
      const { admin } = await account(app);
      const name = unique('idle');
      const {
        keys: [never = { id: '', secret: '' }, used = { id: '', secret: '' }],
      } = await userWithKeys(app, admin, name, 2);
      // Day 0: both keys exist by now (a never-used key is idle from its creation).
      const day0 = app.clock.now();

      toDay(day0, 729);
      expect(await works(app, used)).toContain(`user/${name}`);
      await liveKeys(app, admin, name); // the admin's own key is used too
      toDay(day0, 730);
      const run = await app.maintenance();
      expect(run.disabledIdleKeys).toBeGreaterThanOrEqual(1);
      expect(await liveKeys(app, admin, name)).toEqual([
        { id: never.id, status: 'Inactive' },
        { id: used.id, status: 'Active' },
      ]);
      expect((await refusal(app, never)).code).toBe('InvalidAccessKeyId.Inactive');
      expect(await works(app, used)).toContain(`user/${name}`);
      const [event, ...more] = systemEvents(await eventsOf(app, admin, never.id));
      expect(more).toEqual([]);
      expect(event).toMatchObject({
        eventName: 'UpdateAccessKey',
        userIdentity: { type: 'system', userName: 'ramkey', accessKeyId: never.id },
        requestParameters: {
          UserAccessKeyId: never.id,
          Status: 'Inactive',
          Reason: 'MaxIdleDaysForAccessKeys',
          MaxIdleDaysForAccessKeys: '730',
          LastUsedDate: '',
        },
      });
      // Once a day: another run the same day is not this node's to make.
      expect((await app.maintenance()).disabledIdleKeys).toBeUndefined();

      // 730 days after its last use (the call just made, on day 730), the other key goes too; the
      // admin keeps using its own.
      toDay(day0, 730 + 729);
      await liveKeys(app, admin, name);
      expect((await app.maintenance()).disabledIdleKeys).toBe(0);
      toDay(day0, 730 + 730);
      app.clock.advance(60_000);
      expect((await app.maintenance()).disabledIdleKeys).toBeGreaterThanOrEqual(1);
      expect(await liveKeys(app, admin, name)).toEqual([
        { id: never.id, status: 'Inactive' },
        { id: used.id, status: 'Inactive' },
      ]);

      // The account's own setting decides: 90 days. (The installed IMS SDK's SetSecurityPreferenceRequest
      // has no MaxIdleDaysForAccessKeys field yet; the generic callApi sends it as newer SDKs do.)
      await callAction(app.endpoint, admin, {
        action: 'SetSecurityPreference',
        version: '2019-08-15',
        query: { MaxIdleDaysForAccessKeys: 90 },
        now: app.clock.now(),
      });
      const preference = await sdk(app, admin).ims.getSecurityPreference();
      expect(preference.body?.securityPreference?.maxIdleDays?.maxIdleDaysForAccessKeys).toBe(90);
      const shortName = unique('idle-90');
      const {
        keys: [fresh = { id: '', secret: '' }],
      } = await userWithKeys(app, admin, shortName, 1);
      const origin = app.clock.now();
      toDay(origin, 89);
      await liveKeys(app, admin, shortName);
      expect((await app.maintenance()).disabledIdleKeys).toBe(0);
      toDay(origin, 90);
      expect((await app.maintenance()).disabledIdleKeys).toBeGreaterThanOrEqual(1);
      expect(await liveKeys(app, admin, shortName)).toEqual([{ id: fresh.id, status: 'Inactive' }]);
      expect(systemEvents(await eventsOf(app, admin, fresh.id))).toMatchObject([
        { requestParameters: { MaxIdleDaysForAccessKeys: '90' } },
      ]);
    });
  });
}

describeSqlite('the recycle bin and idle keys through the official SDKs, on SQLite', () => {
  recycleBinSuite('sqlite');
});
await describePostgres('the recycle bin and idle keys through the official SDKs, on PostgreSQL', () => {
  recycleBinSuite('postgres');
});
