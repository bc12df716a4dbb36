// IMS (2019-08-15) recycle bin actions: deleted AccessKeys and RAM users, listed, shown, restored and
// purged (reference/alibaba-api.md 2.3), with the official SDK's field names. Alibaba authorizes them
// on all resources (`*`), so Ramkey does too.
import { toWireDate } from '../../core/clock.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import { parseUserId, parseUserPrincipalName } from '../../core/identity/validate.js';
import type { KeyOwner } from '../../services/access-key-service.js';
import { userPrincipalName } from '../../services/principal.js';
import type { RecycledAccessKey, RecycledUserRecord } from '../../store/store.js';
import { anyResource } from '../authorization.js';
import type { Params } from '../params.js';
import type { ActionContext, ActionDef } from './action.js';
import { callerAsOwner, parseUserAccessKeyId } from './owner.js';

const keyId = (params: Params) => parseUserAccessKeyId(params.required('UserAccessKeyId'));
const userId = (params: Params) => params.parsed('UserId', parseUserId);

/**
 * Whose bin: the user `UserId` names (live or itself in the bin), else the caller's own (a RAM user's,
 * or the root's): as IMS defaults `UserId` to the calling RAM user.
 */
async function binOwner({ ramkey, caller, params }: ActionContext): Promise<KeyOwner> {
  const id = userId(params);
  return id === undefined
    ? callerAsOwner(caller)
    : ramkey.recycleBin.ownerById(caller.principal.accountId, id);
}

function keyItem(key: RecycledAccessKey) {
  return {
    AccessKeyId: key.accessKeyId,
    CreateDate: toWireDate(key.createdAt),
    RecycleDate: toWireDate(key.recycledAt),
    DeleteDate: toWireDate(key.purgeAt),
  };
}

function userItem(user: RecycledUserRecord) {
  return {
    UserId: user.userId,
    UserPrincipalName: userPrincipalName(user.accountId, user.userName),
    DisplayName: user.displayName,
    CreateDate: toWireDate(user.createdAt),
    RecycleDate: toWireDate(user.recycledAt),
    DeleteDate: toWireDate(user.purgeAt),
  };
}

/**
 * ListUsersInRecycleBin's `Filter`: `UserPrincipalName eq <logon name>` (the only filter IMS
 * documents). Undefined when absent; a logon name of another account matches nobody here.
 */
function filteredUserName(params: Params, accountId: string): { userName: string } | null | undefined {
  const filter = params.optional('Filter');
  if (filter === undefined) return undefined;
  const match = /^\s*UserPrincipalName\s+eq\s+(\S+)\s*$/i.exec(filter);
  const upn = match?.[1] === undefined ? undefined : parseUserPrincipalName(match[1]);
  if (!upn?.ok) throw new RamkeyError('InvalidParameter.Filter');
  return upn.value.accountId === accountId ? { userName: upn.value.userName } : null;
}

/** Exactly one of two parameters: the name given (the first when neither is, to ask for it). */
export function oneOf(params: Params, a: string, b: string): string {
  const hasA = params.optional(a) !== undefined;
  const hasB = params.optional(b) !== undefined;
  if (hasA && hasB) throw new RamkeyError('InvalidParameter.Exclusive', { params: [a, b] });
  if (!hasA && !hasB) throw new RamkeyError('MissingParameter', { params: [a] });
  return hasA ? a : b;
}

export const recycleBinActions: Record<string, ActionDef> = {
  ListAccessKeysInRecycleBin: {
    rw: 'Read',
    resources: anyResource,
    async handle(ctx) {
      const keys = await ctx.ramkey.recycleBin.listKeys(await binOwner(ctx));
      return { AccessKeys: { AccessKey: keys.map(keyItem) } };
    },
  },
  GetAccessKeyInfoInRecycleBin: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const { key, user, userRecycled } = await ramkey.recycleBin.keyInfo(
        caller.principal.accountId,
        keyId(params),
      );
      return {
        AccessKey: {
          ...keyItem(key),
          UserId: key.userId ?? '',
          UserPrincipalName: user ? userPrincipalName(user.accountId, user.userName) : '',
          UserRecycled: userRecycled,
        },
      };
    },
  },
  RestoreAccessKeyFromRecycleBin: {
    rw: 'Write',
    resources: anyResource,
    async handle(ctx) {
      const id = keyId(ctx.params);
      await ctx.ramkey.recycleBin.restoreKey(await binOwner(ctx), id);
      return {};
    },
  },
  DeleteAccessKeyInRecycleBin: {
    rw: 'Write',
    resources: anyResource,
    async handle(ctx) {
      const id = keyId(ctx.params);
      await ctx.ramkey.recycleBin.purgeKey(await binOwner(ctx), id);
      return {};
    },
  },
  ListUsersInRecycleBin: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const accountId = caller.principal.accountId;
      const maxItems = params.integer('MaxItems', { min: 1, max: 100, fallback: 100 }, 'InvalidParameter');
      const filter = filteredUserName(params, accountId);
      const page =
        filter === null
          ? { items: [] }
          : await ramkey.recycleBin.listUsers(accountId, {
              maxItems,
              marker: params.optional('Marker'),
              userName: filter?.userName,
            });
      return {
        IsTruncated: page.nextMarker !== undefined,
        ...(page.nextMarker !== undefined && { Marker: page.nextMarker }),
        Users: { User: page.items.map(userItem) },
      };
    },
  },
  GetUserInRecycleBin: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const accountId = caller.principal.accountId;
      const user =
        oneOf(params, 'UserId', 'UserAccessKeyId') === 'UserId'
          ? await ramkey.recycleBin.getUser(accountId, params.parsed('UserId', parseUserId) ?? '')
          : await ramkey.recycleBin.getUserByKey(accountId, keyId(params));
      return { User: userItem(user) };
    },
  },
  RestoreUserFromRecycleBin: {
    rw: 'Write',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const id = params.parsed('UserId', parseUserId);
      if (id === undefined) throw new RamkeyError('MissingParameter', { params: ['UserId'] });
      await ramkey.recycleBin.restoreUser(caller.principal.accountId, id);
      return {};
    },
  },
  DeleteUserInRecycleBin: {
    rw: 'Write',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const id = params.parsed('UserId', parseUserId);
      if (id === undefined) throw new RamkeyError('MissingParameter', { params: ['UserId'] });
      await ramkey.recycleBin.purgeUser(caller.principal.accountId, id);
      return {};
    },
  },
};
