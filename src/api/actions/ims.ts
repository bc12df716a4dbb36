// IMS (2019-08-15): AccessKeys addressed by logon name (UserPrincipalName), deleting users and the
// recycle bin, security preferences, credential reports and the account summary.
import { parseUserId, parseUserPrincipalName } from '../../core/identity/validate.js';
import { toWireDate } from '../../core/clock.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import { userPrincipalName } from '../../services/principal.js';
import { CREDENTIAL_REPORT_MAX_ITEMS } from '../../services/credential-report.js';
import {
  ACCESS_KEY_POLICY_IP_ITEMS_QUOTA,
  ACCESS_KEY_POLICY_RULES_QUOTA,
  POLICY_DOCUMENT_LENGTH_QUOTA,
} from '../../services/quotas.js';
import { anyResource, keyOwnerByLogonName, on, userByLogonNameOrId } from '../authorization.js';
import type { ActionContext, ActionDef, Product } from './action.js';
import { imsPreferenceBody, parseSecurityPreferencePatch } from './security-preference.js';
import { imsMfaActions } from './mfa-devices.js';
import { accessKeyActions } from './access-key-actions.js';
import { networkPolicyActions } from './network-policy.js';
import { leakResponseActions } from './leak-response-actions.js';
import { callerAsOwner, parseUserAccessKeyId, principalNameAsOwner } from './owner.js';
import { oneOf, recycleBinActions } from './recycle-bin.js';

/** Keys of `UserPrincipalName` when given, else the caller's own (root included). */
async function owner({ ramkey, caller, params }: ActionContext) {
  const upn = params.parsed('UserPrincipalName', parseUserPrincipalName);
  return upn === undefined ? callerAsOwner(caller) : principalNameAsOwner(ramkey, caller, upn);
}

const actions: Record<string, ActionDef> = {
  ...accessKeyActions({ owner, resources: on(keyOwnerByLogonName), ims: true }),
  // Into the recycle bin with its keys, as RAM's DeleteUser; the user named by logon name or ID.
  DeleteUser: {
    rw: 'Write',
    resources: userByLogonNameOrId,
    async handle({ ramkey, caller, params }) {
      const accountId = caller.principal.accountId;
      if (oneOf(params, 'UserPrincipalName', 'UserId') === 'UserId') {
        await ramkey.identity.deleteUserById(accountId, params.parsed('UserId', parseUserId) ?? '');
        return {};
      }
      const upn = params.parsed('UserPrincipalName', parseUserPrincipalName);
      // Another account's domain answers like a missing user.
      if (upn?.accountId !== accountId) throw new RamkeyError('EntityNotExist.User');
      await ramkey.identity.deleteUser(accountId, upn.userName);
      return {};
    },
  },
  ...recycleBinActions,
  ...imsMfaActions,
  ...networkPolicyActions(owner),
  ...leakResponseActions(owner, on(keyOwnerByLogonName)),
  // Ramkey extension: whose key is this? Only for the caller's own account's keys.
  GetAccessKeyOwner: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const id = parseUserAccessKeyId(params.required('UserAccessKeyId'));
      const { key, user } = await ramkey.accessKeys.owner(caller.principal.accountId, id);
      return {
        AccessKeyOwner: {
          AccessKeyId: key.accessKeyId,
          AccountId: key.accountId,
          PrincipalType: key.userId === null ? 'root-account' : 'ram-user',
          UserId: key.userId ?? '',
          UserName: key.userId === null ? 'root' : (user?.userName ?? ''),
          UserPrincipalName: user ? userPrincipalName(user.accountId, user.userName) : '',
          Status: key.status,
          // `Deleted` is a purged key, gone for good.
          State: key.state === 'live' ? 'Live' : key.state === 'recycled' ? 'Recycled' : 'Deleted',
          CreateDate: toWireDate(key.createdAt),
        },
      };
    },
  },
  GetSecurityPreference: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller }) {
      return imsPreferenceBody(await ramkey.permissions.getSecurityPreference(caller.principal.accountId));
    },
  },
  SetSecurityPreference: {
    rw: 'Write',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const patch = parseSecurityPreferencePatch(params, 'ims');
      return imsPreferenceBody(
        await ramkey.permissions.setSecurityPreference(caller.principal.accountId, patch),
      );
    },
  },
  // Generation is synchronous: the report is complete when GenerateCredentialReport answers, so it
  // always says COMPLETED and clients that poll for that state go on at once.
  GenerateCredentialReport: {
    rw: 'Write',
    resources: anyResource,
    async handle({ ramkey, caller }) {
      await ramkey.credentialReports.generate(caller.principal.accountId);
      return { State: 'COMPLETED' };
    },
  },
  GetCredentialReport: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const maxItems = params.integer(
        'MaxItems',
        { min: 1, max: CREDENTIAL_REPORT_MAX_ITEMS, fallback: CREDENTIAL_REPORT_MAX_ITEMS },
        'InvalidParameter.CredentialReport.MaxItems',
      );
      const page = await ramkey.credentialReports.page(caller.principal.accountId, {
        maxItems,
        nextToken: params.optional('NextToken'),
      });
      return {
        Content: Buffer.from(page.content, 'utf8').toString('base64'),
        GeneratedTime: toWireDate(page.generatedAt),
        IsTruncated: page.nextToken !== undefined,
        ...(page.nextToken !== undefined && { NextToken: page.nextToken }),
      };
    },
  },
  GetAccountSummary: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller }) {
      const [counts, services, mfa] = await Promise.all([
        ramkey.identity.counts(caller.principal.accountId),
        ramkey.services.count(caller.principal.accountId),
        ramkey.mfa.counts(caller.principal.accountId),
      ]);
      const q = ramkey.quotas;
      // Only what Ramkey has and enforces: no quota is reported for roles, which Ramkey does not have.
      return {
        SummaryMap: {
          Users: counts.users,
          UsersQuota: q.usersPerAccount,
          AccessKeysPerUserQuota: q.accessKeysPerPrincipal,
          AccountAccessKeysPerAccountQuota: q.accessKeysPerPrincipal,
          Groups: counts.groups,
          GroupsQuota: q.groupsPerAccount,
          GroupsPerUserQuota: q.groupsPerUser,
          Policies: counts.policies,
          PoliciesQuota: q.customPoliciesPerAccount,
          PolicySizeQuota: POLICY_DOCUMENT_LENGTH_QUOTA,
          VersionsPerPolicyQuota: q.versionsPerPolicy,
          AttachedPoliciesPerUserQuota: q.attachedPolicies.Custom,
          AttachedSystemPoliciesPerUserQuota: q.attachedPolicies.System,
          AttachedPoliciesPerGroupQuota: q.attachedPolicies.Custom,
          AttachedSystemPoliciesPerGroupQuota: q.attachedPolicies.System,
          ConditionsPerAKPolicyQuota: ACCESS_KEY_POLICY_RULES_QUOTA,
          IPItemsPerAKPolicyQuota: ACCESS_KEY_POLICY_IP_ITEMS_QUOTA,
          // Ramkey extensions: the account's own custom services (global ones are the installation's).
          Services: services,
          ServicesQuota: q.servicesPerAccount,
          // True counts: Ramkey has no roles.
          Roles: 0,
          MFADevices: mfa.devices,
          MFADevicesInUse: mfa.inUse,
        },
      };
    },
  },
};

export const ims: Product = {
  version: '2019-08-15',
  service: 'Ims',
  // Alibaba authorizes IMS operations under RAM's code: a Deny on ram:CreateAccessKey covers IMS's
  // CreateAccessKey too. Policies may still name them ims:<Action>, which covers the IMS API only.
  authPrefix: 'ram',
  authAliasPrefix: 'ims',
  risk: 'identity',
  actions,
};
