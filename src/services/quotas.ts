// Every quota Ramkey enforces, at Alibaba Cloud's current values (reference/alibaba-api.md 6.2):
// the services enforce them (the store receives them as arguments) and GetAccountSummary reports them.
import {
  MAX_ACCESS_KEY_POLICY_IP_ITEMS,
  MAX_ACCESS_KEY_POLICY_STATEMENTS,
} from '../core/network/access-key-policy.js';
import { MAX_POLICY_DOCUMENT_LENGTH } from '../core/policy/index.js';
import type { PolicyAttachmentLimits } from '../store/store.js';

export interface Quotas {
  /** Live AccessKeys per principal (RAM user or root); 2 so that rotation is always possible. */
  readonly accessKeysPerPrincipal: number;
  readonly usersPerAccount: number;
  readonly groupsPerAccount: number;
  readonly groupsPerUser: number;
  readonly customPoliciesPerAccount: number;
  readonly versionsPerPolicy: number;
  /** Policies of each type attached to one user, or one group. */
  readonly attachedPolicies: PolicyAttachmentLimits;
  /**
   * AccessKeys deleted one by one that a principal may have in the recycle bin; deleting one more
   * purges the oldest for good (keys that went to the bin with their user do not count).
   */
  readonly recycledAccessKeysPerPrincipal: number;
  /**
   * Custom services per account, and global services per installation (each scope's services are
   * compiled together for every request to a customer's API, so a scope stays small).
   */
  readonly servicesPerAccount: number;
}

export const defaultQuotas: Quotas = {
  accessKeysPerPrincipal: 2,
  usersPerAccount: 5000,
  groupsPerAccount: 300,
  groupsPerUser: 10,
  customPoliciesPerAccount: 1500,
  versionsPerPolicy: 5,
  attachedPolicies: { System: 20, Custom: 10 },
  recycledAccessKeysPerPrincipal: 3,
  servicesPerAccount: 50,
};

/**
 * Days a deleted AccessKey or RAM user stays in the recycle bin before it is purged for good (its
 * DeleteDate is its RecycleDate plus this).
 */
export const RECYCLE_BIN_RETENTION_DAYS = 30;

/**
 * Characters in a policy document. Not a setting: the core's policy parser enforces it on every
 * document, so a different value here would only misreport it.
 */
export const POLICY_DOCUMENT_LENGTH_QUOTA = MAX_POLICY_DOCUMENT_LENGTH;

/**
 * Rules per network access policy (per account and per key), and addresses or CIDRs per rule. Not
 * settings either: the core's AccessKeyPolicy parser enforces them on every document.
 */
export const ACCESS_KEY_POLICY_RULES_QUOTA = MAX_ACCESS_KEY_POLICY_STATEMENTS;
export const ACCESS_KEY_POLICY_IP_ITEMS_QUOTA = MAX_ACCESS_KEY_POLICY_IP_ITEMS;
