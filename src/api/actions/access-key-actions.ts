// The AccessKey actions RAM and IMS share; they differ only in how the key's owner is named
// (`UserName` or `UserPrincipalName`) and in a few response fields.
import type { KeyOwner } from '../../services/access-key-service.js';
import type { ResourcesOf } from '../authorization.js';
import type { ActionContext, ActionDef } from './action.js';
import { parseStatus, parseUserAccessKeyId } from './owner.js';
import { accessKeyListItem, lastUsedDate } from './shapes.js';

export interface AccessKeyActionOptions {
  /** Resolves whose keys the request addresses. */
  owner: (ctx: ActionContext) => Promise<KeyOwner> | KeyOwner;
  /** The key owner's resource, as the product names it. */
  resources: ResourcesOf;
  /** IMS lists `UpdateDate` and reports `ServiceName` with the last use; RAM does neither. */
  ims: boolean;
}

export function accessKeyActions({
  owner,
  resources,
  ims,
}: AccessKeyActionOptions): Record<string, ActionDef> {
  const keyId = (ctx: ActionContext) => parseUserAccessKeyId(ctx.params.required('UserAccessKeyId'));
  return {
    CreateAccessKey: {
      rw: 'Write',
      resources,
      selfService: true,
      async handle(ctx) {
        const { key, secret } = await ctx.ramkey.accessKeys.create(await owner(ctx));
        return {
          AccessKey: {
            AccessKeyId: key.accessKeyId,
            // The one and only place a secret ever leaves Ramkey.
            AccessKeySecret: secret.reveal(),
            Status: key.status,
            CreateDate: accessKeyListItem(key).CreateDate,
          },
        };
      },
    },
    ListAccessKeys: {
      rw: 'Read',
      resources,
      selfService: true,
      async handle(ctx) {
        const keys = await ctx.ramkey.accessKeys.list(await owner(ctx));
        const restrictions = await ctx.ramkey.leaks.restrictionsOf(keys.map((k) => k.accessKeyId));
        return {
          AccessKeys: {
            AccessKey: keys.map((k) =>
              accessKeyListItem(k, {
                updateDate: ims,
                lastUse: true,
                restriction: restrictions.get(k.accessKeyId) ?? null,
              }),
            ),
          },
        };
      },
    },
    UpdateAccessKey: {
      rw: 'Write',
      resources,
      selfService: true,
      async handle(ctx) {
        const id = keyId(ctx);
        const status = parseStatus(ctx.params.required('Status'));
        await ctx.ramkey.accessKeys.setStatus(await owner(ctx), id, status);
        return {};
      },
    },
    DeleteAccessKey: {
      rw: 'Write',
      resources,
      selfService: true,
      async handle(ctx) {
        const id = keyId(ctx);
        await ctx.ramkey.accessKeys.delete(await owner(ctx), id);
        return {};
      },
    },
    GetAccessKeyLastUsed: {
      rw: 'Read',
      resources,
      selfService: true,
      async handle(ctx) {
        const id = keyId(ctx);
        const use = await ctx.ramkey.accessKeys.lastUse(await owner(ctx), id);
        return {
          AccessKeyLastUsed: {
            LastUsedDate: lastUsedDate(use.lastUsedAt),
            ...(ims && { ServiceName: use.service ?? '' }),
          },
        };
      },
    },
  };
}
