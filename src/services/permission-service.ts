// Policies, policy versions, groups, attachments and security preferences, scoped to one account.
// Every change that can alter someone's effective permissions drops the account's authorization cache.
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { randomBase62 } from '../core/keys/key-id.js';
import { parsePolicyDocument, systemPolicies, type SystemPolicy } from '../core/policy/index.js';
import type { Random } from '../core/random.js';
import type {
  GroupMember,
  GroupMembership,
  GroupRecord,
  Page,
  PolicyRecord,
  PolicyType,
  PolicyVersionRecord,
  SecurityPreference,
  Store,
  UserRecord,
} from '../store/store.js';
import type { AuthorizationInput, Authorizer, Verdict } from './authorizer.js';
import type { ChangeBus } from './change-bus.js';
import type { Quotas } from './quotas.js';

/** A policy as GetPolicy/ListPolicies show it: built-in or the account's own. */
export interface PolicyView {
  policyName: string;
  policyType: PolicyType;
  description: string;
  defaultVersion: string;
  attachmentCount: number;
  createdAt: number;
  updatedAt: number;
  /** The default version's document text. */
  document: string;
}

/** A policy attached to a user or group, and since when. */
export interface AttachedPolicy {
  policy: PolicyView;
  attachedAt: number;
}

function systemView(p: SystemPolicy): PolicyView {
  return {
    policyName: p.policyName,
    policyType: 'System',
    description: p.description,
    defaultVersion: p.version,
    attachmentCount: 0,
    createdAt: 0,
    updatedAt: 0,
    document: p.policyDocument,
  };
}

export class PermissionService {
  constructor(
    private readonly store: Store,
    private readonly authorizer: Authorizer,
    private readonly changes: ChangeBus,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly quotas: Quotas,
  ) {}

  // Policies

  async createPolicy(accountId: string, policyName: string, document: string, description: string) {
    parseDocument(document);
    if (systemPolicies.has(policyName)) throw new RamkeyError('EntityAlreadyExists.Policy');
    return this.store.createPolicy(
      { accountId, policyName, description, document, createdAt: this.clock.now() },
      this.quotas.customPoliciesPerAccount,
    );
  }

  async getPolicy(accountId: string, type: PolicyType, policyName: string): Promise<PolicyView> {
    if (type === 'System') {
      const builtIn = systemPolicies.get(policyName);
      if (!builtIn) throw new RamkeyError('EntityNotExist.Policy');
      return systemView(builtIn);
    }
    const policy = await this.customPolicy(accountId, policyName);
    const version = await this.store.getPolicyVersion(accountId, policyName, policy.defaultVersion);
    return { ...policy, policyType: 'Custom', document: version?.document ?? '' };
  }

  /** System policies first (when asked for), then the account's custom ones, paged together. */
  async listPolicies(
    accountId: string,
    type: PolicyType | undefined,
    options: { marker?: string; maxItems: number },
  ): Promise<Page<PolicyView>> {
    const system = type === 'Custom' ? [] : [...systemPolicies.values()].map(systemView);
    let from = 0;
    let customMarker: string | undefined;
    if (options.marker !== undefined) {
      const m = /^(s|c):(.*)$/s.exec(options.marker);
      if (!m) throw new RamkeyError('InvalidParameter.Marker');
      if (m[1] === 's') from = Number(m[2]);
      else {
        from = system.length;
        customMarker = m[2];
      }
      if (!Number.isInteger(from) || from < 0) throw new RamkeyError('InvalidParameter.Marker');
    }
    const items = system.slice(from, from + options.maxItems);
    if (from + items.length < system.length) return { items, nextMarker: `s:${String(from + items.length)}` };
    const room = options.maxItems - items.length;
    if (type === 'System' || room === 0) {
      return type !== 'System' && room === 0 ? { items, nextMarker: 'c:' } : { items };
    }
    const page = await this.store.listPolicies(accountId, {
      limit: room,
      ...(customMarker !== undefined && customMarker !== '' && { after: customMarker }),
    });
    const views = await Promise.all(page.items.map((p) => this.getPolicy(accountId, 'Custom', p.policyName)));
    return {
      items: [...items, ...views],
      ...(page.nextMarker !== undefined && { nextMarker: `c:${page.nextMarker}` }),
    };
  }

  async deletePolicy(accountId: string, policyName: string): Promise<void> {
    if (!(await this.store.deletePolicy(accountId, policyName)))
      throw new RamkeyError('EntityNotExist.Policy');
  }

  async createPolicyVersion(
    accountId: string,
    policyName: string,
    document: string,
    setAsDefault: boolean,
    rotate: boolean,
  ): Promise<PolicyVersionRecord> {
    parseDocument(document);
    const version = await this.store.createPolicyVersion(
      accountId,
      policyName,
      { document, setAsDefault, rotate, createdAt: this.clock.now() },
      this.quotas.versionsPerPolicy,
    );
    if (setAsDefault) this.changes.publish({ kind: 'permissions', accountId });
    return version;
  }

  async getPolicyVersion(
    accountId: string,
    type: PolicyType,
    policyName: string,
    versionId: string,
  ): Promise<PolicyVersionRecord> {
    if (type === 'System') {
      const builtIn = systemPolicies.get(policyName);
      if (!builtIn) throw new RamkeyError('EntityNotExist.Policy');
      if (versionId !== builtIn.version) throw new RamkeyError('EntityNotExist.Policy.Version');
      return systemVersion(accountId, builtIn);
    }
    await this.customPolicy(accountId, policyName);
    const version = await this.store.getPolicyVersion(accountId, policyName, versionId);
    if (!version) throw new RamkeyError('EntityNotExist.Policy.Version');
    return version;
  }

  async listPolicyVersions(
    accountId: string,
    type: PolicyType,
    policyName: string,
  ): Promise<PolicyVersionRecord[]> {
    if (type === 'System') {
      const builtIn = systemPolicies.get(policyName);
      if (!builtIn) throw new RamkeyError('EntityNotExist.Policy');
      return [systemVersion(accountId, builtIn)];
    }
    const versions = await this.store.listPolicyVersions(accountId, policyName);
    if (!versions) throw new RamkeyError('EntityNotExist.Policy');
    return versions;
  }

  async setDefaultPolicyVersion(accountId: string, policyName: string, versionId: string): Promise<void> {
    await this.store.setDefaultPolicyVersion(accountId, policyName, versionId, this.clock.now());
    this.changes.publish({ kind: 'permissions', accountId });
  }

  async deletePolicyVersion(accountId: string, policyName: string, versionId: string): Promise<void> {
    await this.store.deletePolicyVersion(accountId, policyName, versionId, this.clock.now());
  }

  // Attachments

  async attachToUser(
    accountId: string,
    user: UserRecord,
    type: PolicyType,
    policyName: string,
  ): Promise<void> {
    const name = await this.resolvePolicyName(accountId, type, policyName);
    const attached = await this.store.attachPolicyToUser(
      { accountId, userId: user.userId, policyType: type, policyName: name, attachedAt: this.clock.now() },
      this.quotas.attachedPolicies,
    );
    if (!attached) throw new RamkeyError('EntityAlreadyExists.User.Policy');
    this.changes.publish({ kind: 'permissions', accountId });
  }

  async detachFromUser(
    accountId: string,
    user: UserRecord,
    type: PolicyType,
    policyName: string,
  ): Promise<void> {
    const name = await this.resolvePolicyName(accountId, type, policyName);
    if (!(await this.store.detachPolicyFromUser(accountId, user.userId, type, name))) {
      throw new RamkeyError('EntityNotExist.User.Policy');
    }
    this.changes.publish({ kind: 'permissions', accountId });
  }

  async attachToGroup(
    accountId: string,
    group: GroupRecord,
    type: PolicyType,
    policyName: string,
  ): Promise<void> {
    const name = await this.resolvePolicyName(accountId, type, policyName);
    const attached = await this.store.attachPolicyToGroup(
      { accountId, groupId: group.groupId, policyType: type, policyName: name, attachedAt: this.clock.now() },
      this.quotas.attachedPolicies,
    );
    if (!attached) throw new RamkeyError('EntityAlreadyExists.Group.Policy');
    this.changes.publish({ kind: 'permissions', accountId });
  }

  async detachFromGroup(
    accountId: string,
    group: GroupRecord,
    type: PolicyType,
    policyName: string,
  ): Promise<void> {
    const name = await this.resolvePolicyName(accountId, type, policyName);
    if (!(await this.store.detachPolicyFromGroup(accountId, group.groupId, type, name))) {
      throw new RamkeyError('EntityNotExist.Group.Policy');
    }
    this.changes.publish({ kind: 'permissions', accountId });
  }

  /** Attachments with their policy's description and default version, for ListPoliciesFor*. */
  /** The policies attached to the user directly (not through its groups), described. */
  async policiesForUser(user: UserRecord): Promise<AttachedPolicy[]> {
    return this.describe(user.accountId, await this.store.listPoliciesForUser(user.accountId, user.userId));
  }

  async policiesForGroup(group: GroupRecord): Promise<AttachedPolicy[]> {
    return this.describe(
      group.accountId,
      await this.store.listPoliciesForGroup(group.accountId, group.groupId),
    );
  }

  async listEntitiesForPolicy(accountId: string, type: PolicyType, policyName: string) {
    const name = await this.resolvePolicyName(accountId, type, policyName);
    return this.store.listEntitiesForPolicy(accountId, type, name);
  }

  // Groups

  /** The groups the user belongs to, with when it joined each. */
  groupsForUser(user: UserRecord): Promise<GroupMembership[]> {
    return this.store.listGroupsForUser(user.accountId, user.userId);
  }

  /** The group's members in user name order, paged like ListUsers. */
  usersForGroup(
    group: GroupRecord,
    options: { marker?: string; maxItems: number },
  ): Promise<Page<GroupMember>> {
    return this.store.listUsersForGroup(group.accountId, group.groupId, {
      limit: options.maxItems,
      ...(options.marker !== undefined && { after: options.marker }),
    });
  }

  async createGroup(accountId: string, groupName: string, comments: string): Promise<GroupRecord> {
    const now = this.clock.now();
    const group: GroupRecord = {
      accountId,
      groupId: `g-${randomBase62(this.random, 16)}`,
      groupName,
      comments,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.createGroup(group, this.quotas.groupsPerAccount);
    return group;
  }

  async getGroup(accountId: string, groupName: string): Promise<GroupRecord> {
    const group = await this.store.getGroupByName(accountId, groupName);
    if (!group) throw new RamkeyError('EntityNotExist.Group');
    return group;
  }

  async updateGroup(
    accountId: string,
    groupName: string,
    changes: { newGroupName?: string; newComments?: string },
  ): Promise<GroupRecord> {
    const updated = await this.store.updateGroup(accountId, groupName, {
      updatedAt: this.clock.now(),
      ...(changes.newGroupName !== undefined && { groupName: changes.newGroupName }),
      ...(changes.newComments !== undefined && { comments: changes.newComments }),
    });
    if (!updated) throw new RamkeyError('EntityNotExist.Group');
    return updated;
  }

  listGroups(accountId: string, options: { marker?: string; maxItems: number }): Promise<Page<GroupRecord>> {
    return this.store.listGroups(accountId, {
      limit: options.maxItems,
      ...(options.marker !== undefined && { after: options.marker }),
    });
  }

  async deleteGroup(accountId: string, groupName: string): Promise<void> {
    const group = await this.getGroup(accountId, groupName);
    if (!(await this.store.deleteGroup(accountId, group.groupId)))
      throw new RamkeyError('EntityNotExist.Group');
  }

  async addUserToGroup(accountId: string, user: UserRecord, group: GroupRecord): Promise<void> {
    await this.store.addUserToGroup(
      { accountId, userId: user.userId, groupId: group.groupId, joinedAt: this.clock.now() },
      this.quotas.groupsPerUser,
    );
    this.changes.publish({ kind: 'permissions', accountId });
  }

  async removeUserFromGroup(accountId: string, user: UserRecord, group: GroupRecord): Promise<void> {
    if (!(await this.store.removeUserFromGroup(accountId, user.userId, group.groupId))) {
      throw new RamkeyError('EntityNotExist.User.Group');
    }
    this.changes.publish({ kind: 'permissions', accountId });
  }

  // Security preferences

  getSecurityPreference(accountId: string): Promise<SecurityPreference> {
    return this.store.getSecurityPreference(accountId);
  }

  async setSecurityPreference(
    accountId: string,
    patch: Partial<SecurityPreference>,
  ): Promise<SecurityPreference> {
    const updated = await this.store.setSecurityPreference(accountId, patch);
    this.changes.publish({ kind: 'permissions', accountId });
    return updated;
  }

  // The simulator

  /** What the authorizer would decide for `user` calling `input.action` on `input.resource`. */
  simulate(user: UserRecord, input: AuthorizationInput): Promise<Verdict> {
    return this.authorizer.verdict(
      { kind: 'user', accountId: user.accountId, userId: user.userId, userName: user.userName },
      input,
    );
  }

  private describe(
    accountId: string,
    attachments: readonly { policyType: PolicyType; policyName: string; attachedAt: number }[],
  ): Promise<AttachedPolicy[]> {
    return Promise.all(
      attachments.map(async (a) => ({
        attachedAt: a.attachedAt,
        policy: await this.getPolicy(accountId, a.policyType, a.policyName),
      })),
    );
  }

  private async customPolicy(accountId: string, policyName: string): Promise<PolicyRecord> {
    const policy = await this.store.getPolicy(accountId, policyName);
    if (!policy) throw new RamkeyError('EntityNotExist.Policy');
    return policy;
  }

  /** The stored spelling of a policy name; unknown policies answer EntityNotExist.Policy. */
  private async resolvePolicyName(accountId: string, type: PolicyType, policyName: string): Promise<string> {
    if (type === 'System') {
      if (!systemPolicies.has(policyName)) throw new RamkeyError('EntityNotExist.Policy');
      return policyName;
    }
    return (await this.customPolicy(accountId, policyName)).policyName;
  }
}

function systemVersion(accountId: string, p: SystemPolicy): PolicyVersionRecord {
  return {
    accountId,
    policyName: p.policyName,
    versionId: p.version,
    document: p.policyDocument,
    isDefault: true,
    createdAt: 0,
  };
}

/** Validates a document at write time: malformed documents are refused with a message naming the problem. */
function parseDocument(document: string): void {
  const parsed = parsePolicyDocument(document);
  if (!parsed.ok) throw new RamkeyError(parsed.code, parsed.params ? { params: parsed.params } : {});
}
