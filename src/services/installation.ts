// An installation and its accounts: opening one (store, master key, services) from its data
// directory or database, creating its master key, and bootstrapping an account: root login, the
// `admin` RAM user with AdministratorAccess and its AccessKey, and optionally a root AccessKey.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cryptoRandom } from '../core/random.js';
import { openStore, SQLITE_FILE_NAME, type StoreConfig } from '../store/open-store.js';
import { generateMasterKeyText, loadMasterKeyRing, Sealer, writeMasterKeyFile } from '../store/sealer.js';
import { createRamkey, type Ramkey, type RamkeyDeps } from './ramkey.js';

export const MASTER_KEY_FILE = 'master.key';

/** Where an installation lives: RAMKEY_DATA, RAMKEY_DATABASE_URL and RAMKEY_MASTER_KEY. */
export interface InstallationConfig extends StoreConfig {
  /** The master key text; unset means the `master.key` file in the data directory. */
  masterKey?: string;
}

export interface Installation {
  readonly ramkey: Ramkey;
  /** The database engine, for the operator's log. */
  readonly engine: string;
  /** Flushes pending writes, then closes the store. */
  close(): Promise<void>;
}

/** Opens (and migrates) the installation and builds its services. */
export async function openInstallation(
  config: InstallationConfig,
  options: Omit<RamkeyDeps, 'store' | 'sealer'> = {},
): Promise<Installation> {
  const ring = loadMasterKeyRing({ env: config.masterKey, file: join(config.dataDir, MASTER_KEY_FILE) });
  const store = await openStore(config);
  await store.migrate();
  const ramkey = createRamkey({ ...options, store, sealer: new Sealer(ring) });
  return {
    ramkey,
    engine: store.capabilities.engine,
    async close() {
      await ramkey.close();
      await store.close();
    },
  };
}

/** True when an installation already exists here (its master key, or accounts in the database). */
export async function isInitialised(config: StoreConfig): Promise<boolean> {
  if (existsSync(join(config.dataDir, MASTER_KEY_FILE))) return true;
  if (!config.databaseUrl && !existsSync(join(config.dataDir, SQLITE_FILE_NAME))) return false;
  const store = await openStore(config);
  try {
    await store.migrate();
    return (await store.countAccounts()) > 0;
  } finally {
    await store.close();
  }
}

/** Writes a new master key file into the data directory (when no RAMKEY_MASTER_KEY is given). */
export function createMasterKeyFile(dataDir: string): void {
  writeMasterKeyFile(join(dataDir, MASTER_KEY_FILE), generateMasterKeyText(cryptoRandom));
}

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
