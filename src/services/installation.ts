// Bootstrapping an account: root login, the `admin` RAM user with AdministratorAccess and its
// AccessKey, and optionally a root AccessKey (allowed, but discouraged).
import type { Ramkey } from './ramkey.js';

export interface AccountCredentials {
  accountId: string;
  loginName: string;
  password: string;
  userName: string;
  accessKeyId: string;
  accessKeySecret: string;
  rootAccessKeyId?: string;
  rootAccessKeySecret?: string;
}

export const ADMIN_USER_NAME = 'admin';

export async function bootstrapAccount(
  ramkey: Ramkey,
  options: { rootAccessKey?: boolean } = {},
): Promise<AccountCredentials> {
  const { account, password } = await ramkey.identity.createAccount();
  const admin = await ramkey.identity.createUser(account.accountId, {
    userName: ADMIN_USER_NAME,
    displayName: 'Administrator',
    comments: 'Created by ramkey init',
  });
  await ramkey.identity.attachSystemPolicy(account.accountId, admin.userId, 'AdministratorAccess');
  const adminKey = await ramkey.accessKeys.create({ accountId: account.accountId, userId: admin.userId });
  const credentials: AccountCredentials = {
    accountId: account.accountId,
    loginName: account.loginName,
    password,
    userName: admin.userName,
    accessKeyId: adminKey.key.accessKeyId,
    accessKeySecret: adminKey.secret.reveal(),
  };
  if (options.rootAccessKey) {
    const rootKey = await ramkey.accessKeys.create({ accountId: account.accountId, userId: null });
    credentials.rootAccessKeyId = rootKey.key.accessKeyId;
    credentials.rootAccessKeySecret = rootKey.secret.reveal();
  }
  return credentials;
}
