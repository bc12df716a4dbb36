// The console sessions aggregate on Kysely: sessions (by their token's hash), failed sign-ins, and
// the source addresses where users last passed MFA.
import type { Selectable } from 'kysely';
import type { ConsoleSessionsTable } from '../database.js';
import type { ConsoleSessionRecord, ConsoleSessionStore } from '../store.js';
import type { StoreContext } from './context.js';

function toSession(row: Selectable<ConsoleSessionsTable>): ConsoleSessionRecord {
  return {
    tokenHash: row.token_hash,
    sessionId: row.session_id,
    accountId: row.account_id,
    userId: row.user_id === '' ? undefined : row.user_id,
    mfaPresent: row.mfa_present === 1,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    passwordVerifiedAt: row.password_verified_at,
  };
}

export function kyselyConsoleSessionStore(ctx: StoreContext): ConsoleSessionStore {
  const { db } = ctx;
  return {
    async createConsoleSession(session) {
      await ctx.write((trx) =>
        trx
          .insertInto('console_sessions')
          .values({
            token_hash: session.tokenHash,
            session_id: session.sessionId,
            account_id: session.accountId,
            user_id: session.userId ?? '',
            mfa_present: session.mfaPresent ? 1 : 0,
            created_at: session.createdAt,
            last_seen_at: session.lastSeenAt,
            password_verified_at: session.passwordVerifiedAt,
          })
          .execute(),
      );
    },

    async getConsoleSession(tokenHash) {
      const row = await db
        .selectFrom('console_sessions')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row && toSession(row);
    },

    async touchConsoleSession(tokenHash, at) {
      const result = await ctx.write(
        (trx) =>
          trx
            .updateTable('console_sessions')
            .set({ last_seen_at: at })
            .where('token_hash', '=', tokenHash)
            .where('last_seen_at', '<', at)
            .executeTakeFirst(),
        (r) => r.numUpdatedRows > 0n,
      );
      return result.numUpdatedRows > 0n;
    },

    async deleteConsoleSession(tokenHash) {
      const result = await ctx.write(
        (trx) => trx.deleteFrom('console_sessions').where('token_hash', '=', tokenHash).executeTakeFirst(),
        (r) => r.numDeletedRows > 0n,
      );
      return result.numDeletedRows > 0n;
    },

    async setConsoleSessionPasswordVerifiedAt(tokenHash, at) {
      await ctx.write((trx) =>
        trx
          .updateTable('console_sessions')
          .set({ password_verified_at: at })
          .where('token_hash', '=', tokenHash)
          .execute(),
      );
    },

    async purgeConsoleSessions(before) {
      const result = await ctx.write(
        (trx) => trx.deleteFrom('console_sessions').where('last_seen_at', '<', before).executeTakeFirst(),
        (r) => r.numDeletedRows > 0n,
      );
      return Number(result.numDeletedRows);
    },

    async getSigninFailures(loginKey) {
      const row = await db
        .selectFrom('console_signin_failures')
        .select(['failures', 'first_failed_at', 'locked_until'])
        .where('login_key', '=', loginKey)
        .executeTakeFirst();
      return (
        row && {
          failures: row.failures,
          firstFailedAt: row.first_failed_at,
          lockedUntil: row.locked_until,
        }
      );
    },

    async recordSigninFailure(accountId, loginKey, at, rule) {
      return ctx.write(async (trx) => {
        // Insert or touch first: the row's write lock orders concurrent failures of one name.
        await trx
          .insertInto('console_signin_failures')
          .values({
            login_key: loginKey,
            account_id: accountId,
            failures: 0,
            first_failed_at: at,
            locked_until: 0,
          })
          .onConflict((oc) => oc.column('login_key').doUpdateSet({ account_id: accountId }))
          .execute();
        const row = await trx
          .selectFrom('console_signin_failures')
          .select(['failures', 'first_failed_at', 'locked_until'])
          .where('login_key', '=', loginKey)
          .executeTakeFirstOrThrow();
        const fresh = at - row.first_failed_at >= rule.windowMs || row.failures === 0;
        const failures = fresh ? 1 : row.failures + 1;
        const firstFailedAt = fresh ? at : row.first_failed_at;
        const lockedUntil =
          rule.maxFailures > 0 && failures >= rule.maxFailures ? at + rule.lockMs : row.locked_until;
        await trx
          .updateTable('console_signin_failures')
          .set({ failures, first_failed_at: firstFailedAt, locked_until: lockedUntil })
          .where('login_key', '=', loginKey)
          .execute();
        return { failures, firstFailedAt, lockedUntil };
      });
    },

    async clearSigninFailures(loginKey) {
      await ctx.write((trx) =>
        trx.deleteFrom('console_signin_failures').where('login_key', '=', loginKey).execute(),
      );
    },

    async recordMfaSource(accountId, userId, sourceIp, at) {
      await ctx.write((trx) =>
        trx
          .insertInto('console_mfa_sources')
          .values({ account_id: accountId, user_id: userId, source_ip: sourceIp, verified_at: at })
          .onConflict((oc) =>
            oc
              .columns(['account_id', 'user_id', 'source_ip'])
              .doUpdateSet({ verified_at: at })
              .where('console_mfa_sources.verified_at', '<', at),
          )
          .execute(),
      );
    },

    async getMfaSourceVerifiedAt(accountId, userId, sourceIp) {
      const row = await db
        .selectFrom('console_mfa_sources')
        .select('verified_at')
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .where('source_ip', '=', sourceIp)
        .executeTakeFirst();
      return row?.verified_at;
    },

    async purgeMfaSources(before) {
      const result = await ctx.write(
        (trx) => trx.deleteFrom('console_mfa_sources').where('verified_at', '<', before).executeTakeFirst(),
        (r) => r.numDeletedRows > 0n,
      );
      return Number(result.numDeletedRows);
    },
  };
}
