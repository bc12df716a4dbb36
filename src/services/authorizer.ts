// Authorization until the policy engine lands: root and holders of AdministratorAccess may call
// everything; other RAM users only what needs no permission (GetCallerIdentity). Never allow by default.
import { RamkeyError } from '../core/errors/ramkey-error.js';
import type { Store } from '../store/store.js';
import type { Principal } from './principal.js';

/** Actions any valid key may call, as on Alibaba Cloud (a key may always ask who it is). */
const UNRESTRICTED_ACTIONS = new Set(['sts:GetCallerIdentity']);

export class Authorizer {
  private readonly adminCache = new Map<string, boolean>();

  constructor(private readonly store: Store) {}

  /** Resolves when `principal` may perform `action` (e.g. `ram:CreateUser`); throws NoPermission otherwise. */
  async authorize(principal: Principal, action: string): Promise<void> {
    if (principal.kind === 'root' || UNRESTRICTED_ACTIONS.has(action)) return;
    // Fail closed: an error while loading attachments propagates and the call is not executed.
    if (await this.isAdministrator(principal.accountId, principal.userId)) return;
    throw new RamkeyError('NoPermission', {
      detail: `${principal.userName} lacks ${action}`,
      extra: {
        AccessDeniedDetail: {
          AuthAction: action,
          AuthPrincipalType: 'SubUser',
          AuthPrincipalOwnerId: principal.accountId,
          AuthPrincipalDisplayName: principal.userName,
          NoPermissionType: 'ImplicitDeny',
          PolicyType: 'AccountLevelIdentityBasedPolicy',
        },
      },
    });
  }

  invalidate(accountId: string, userId: string): void {
    this.adminCache.delete(`${accountId}/${userId}`);
  }

  private async isAdministrator(accountId: string, userId: string): Promise<boolean> {
    const cacheKey = `${accountId}/${userId}`;
    const cached = this.adminCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const attachments = await this.store.listPoliciesForUser(accountId, userId);
    const isAdmin = attachments.some(
      (a) => a.policyType === 'System' && a.policyName === 'AdministratorAccess',
    );
    this.adminCache.set(cacheKey, isAdmin);
    return isAdmin;
  }
}
