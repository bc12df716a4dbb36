// The audit aggregate on Kysely: events, per-key usage, and the recorder's flush of both with the
// keys' last use.
import type { AuditStore } from '../store.js';
import { recordLastUse } from './access-key-store.js';
import {
  addKeyUsage,
  getAuditEvents,
  keyUsageGroups,
  lookupAuditEvents,
  purgeAuditEvents,
  setAuditOutcome,
} from './audit-queries.js';
import { runWithAuditEvent, type StoreContext } from './context.js';

export function kyselyAuditStore(ctx: StoreContext): AuditStore {
  const { db } = ctx;
  return {
    async recordActivity({ events, lastUsed, keyUsage }) {
      if (events.length === 0 && lastUsed.length === 0 && keyUsage.length === 0) return;
      // Not through ctx.write: this is the recorder's own flush, never a request's change.
      await db.transaction().execute(async (trx) => {
        await ctx.insertAuditEvents(trx, events);
        await recordLastUse(trx, lastUsed);
        await addKeyUsage(trx, keyUsage);
      });
    },
    withAuditEvent: runWithAuditEvent,
    setAuditOutcome: (eventId, errorCode, errorMessage) =>
      setAuditOutcome(db, eventId, errorCode, errorMessage),
    lookupAuditEvents: (query) => lookupAuditEvents(db, query),
    getAuditEvents: (accountId, eventIds) => getAuditEvents(db, accountId, eventIds),
    keyUsageByIp: (accountId, accessKeyId, query) => keyUsageGroups(db, accountId, accessKeyId, 'ip', query),
    keyUsageByEvent: (accountId, accessKeyId, query) =>
      keyUsageGroups(db, accountId, accessKeyId, 'event', query),
    keyUsageByService: (accountId, accessKeyId, query) =>
      keyUsageGroups(db, accountId, accessKeyId, 'service', query),
    purgeAuditEvents: (before, limit) => purgeAuditEvents(db, before, limit),
  };
}
