// The custom services aggregate on Kysely: each scope's services (an account's, or the global ones
// under the scope ''), and the (host, path prefix) pairs each claims, unique within its scope.
import type { Selectable, Transaction } from 'kysely';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { Database, ServicesTable } from '../database.js';
import type { ServiceRecord, ServiceRouteClaim } from '../records.js';
import type { ServiceStore } from '../store.js';
import { lockOf, type StoreContext } from './context.js';
import { checkLimit, checkPageLimit, markerKey, toPage } from './support.js';

/** The scope of the installation's global services. */
const GLOBAL = '';

function scopeOf(accountId: string | null): string {
  return accountId ?? GLOBAL;
}

function toRecord(row: Selectable<ServicesTable>): ServiceRecord {
  return {
    accountId: row.scope === GLOBAL ? null : row.scope,
    serviceName: row.service_name,
    description: row.description,
    document: row.document,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Another service of the scope claims a pair; which one is found once the transaction rolled back. */
class RouteTaken extends Error {}

export function kyselyServiceStore(ctx: StoreContext): ServiceStore {
  const { db } = ctx;

  /** Claims the pairs for the service, or throws RouteTaken when another service holds one. */
  async function claim(
    trx: Transaction<Database>,
    scope: string,
    serviceName: string,
    routes: readonly ServiceRouteClaim[],
  ): Promise<void> {
    if (routes.length === 0) return;
    try {
      await trx
        .insertInto('service_routes')
        .values(
          routes.map((r) => ({
            scope,
            host: r.host,
            path_prefix: r.pathPrefix,
            service_name: serviceName,
          })),
        )
        .execute();
    } catch (error) {
      // The driver error stays out (no cause): it must not cross the interface.
      if (ctx.adapter.isUniqueViolation(error)) throw new RouteTaken();
      throw error;
    }
  }

  /**
   * The catalog error for a RouteTaken, naming the service that holds the pair: looked up after the
   * rollback (a PostgreSQL transaction that failed a statement answers nothing more).
   */
  async function explained(
    error: unknown,
    scope: string,
    serviceName: string,
    routes: readonly ServiceRouteClaim[],
  ): Promise<unknown> {
    if (!(error instanceof RouteTaken)) return error;
    const held = await db
      .selectFrom('service_routes')
      .selectAll()
      .where('scope', '=', scope)
      .where('service_name', '!=', serviceName)
      .execute();
    const holder = new Map(held.map((r) => [`${r.host} ${r.path_prefix}`, r.service_name]));
    for (const r of routes) {
      const other = holder.get(`${r.host} ${r.pathPrefix}`);
      if (other !== undefined) {
        return new RamkeyError('EntityAlreadyExists.Service.Route', {
          params: [other, r.host, r.pathPrefix],
        });
      }
    }
    // The holder went away meanwhile: the pair is still the reason this write failed.
    const first = routes[0];
    return new RamkeyError('EntityAlreadyExists.Service.Route', {
      params: ['(another service)', first?.host ?? '', first?.pathPrefix ?? ''],
    });
  }

  return {
    async createService(service, routes, maxServices) {
      checkLimit('createService', 'maxServices', maxServices);
      const scope = scopeOf(service.accountId);
      try {
        return await ctx.write(async (trx) => {
          await ctx.lock(trx, lockOf.scopeServices(scope));
          await ctx.unique('EntityAlreadyExists.Service', 'service name already in use', () =>
            trx
              .insertInto('services')
              .values({
                scope,
                service_name: service.serviceName,
                description: service.description,
                document: service.document,
                created_at: service.createdAt,
                updated_at: service.updatedAt,
              })
              .execute(),
          );
          await claim(trx, scope, service.serviceName, routes);
          // Written first, counted after (see context.ts): the lock and the writer lock make it exact.
          const { n } = await trx
            .selectFrom('services')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('scope', '=', scope)
            .executeTakeFirstOrThrow();
          if (n > maxServices) throw new RamkeyError('LimitExceeded.Service');
          return { ...service };
        });
      } catch (error) {
        throw await explained(error, scope, service.serviceName, routes);
      }
    },

    async getService(accountId, serviceName) {
      const row = await db
        .selectFrom('services')
        .selectAll()
        .where('scope', '=', scopeOf(accountId))
        .where('service_name', '=', serviceName)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async listServices(accountId, options) {
      const { limit } = options;
      checkPageLimit('listServices', limit);
      const after = markerKey(options.after);
      let query = db.selectFrom('services').selectAll().where('scope', '=', scopeOf(accountId));
      if (after !== undefined) query = query.where('service_name', '>', after);
      const rows = await query
        .orderBy('service_name')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, (row) => row.service_name, toRecord);
    },

    async loadServices(accountId) {
      const rows = await db
        .selectFrom('services')
        .selectAll()
        .where('scope', '=', scopeOf(accountId))
        .orderBy('service_name')
        .execute();
      return rows.map(toRecord);
    },

    async countServices(accountId) {
      const { n } = await db
        .selectFrom('services')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('scope', '=', scopeOf(accountId))
        .executeTakeFirstOrThrow();
      return n;
    },

    async updateService(accountId, serviceName, patch, now) {
      const scope = scopeOf(accountId);
      const routes = patch.document?.routes ?? [];
      try {
        return await ctx.write(
          async (trx) => {
            // The row first: it is the write that takes SQLite's writer lock, and tells whether the
            // service exists at all.
            const updated = await trx
              .updateTable('services')
              .set({
                updated_at: now,
                ...(patch.description !== undefined && { description: patch.description }),
                ...(patch.document !== undefined && { document: patch.document.text }),
              })
              .where('scope', '=', scope)
              .where('service_name', '=', serviceName)
              .returningAll()
              .executeTakeFirst();
            if (!updated) return undefined;
            if (patch.document !== undefined) {
              await trx
                .deleteFrom('service_routes')
                .where('scope', '=', scope)
                .where('service_name', '=', serviceName)
                .execute();
              await claim(trx, scope, serviceName, routes);
            }
            return toRecord(updated);
          },
          (r) => r !== undefined,
        );
      } catch (error) {
        throw await explained(error, scope, serviceName, routes);
      }
    },

    async deleteService(accountId, serviceName) {
      const scope = scopeOf(accountId);
      return ctx.write(
        async (trx) => {
          const deleted = await trx
            .deleteFrom('services')
            .where('scope', '=', scope)
            .where('service_name', '=', serviceName)
            .executeTakeFirst();
          if (Number(deleted.numDeletedRows) === 0) return false;
          await trx
            .deleteFrom('service_routes')
            .where('scope', '=', scope)
            .where('service_name', '=', serviceName)
            .execute();
          return true;
        },
        (deleted) => deleted,
      );
    },
  };
}
