// describeStoreContract: every aggregate's contract (one file each), the whole suite a Store adapter must pass.
import type { ContractStore } from './contract-fixtures.js';
import { describeAccountStoreContract } from './account-store.contract.js';
import { describeUserStoreContract } from './user-store.contract.js';
import { describeGroupStoreContract } from './group-store.contract.js';
import { describePolicyStoreContract } from './policy-store.contract.js';
import { describeAttachmentStoreContract } from './attachment-store.contract.js';
import { describeAccessKeyStoreContract } from './access-key-store.contract.js';
import { describeAuditStoreContract } from './audit-store.contract.js';
import { describeKeyUsageStoreContract } from './key-usage-store.contract.js';
import { describeCredentialReportStoreContract } from './credential-report-store.contract.js';
import { describeSecretIndexStoreContract } from './secret-index-store.contract.js';
import { describeNonceStoreContract } from './nonce-store.contract.js';
import { describeRecycleBinStoreContract } from './recycle-bin-store.contract.js';
import { describeAccessKeyPolicyStoreContract } from './access-key-policy-store.contract.js';
import { describeLeakResponseStoreContract } from './leak-response-store.contract.js';
import { describeDirectoryStoreContract } from './directory-store.contract.js';
import { describeServiceStoreContract } from './service-store.contract.js';

/** Registers every aggregate's contract, each suite against a fresh store from `makeStore`. */
export function describeStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describeAccountStoreContract(name, makeStore);
  describeUserStoreContract(name, makeStore);
  describeGroupStoreContract(name, makeStore);
  describePolicyStoreContract(name, makeStore);
  describeAttachmentStoreContract(name, makeStore);
  describeAccessKeyStoreContract(name, makeStore);
  describeAuditStoreContract(name, makeStore);
  describeKeyUsageStoreContract(name, makeStore);
  describeCredentialReportStoreContract(name, makeStore);
  describeSecretIndexStoreContract(name, makeStore);
  describeNonceStoreContract(name, makeStore);
  describeRecycleBinStoreContract(name, makeStore);
  describeAccessKeyPolicyStoreContract(name, makeStore);
  describeLeakResponseStoreContract(name, makeStore);
  describeDirectoryStoreContract(name, makeStore);
  describeServiceStoreContract(name, makeStore);
}
