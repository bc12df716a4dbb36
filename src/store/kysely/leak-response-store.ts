// The leak response aggregate on Kysely: restricted keys, leak reporters, webhooks, and the
// notification outbox a restriction writes to in its own transaction.
import type { Selectable } from 'kysely';
import type { NotificationsTable } from '../database.js';
import type { KeyRestrictionRecord, LeakResponseStore, NotificationRecord } from '../store.js';
import { isLiveKey } from './access-key-state.js';
import type { StoreContext } from './context.js';

function toNotification(row: Selectable<NotificationsTable>): NotificationRecord {
  return {
    notificationId: row.notification_id,
    accountId: row.account_id,
    kind: 'AccessKeyRestricted',
    payload: row.payload,
    createdAt: row.created_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    lastError: row.last_error,
  };
}

export function kyselyLeakResponseStore(ctx: StoreContext): LeakResponseStore {
  const { db } = ctx;
  return {
    async restrictAccessKey(restriction, notification) {
      const outcome = await ctx.write(
        async (trx) => {
          const live = await trx
            .selectFrom('access_keys')
            .select('access_key_id')
            .where('access_key_id', '=', restriction.accessKeyId)
            .where('account_id', '=', restriction.accountId)
            .where(isLiveKey())
            .executeTakeFirst();
          if (!live) return undefined;
          const existing = await trx
            .selectFrom('access_key_restrictions')
            .selectAll()
            .where('access_key_id', '=', restriction.accessKeyId)
            .executeTakeFirst();
          if (existing) {
            const record: KeyRestrictionRecord = {
              accessKeyId: existing.access_key_id,
              accountId: existing.account_id,
              restrictedAt: existing.restricted_at,
              reason: existing.reason,
              reporter: existing.reporter,
            };
            return { restriction: record, created: false };
          }
          await trx
            .insertInto('access_key_restrictions')
            .values({
              access_key_id: restriction.accessKeyId,
              account_id: restriction.accountId,
              restricted_at: restriction.restrictedAt,
              reason: restriction.reason,
              reporter: restriction.reporter,
            })
            .execute();
          await trx
            .insertInto('notifications')
            .values({
              notification_id: notification.notificationId,
              account_id: notification.accountId,
              kind: notification.kind,
              payload: notification.payload,
              created_at: notification.createdAt,
              attempts: notification.attempts,
              next_attempt_at: notification.nextAttemptAt,
              delivered_at: notification.deliveredAt,
              last_error: notification.lastError,
            })
            .execute();
          return { restriction, created: true };
        },
        // Only a new restriction is a change with an event; marking a restricted key again is not.
        (result) => result?.created === true,
      );
      return outcome;
    },

    async getKeyRestrictions(accessKeyIds) {
      if (accessKeyIds.length === 0) return [];
      const rows = await db
        .selectFrom('access_key_restrictions')
        .selectAll()
        .where('access_key_id', 'in', [...accessKeyIds])
        .execute();
      return rows.map((r) => ({
        accessKeyId: r.access_key_id,
        accountId: r.account_id,
        restrictedAt: r.restricted_at,
        reason: r.reason,
        reporter: r.reporter,
      }));
    },

    async findAccessKeyIdByFingerprint(keyVersion, fingerprint) {
      const row = await db
        .selectFrom('secret_index')
        .innerJoin('access_keys', 'access_keys.access_key_id', 'secret_index.access_key_id')
        .select('secret_index.access_key_id')
        .where('secret_index.key_version', '=', keyVersion)
        .where('secret_index.fingerprint', '=', fingerprint)
        .where(isLiveKey())
        .executeTakeFirst();
      return row?.access_key_id;
    },

    async addLeakReporter(reporter) {
      const result = await db
        .insertInto('leak_reporters')
        .values({
          reporter_name: reporter.reporterName,
          sealed_secret: reporter.sealedSecret,
          created_at: reporter.createdAt,
        })
        .onConflict((oc) => oc.column('reporter_name').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async getLeakReporter(reporterName) {
      const row = await db
        .selectFrom('leak_reporters')
        .selectAll()
        .where('reporter_name', '=', reporterName)
        .executeTakeFirst();
      return (
        row && { reporterName: row.reporter_name, sealedSecret: row.sealed_secret, createdAt: row.created_at }
      );
    },

    async listLeakReporters() {
      const rows = await db.selectFrom('leak_reporters').selectAll().orderBy('reporter_name').execute();
      return rows.map((row) => ({
        reporterName: row.reporter_name,
        sealedSecret: row.sealed_secret,
        createdAt: row.created_at,
      }));
    },

    async deleteLeakReporter(reporterName) {
      const result = await db
        .deleteFrom('leak_reporters')
        .where('reporter_name', '=', reporterName)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async setAccountWebhook(webhook) {
      await db
        .insertInto('account_webhooks')
        .values({
          account_id: webhook.accountId,
          url: webhook.url,
          sealed_secret: webhook.sealedSecret,
          updated_at: webhook.updatedAt,
        })
        .onConflict((oc) =>
          oc.column('account_id').doUpdateSet({
            url: webhook.url,
            sealed_secret: webhook.sealedSecret,
            updated_at: webhook.updatedAt,
          }),
        )
        .execute();
    },

    async getAccountWebhook(accountId) {
      const row = await db
        .selectFrom('account_webhooks')
        .selectAll()
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return (
        row && {
          accountId: row.account_id,
          url: row.url,
          sealedSecret: row.sealed_secret,
          updatedAt: row.updated_at,
        }
      );
    },

    async deleteAccountWebhook(accountId) {
      const result = await db
        .deleteFrom('account_webhooks')
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async listNotifications(accountId, limit) {
      const rows = await db
        .selectFrom('notifications')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at', 'desc')
        .orderBy('notification_id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toNotification);
    },

    async dueNotifications(now, limit) {
      const rows = await db
        .selectFrom('notifications')
        .selectAll()
        .where('delivered_at', 'is', null)
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('notification_id')
        .limit(limit)
        .execute();
      return rows.map(toNotification);
    },

    async markNotificationDelivered(notificationId, at) {
      await db
        .updateTable('notifications')
        .set((eb) => ({ delivered_at: at, attempts: eb('attempts', '+', 1), last_error: '' }))
        .where('notification_id', '=', notificationId)
        .execute();
    },

    async markNotificationFailed(notificationId, nextAttemptAt, error) {
      await db
        .updateTable('notifications')
        .set((eb) => ({
          next_attempt_at: nextAttemptAt,
          attempts: eb('attempts', '+', 1),
          last_error: error,
        }))
        .where('notification_id', '=', notificationId)
        .execute();
    },
  };
}
