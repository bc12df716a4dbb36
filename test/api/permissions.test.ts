// Least privilege through the official SDKs: system and custom policies, groups, explicit Deny with
// source-IP conditions, the AllowUserToManageAccessKeys preference, and tenant isolation. In process,
// each test in an account of its own.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1 } from '../../src/core/signature/index.js';
import { clients, ImsModule, RamModule, sdkError, type Key } from '../support/sdk.js';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { runCli } from '../support/ramkey-server.js';

let server: RunningApp;

beforeAll(async () => {
  server = await startApp();
});

afterAll(async () => {
  await server.stop();
});

/** An account of its own (policies, groups and preferences are account-wide), and helpers in it. */
interface Tenant {
  accountId: string;
  adminKey: Key;
  admin: ReturnType<typeof clients>;
  /** A new RAM user with one key, and SDK clients signing with that key. */
  userWithKey: (userName: string) => Promise<{ key: Key; as: ReturnType<typeof clients> }>;
  attach: (userName: string, policyName: string, policyType: 'System' | 'Custom') => Promise<void>;
  createPolicy: (policyName: string, document: unknown) => Promise<void>;
}

async function tenant(): Promise<Tenant> {
  const account = await server.createAccount();
  const adminKey = { id: account.accessKeyId, secret: account.accessKeySecret };
  const admin = clients(server.endpoint, adminKey, 'v3');
  return {
    accountId: account.accountId,
    adminKey,
    admin,
    userWithKey: async (userName) => {
      await admin.ram.createUser(new RamModule.CreateUserRequest({ userName }));
      const created = await admin.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }));
      const key = {
        id: created.body?.accessKey?.accessKeyId ?? '',
        secret: created.body?.accessKey?.accessKeySecret ?? '',
      };
      return { key, as: clients(server.endpoint, key, 'v3') };
    },
    attach: async (userName, policyName, policyType) => {
      await admin.ram.attachPolicyToUser(
        new RamModule.AttachPolicyToUserRequest({ userName, policyName, policyType }),
      );
    },
    createPolicy: async (policyName, document) => {
      await admin.ram.createPolicy(
        new RamModule.CreatePolicyRequest({ policyName, policyDocument: JSON.stringify(document) }),
      );
    },
  };
}

/** Only the deny of OnlyFrom127002: every address but 127.0.0.2 is refused. */
const ONLY_FROM_127_0_0_2 = {
  Version: '1',
  Statement: [
    {
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { NotIpAddress: { 'acs:SourceIp': '127.0.0.2/32' } },
    },
  ],
};

/** Calls GetUser signed with `key`, from the given local address (127.0.0.x are all this machine). */
function getUserFrom(
  localAddress: string,
  key: Key,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const signed = signRpcV1({
    method: 'GET',
    params: { Action: 'GetUser', Version: '2015-05-01', UserName: 'admin', Format: 'JSON' },
    accessKeyId: key.id,
    secret: key.secret,
    nonce: randomUUID(),
    timestamp: toWireDate(Date.now()),
  });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path: `/?${signed.query}`, localAddress },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('permissions through policies', () => {
  it('lets a user with AliyunRAMReadOnlyAccess list but not create', async () => {
    const { userWithKey, attach } = await tenant();
    const { as } = await userWithKey('reader');
    await attach('reader', 'AliyunRAMReadOnlyAccess', 'System');
    const users = await as.ram.listUsers(new RamModule.ListUsersRequest({}));
    expect(users.body?.users?.user?.map((u) => u.userName)).toContain('reader');
    const err = await sdkError(as.ram.createUser(new RamModule.CreateUserRequest({ userName: 'by-reader' })));
    expect(err.code).toBe('NoPermission');
    expect(err.accessDeniedDetail?.NoPermissionType).toBe('ImplicitDeny');
    expect(err.accessDeniedDetail?.AuthAction).toBe('ram:CreateUser');
  });

  it('applies a custom policy scoped to user/app-* by resource', async () => {
    const { accountId, admin, userWithKey, attach, createPolicy } = await tenant();
    await createPolicy('KeysForApps', {
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: 'ram:CreateAccessKey', Resource: `acs:ram:*:${accountId}:user/app-*` },
      ],
    });
    const { as } = await userWithKey('key-operator');
    await attach('key-operator', 'KeysForApps', 'Custom');
    await admin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'app-1' }));
    await admin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'web-1' }));

    const created = await as.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'app-1' }));
    expect(created.body?.accessKey?.accessKeyId).toMatch(/^LTAI/);
    const denied = await sdkError(
      as.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'web-1' })),
    );
    expect(denied.code).toBe('NoPermission');
    expect(denied.accessDeniedDetail).toMatchObject({
      AuthAction: 'ram:CreateAccessKey',
      AuthResource: `acs:ram:*:${accountId}:user/web-1`,
      AuthPrincipalDisplayName: 'key-operator',
      NoPermissionType: 'ImplicitDeny',
    });
    const webKeys = await admin.ram.listAccessKeys(
      new RamModule.ListAccessKeysRequest({ userName: 'web-1' }),
    );
    expect(webKeys.body?.accessKeys?.accessKey).toEqual([]);
  });

  it('authorizes AttachPolicyToUser on the user and on the policy: both must be allowed', async () => {
    const { accountId, admin, createPolicy, userWithKey, attach } = await tenant();
    const arn = (type: string, name: string) => `acs:ram:*:${accountId}:${type}/${name}`;
    await createPolicy('AttachReadOnlyToSelf', {
      Version: '1',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'ram:AttachPolicyToUser',
          Resource: [arn('user', 'attacher'), arn('policy', 'ReadOnlyAccess')],
        },
      ],
    });
    const { as } = await userWithKey('attacher');
    await attach('attacher', 'AttachReadOnlyToSelf', 'Custom');

    const denied = await sdkError(
      as.ram.attachPolicyToUser(
        new RamModule.AttachPolicyToUserRequest({
          userName: 'attacher',
          policyName: 'AdministratorAccess',
          policyType: 'System',
        }),
      ),
    );
    expect(denied.code).toBe('NoPermission');
    expect(denied.accessDeniedDetail).toMatchObject({ AuthResource: arn('policy', 'AdministratorAccess') });
    await as.ram.attachPolicyToUser(
      new RamModule.AttachPolicyToUserRequest({
        userName: 'attacher',
        policyName: 'ReadOnlyAccess',
        policyType: 'System',
      }),
    );
    const attached = await admin.ram.listPoliciesForUser(
      new RamModule.ListPoliciesForUserRequest({ userName: 'attacher' }),
    );
    expect(attached.body?.policies?.policy?.map((p) => p.policyName).sort()).toEqual([
      'AttachReadOnlyToSelf',
      'ReadOnlyAccess',
    ]);
  });

  it('applies a group policy to its members, and stops when the user leaves the group', async () => {
    const { admin, userWithKey } = await tenant();
    const { as } = await userWithKey('member');
    await admin.ram.createGroup(
      new RamModule.CreateGroupRequest({ groupName: 'auditors', comments: 'read only' }),
    );
    await admin.ram.attachPolicyToGroup(
      new RamModule.AttachPolicyToGroupRequest({
        groupName: 'auditors',
        policyName: 'ReadOnlyAccess',
        policyType: 'System',
      }),
    );
    expect((await sdkError(as.ram.listUsers(new RamModule.ListUsersRequest({})))).code).toBe('NoPermission');
    await admin.ram.addUserToGroup(
      new RamModule.AddUserToGroupRequest({ userName: 'member', groupName: 'auditors' }),
    );
    expect(
      (await as.ram.listUsers(new RamModule.ListUsersRequest({}))).body?.users?.user?.length,
    ).toBeGreaterThan(0);
    const groups = await admin.ram.listGroupsForUser(
      new RamModule.ListGroupsForUserRequest({ userName: 'member' }),
    );
    expect(groups.body?.groups?.group?.map((g) => g.groupName)).toEqual(['auditors']);
    await admin.ram.removeUserFromGroup(
      new RamModule.RemoveUserFromGroupRequest({ userName: 'member', groupName: 'auditors' }),
    );
    expect((await sdkError(as.ram.listUsers(new RamModule.ListUsersRequest({})))).code).toBe('NoPermission');
  });

  // Security property: an explicit Deny wins over AdministratorAccess.
  it('blocks calls from other addresses with an explicit Deny on NotIpAddress acs:SourceIp', async () => {
    const { userWithKey, attach, createPolicy } = await tenant();
    const { key } = await userWithKey('pinned');
    await attach('pinned', 'AdministratorAccess', 'System');
    expect((await getUserFrom('127.0.0.1', key)).status).toBe(200);
    await createPolicy('OnlyFrom127002', ONLY_FROM_127_0_0_2);
    await attach('pinned', 'OnlyFrom127002', 'Custom');
    const blocked = await getUserFrom('127.0.0.1', key);
    expect(blocked.status).toBe(403);
    expect(blocked.body.Code).toBe('NoPermission');
    expect((blocked.body.AccessDeniedDetail as Record<string, string>).NoPermissionType).toBe('ExplicitDeny');
    const allowed = await getUserFrom('127.0.0.2', key);
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
  });

  it("lets AllowUserToManageAccessKeys rotate a user's own key and not another user's", async () => {
    const { accountId, admin, userWithKey } = await tenant();
    await admin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'app-1' }));
    const { key, as } = await userWithKey('rotator');
    const own = `rotator@${accountId}.onaliyun.com`;
    expect((await sdkError(as.ims.createAccessKey(new ImsModule.CreateAccessKeyRequest({})))).code).toBe(
      'NoPermission',
    );
    await admin.ims.setSecurityPreference(
      new ImsModule.SetSecurityPreferenceRequest({ allowUserToManageAccessKeys: true }),
    );
    const pref = await admin.ram.getSecurityPreference();
    expect(pref.body?.securityPreference?.accessKeyPreference?.allowUserToManageAccessKeys).toBe(true);

    const fresh = await as.ims.createAccessKey(new ImsModule.CreateAccessKeyRequest({}));
    const next = {
      id: fresh.body?.accessKey?.accessKeyId ?? '',
      secret: fresh.body?.accessKey?.accessKeySecret ?? '',
    };
    const asNext = clients(server.endpoint, next, 'v3');
    await asNext.ims.updateAccessKey(
      new ImsModule.UpdateAccessKeyRequest({ userAccessKeyId: key.id, status: 'Inactive' }),
    );
    await asNext.ram.deleteAccessKey(new RamModule.DeleteAccessKeyRequest({ userAccessKeyId: key.id }));
    const left = await asNext.ims.listAccessKeys(
      new ImsModule.ListAccessKeysRequest({ userPrincipalName: own }),
    );
    expect(left.body?.accessKeys?.accessKey?.map((k) => k.accessKeyId)).toEqual([next.id]);

    const other = await sdkError(
      asNext.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'app-1' })),
    );
    expect(other.code).toBe('NoPermission');
    await admin.ims.setSecurityPreference(
      new ImsModule.SetSecurityPreferenceRequest({ allowUserToManageAccessKeys: false }),
    );
    expect((await sdkError(asNext.ims.listAccessKeys(new ImsModule.ListAccessKeysRequest({})))).code).toBe(
      'NoPermission',
    );
  });
});

describe('ramkey policy simulate', () => {
  it('prints the decision and the statement that decided it', async () => {
    const { accountId, adminKey, userWithKey, attach, createPolicy } = await tenant();
    await userWithKey('pinned');
    await attach('pinned', 'AdministratorAccess', 'System');
    await createPolicy('OnlyFrom127002', ONLY_FROM_127_0_0_2);
    await attach('pinned', 'OnlyFrom127002', 'Custom');
    await userWithKey('reader');
    await attach('reader', 'AliyunRAMReadOnlyAccess', 'System');
    const env = {
      RAMKEY_PROFILE_FILE: '/nonexistent',
      RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: adminKey.id,
      RAMKEY_ACCESS_KEY_SECRET: adminKey.secret,
    };
    const arn = (name: string) => `acs:ram:*:${accountId}:user/${name}`;
    const args = (resource: string, ip?: string) => [
      'policy',
      'simulate',
      '--user',
      'pinned',
      '--action',
      'ram:GetUser',
      '--resource',
      resource,
      ...(ip ? ['--source-ip', ip] : []),
      '--json',
    ];
    const denied = JSON.parse((await runCli(args(arn('admin'), '10.0.0.1'), env)).stdout) as Record<
      string,
      unknown
    >;
    expect(denied.EvalDecision).toBe('explicitDeny');
    expect(denied.MatchedStatement).toMatchObject({
      PolicyName: 'OnlyFrom127002',
      StatementIndex: 0,
      Effect: 'Deny',
    });
    const allowed = JSON.parse((await runCli(args(arn('admin'), '127.0.0.2'), env)).stdout) as Record<
      string,
      unknown
    >;
    expect(allowed.EvalDecision).toBe('allowed');
    expect(allowed.MatchedStatement).toMatchObject({ PolicyName: 'AdministratorAccess', Effect: 'Allow' });
    const human = await runCli(args(arn('admin'), '10.0.0.1').slice(0, -1), env);
    expect(human.stdout).toMatch(/Decision:\s+explicitDeny/);
    expect(human.stdout).toContain('Custom policy OnlyFrom127002, Statement[0] (Deny)');
    const implicit = await runCli(
      [
        'policy',
        'simulate',
        '--user',
        'reader',
        '--action',
        'ram:CreateUser',
        '--resource',
        arn('x'),
        '--json',
      ],
      env,
    );
    expect((JSON.parse(implicit.stdout) as Record<string, unknown>).EvalDecision).toBe('implicitDeny');
  });
});

describe('policy management', () => {
  it('refuses malformed documents at write time, naming the problem', async () => {
    const { admin } = await tenant();
    const err = await sdkError(
      admin.ram.createPolicy(
        new RamModule.CreatePolicyRequest({
          policyName: 'Broken',
          policyDocument: JSON.stringify({
            Version: '1',
            Statement: [{ Effect: 'Permit', Action: '*', Resource: '*' }],
          }),
        }),
      ),
    );
    expect(err.code).toBe('MalformedPolicyDocument');
    expect(err.message).toContain('Effect');
    expect(
      (
        await sdkError(
          admin.ram.getPolicy(new RamModule.GetPolicyRequest({ policyName: 'Broken', policyType: 'Custom' })),
        )
      ).code,
    ).toBe('EntityNotExist.Policy');
  });

  it('keeps versions, switches the default and refuses to delete an attached policy', async () => {
    const { admin, attach } = await tenant();
    await admin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'app-1' }));
    const doc = (action: string) =>
      JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
    await admin.ram.createPolicy(
      new RamModule.CreatePolicyRequest({ policyName: 'Versioned', policyDocument: doc('ram:GetUser') }),
    );
    const v2 = await admin.ram.createPolicyVersion(
      new RamModule.CreatePolicyVersionRequest({
        policyName: 'Versioned',
        policyDocument: doc('ram:ListUsers'),
        setAsDefault: true,
      }),
    );
    expect(v2.body?.policyVersion?.versionId).toBe('v2');
    const got = await admin.ram.getPolicy(
      new RamModule.GetPolicyRequest({ policyName: 'Versioned', policyType: 'Custom' }),
    );
    expect(got.body?.policy?.defaultVersion).toBe('v2');
    expect(got.body?.defaultPolicyVersion?.policyDocument).toContain('ram:ListUsers');
    const versions = await admin.ram.listPolicyVersions(
      new RamModule.ListPolicyVersionsRequest({ policyName: 'Versioned', policyType: 'Custom' }),
    );
    expect(versions.body?.policyVersions?.policyVersion?.map((v) => v.versionId)).toEqual(['v1', 'v2']);
    await attach('app-1', 'Versioned', 'Custom');
    const conflict = await sdkError(
      admin.ram.deletePolicy(new RamModule.DeletePolicyRequest({ policyName: 'Versioned' })),
    );
    expect(conflict.code).toBe('DeleteConflict.Policy.User');
    const entities = await admin.ram.listEntitiesForPolicy(
      new RamModule.ListEntitiesForPolicyRequest({ policyName: 'Versioned', policyType: 'Custom' }),
    );
    expect(entities.body?.users?.user?.map((u) => u.userName)).toEqual(['app-1']);
  });

  it('applies a new default version at once, and the old one again when switched back', async () => {
    const { admin, userWithKey, attach } = await tenant();
    const doc = (action: string) =>
      JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
    await admin.ram.createPolicy(
      new RamModule.CreatePolicyRequest({ policyName: 'Switching', policyDocument: doc('ram:GetUser') }),
    );
    const { as } = await userWithKey('switcher');
    await attach('switcher', 'Switching', 'Custom');
    const getUser = () => as.ram.getUser(new RamModule.GetUserRequest({ userName: 'switcher' }));
    const listUsers = () => as.ram.listUsers(new RamModule.ListUsersRequest({}));
    expect((await getUser()).body?.user?.userName).toBe('switcher');
    await admin.ram.createPolicyVersion(
      new RamModule.CreatePolicyVersionRequest({
        policyName: 'Switching',
        policyDocument: doc('ram:ListUsers'),
        setAsDefault: true,
      }),
    );
    expect((await sdkError(getUser())).code).toBe('NoPermission');
    expect((await listUsers()).body?.users?.user?.length).toBeGreaterThan(0);
    await admin.ram.setDefaultPolicyVersion(
      new RamModule.SetDefaultPolicyVersionRequest({ policyName: 'Switching', versionId: 'v1' }),
    );
    expect((await getUser()).body?.user?.userName).toBe('switcher');
    expect((await sdkError(listUsers())).code).toBe('NoPermission');
  });

  it('pages ListPolicies through system and custom policies without gaps or repeats', async () => {
    const { admin, createPolicy } = await tenant();
    for (const name of ['Custom-a', 'Custom-b', 'Custom-c']) {
      await createPolicy(name, {
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: 'ram:GetUser', Resource: '*' }],
      });
    }
    const all = await admin.ram.listPolicies(new RamModule.ListPoliciesRequest({ maxItems: 1000 }));
    const expected =
      all.body?.policies?.policy?.map((p) => `${p.policyType ?? ''}:${p.policyName ?? ''}`) ?? [];
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await admin.ram.listPolicies(new RamModule.ListPoliciesRequest({ maxItems: 4, marker }));
      seen.push(
        ...(page.body?.policies?.policy?.map((p) => `${p.policyType ?? ''}:${p.policyName ?? ''}`) ?? []),
      );
      marker = page.body?.isTruncated ? page.body.marker : undefined;
    } while (marker);
    expect(seen).toEqual(expected);
    expect(expected.filter((n) => n.startsWith('Custom:')).length).toBeGreaterThan(2);
    expect(expected.filter((n) => n.startsWith('System:')).length).toBe(6);
  });

  it('shows the system policies, read-only, with their documents', async () => {
    const { admin } = await tenant();
    const list = await admin.ram.listPolicies(new RamModule.ListPoliciesRequest({ policyType: 'System' }));
    const names = list.body?.policies?.policy?.map((p) => p.policyName);
    for (const name of [
      'AdministratorAccess',
      'ReadOnlyAccess',
      'AliyunRAMFullAccess',
      'AliyunRAMReadOnlyAccess',
      'AliyunSTSAssumeRoleAccess',
    ]) {
      expect(names).toContain(name);
    }
    const ro = await admin.ram.getPolicyVersion(
      new RamModule.GetPolicyVersionRequest({
        policyName: 'AliyunRAMReadOnlyAccess',
        policyType: 'System',
        versionId: 'v1',
      }),
    );
    expect(ro.body?.policyVersion?.policyDocument).toContain('ram:List*');
    const del = await sdkError(
      admin.ram.deletePolicy(new RamModule.DeletePolicyRequest({ policyName: 'AdministratorAccess' })),
    );
    expect(del.code).toBe('EntityNotExist.Policy');
  });
});

describe('two accounts on one server', () => {
  it("see nothing of each other's groups and policies, even by exact name", async () => {
    const mine = await tenant();
    await mine.admin.ram.createGroup(new RamModule.CreateGroupRequest({ groupName: 'auditors' }));
    await mine.createPolicy('KeysForApps', {
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: 'ram:CreateAccessKey', Resource: '*' }],
    });
    const other = (await tenant()).admin;
    expect(
      (await sdkError(other.ram.getGroup(new RamModule.GetGroupRequest({ groupName: 'auditors' })))).code,
    ).toBe('EntityNotExist.Group');
    expect(
      (
        await sdkError(
          other.ram.getPolicy(
            new RamModule.GetPolicyRequest({ policyName: 'KeysForApps', policyType: 'Custom' }),
          ),
        )
      ).code,
    ).toBe('EntityNotExist.Policy');
    const policies = await other.ram.listPolicies(
      new RamModule.ListPoliciesRequest({ policyType: 'Custom' }),
    );
    expect(policies.body?.policies?.policy).toEqual([]);
    const groups = await other.ram.listGroups(new RamModule.ListGroupsRequest({}));
    expect(groups.body?.groups?.group).toEqual([]);
  });
});
