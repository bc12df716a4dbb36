// Quotas, as Alibaba Cloud's current limits (reference/alibaba-api.md 6.2); reported by GetAccountSummary.

export interface Limits {
  /** Live AccessKeys per principal (RAM user or root); 2 so that rotation is always possible. */
  accessKeysPerPrincipal: number;
  usersPerAccount: number;
}

export const defaultLimits: Limits = {
  accessKeysPerPrincipal: 2,
  usersPerAccount: 5000,
};
