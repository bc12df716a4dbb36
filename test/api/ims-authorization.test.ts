// IMS actions are authorized under RAM's code through the official SDKs: a Deny on
// ram:CreateAccessKey stops IMS's CreateAccessKey too, and ims:<Action> names the IMS API alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { clients, ImsModule, RamModule, sdkError } from '../support/sdk.js';

let server: RunningApp;

beforeAll(async () => {
  server = await startApp();
});
afterAll(async () => {
  await server.stop();
});

/** A fresh account's admin, and a user of it with `document` attached as its only policy. */
async function userWithPolicy(userName: string, document: unknown) {
  const account = await server.createAccount();
  const admin = clients(server.endpoint, { id: account.accessKeyId, secret: account.accessKeySecret }, 'v3');
  await admin.ram.createUser(new RamModule.CreateUserRequest({ userName }));
  await admin.ram.createPolicy(
    new RamModule.CreatePolicyRequest({ policyName: 'Only', policyDocument: JSON.stringify(document) }),
  );
  await admin.ram.attachPolicyToUser(
    new RamModule.AttachPolicyToUserRequest({ userName, policyName: 'Only', policyType: 'Custom' }),
  );
  const created = await admin.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName }));
  const key = {
    id: created.body?.accessKey?.accessKeyId ?? '',
    secret: created.body?.accessKey?.accessKeySecret ?? '',
  };
  return { admin, as: clients(server.endpoint, key, 'v3'), accountId: account.accountId };
}

describe('IMS authorization', () => {
  // Security: the review got a secret from IMS CreateAccessKey past a Deny on ram:CreateAccessKey.
  it('refuses IMS CreateAccessKey to a user denied ram:CreateAccessKey, naming the ram: action', async () => {
    const { as, admin } = await userWithPolicy('denied', {
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', Action: 'ram:CreateAccessKey', Resource: '*' },
      ],
    });
    const viaIms = await sdkError(as.ims.createAccessKey(new ImsModule.CreateAccessKeyRequest({})));
    expect(viaIms.code).toBe('NoPermission');
    expect(viaIms.accessDeniedDetail).toMatchObject({
      AuthAction: 'ram:CreateAccessKey',
      NoPermissionType: 'ExplicitDeny',
    });
    const viaRam = await sdkError(as.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({})));
    expect(viaRam.code).toBe('NoPermission');
    const keys = await admin.ram.listAccessKeys(new RamModule.ListAccessKeysRequest({ userName: 'denied' }));
    expect(keys.body?.accessKeys?.accessKey).toHaveLength(1);
  });

  it('lets ims:CreateAccessKey allow the IMS API, and not the RAM API', async () => {
    const { as, accountId } = await userWithPolicy('imsonly', {
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: 'ims:CreateAccessKey', Resource: '*' }],
    });
    const created = await as.ims.createAccessKey(
      new ImsModule.CreateAccessKeyRequest({ userPrincipalName: `imsonly@${accountId}.onaliyun.com` }),
    );
    expect(created.body?.accessKey?.accessKeyId).toMatch(/^LTAI/);
    const viaRam = await sdkError(
      as.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'imsonly' })),
    );
    expect(viaRam.code).toBe('NoPermission');
    expect(viaRam.accessDeniedDetail).toMatchObject({ NoPermissionType: 'ImplicitDeny' });
  });
});
