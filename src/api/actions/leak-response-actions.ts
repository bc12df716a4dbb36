// Ramkey extensions to IMS for leak response: restricting a key suspected of having leaked, the
// account's notification webhook, and its alerts.
import { toWireDate } from '../../core/clock.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import { MAX_REASON_CHARS } from '../../services/leak-response.js';
import { alertShape } from '../../services/notifications.js';
import { principalArn } from '../../services/principal.js';
import { anyResource, type ResourcesOf } from '../authorization.js';
import type { ActionContext, ActionDef } from './action.js';
import { parseUserAccessKeyId } from './owner.js';
import type { KeyOwner } from '../../services/access-key-service.js';

const MAX_ALERTS = 1000;

export function leakResponseActions(
  owner: (ctx: ActionContext) => Promise<KeyOwner> | KeyOwner,
  keyOwnerResource: ResourcesOf,
): Record<string, ActionDef> {
  return {
    // Marks the key as suspected leaked, for good: identity and high-risk actions are refused to it
    // from now on, and the account is notified. A RAM user may mark its own keys (self-service).
    RestrictAccessKey: {
      rw: 'Write',
      resources: keyOwnerResource,
      selfService: true,
      async handle(ctx) {
        const id = parseUserAccessKeyId(ctx.params.required('UserAccessKeyId'));
        const reason = ctx.params.required('Reason');
        if (reason.length > MAX_REASON_CHARS) {
          throw new RamkeyError('InvalidParameter.TooLong', { params: ['Reason', String(MAX_REASON_CHARS)] });
        }
        const reporter = `user:${principalArn(ctx.caller.principal)}`;
        const { restriction, created } = await ctx.ramkey.leaks.restrict(
          await owner(ctx),
          id,
          reason,
          reporter,
        );
        return {
          AccessKeyRestriction: {
            AccessKeyId: restriction.accessKeyId,
            RestrictedDate: toWireDate(restriction.restrictedAt),
            Reason: restriction.reason,
            Reporter: restriction.reporter,
            NewlyRestricted: created,
          },
        };
      },
    },
    SetNotificationWebhook: {
      rw: 'Write',
      resources: anyResource,
      async handle({ ramkey, caller, params }) {
        const url = params.required('Url');
        const secret = await ramkey.notifications.setWebhook(caller.principal.accountId, url);
        // The signing secret leaves Ramkey here only: it is sealed at rest and never shown again.
        return { Webhook: { Url: url, Secret: secret.reveal() } };
      },
    },
    GetNotificationWebhook: {
      rw: 'Read',
      resources: anyResource,
      async handle({ ramkey, caller }) {
        const hook = await ramkey.notifications.getWebhook(caller.principal.accountId);
        return { Webhook: { Url: hook.url, UpdateDate: toWireDate(hook.updatedAt) } };
      },
    },
    DeleteNotificationWebhook: {
      rw: 'Write',
      resources: anyResource,
      async handle({ ramkey, caller }) {
        await ramkey.notifications.deleteWebhook(caller.principal.accountId);
        return {};
      },
    },
    ListAlerts: {
      rw: 'Read',
      resources: anyResource,
      async handle({ ramkey, caller, params }) {
        const maxItems = params.integer(
          'MaxItems',
          { min: 1, max: MAX_ALERTS, fallback: 100 },
          'InvalidParameter',
        );
        const alerts = await ramkey.notifications.alerts(caller.principal.accountId, maxItems);
        return { Alerts: { Alert: alerts.map(alertShape) } };
      },
    },
  };
}
