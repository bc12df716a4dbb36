// The virtual MFA devices aggregate on Kysely: each account's TOTP devices (seeds sealed), which user
// each is bound to, and the last time step each accepted (replay protection shared by every node).
import type { Selectable } from 'kysely';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import type { VirtualMfaDevicesTable } from '../database.js';
import type { MfaDeviceStore, VirtualMfaDeviceRecord } from '../store.js';
import { lockOf, type StoreContext } from './context.js';
import { checkPageLimit, isTrue, markerKey, toPage } from './support.js';
import { asciiLower } from '../../core/ascii-case.js';

/** Device names are unique and found case-insensitively, like user names. */
function nameKey(deviceName: string): string {
  return asciiLower(deviceName);
}

function toDevice(row: Selectable<VirtualMfaDevicesTable>): VirtualMfaDeviceRecord {
  return {
    accountId: row.account_id,
    deviceName: row.device_name,
    sealedSeed: row.sealed_seed,
    userId: row.user_id,
    boundAt: row.bound_at,
    lastUsedStep: row.last_used_step,
    createdAt: row.created_at,
  };
}

export function kyselyMfaDeviceStore(ctx: StoreContext): MfaDeviceStore {
  const { db } = ctx;
  return {
    async createVirtualMfaDevice(device, quota) {
      const result = await ctx.write(
        async (trx) => {
          await ctx.lock(trx, lockOf.accountMfaDevices(device.accountId));
          const inserted = await trx
            .insertInto('virtual_mfa_devices')
            .values({
              account_id: device.accountId,
              device_name: device.deviceName,
              device_name_key: nameKey(device.deviceName),
              sealed_seed: device.sealedSeed,
              user_id: device.userId,
              bound_at: device.boundAt,
              last_used_step: device.lastUsedStep,
              created_at: device.createdAt,
            })
            .onConflict((oc) => oc.columns(['account_id', 'device_name_key']).doNothing())
            .executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
          // Written first, counted after (context.ts): over the quota rolls the insert back.
          const count = await trx
            .selectFrom('virtual_mfa_devices')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('account_id', '=', device.accountId)
            .executeTakeFirstOrThrow();
          if (count.n > quota) throw new RamkeyError('LimitExceeded.VirtualMFADevice');
          return true;
        },
        (created) => created,
      );
      return result;
    },

    async getVirtualMfaDevice(accountId, deviceName) {
      const row = await db
        .selectFrom('virtual_mfa_devices')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('device_name_key', '=', nameKey(deviceName))
        .executeTakeFirst();
      return row && toDevice(row);
    },

    async getUserMfaDevice(accountId, userId) {
      const row = await db
        .selectFrom('virtual_mfa_devices')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row && toDevice(row);
    },

    async listVirtualMfaDevices(accountId, options) {
      const { limit } = options;
      checkPageLimit('listVirtualMfaDevices', limit);
      const after = markerKey(options.after);
      // The seed is never read for a list.
      let query = db
        .selectFrom('virtual_mfa_devices as d')
        .leftJoin('users as u', (join) =>
          join.onRef('u.account_id', '=', 'd.account_id').onRef('u.user_id', '=', 'd.user_id'),
        )
        .select([
          'd.device_name',
          'd.device_name_key',
          'd.created_at',
          'd.bound_at',
          'd.user_id',
          'u.user_name',
          'u.display_name',
        ])
        .where('d.account_id', '=', accountId);
      if (after !== undefined) query = query.where('d.device_name_key', '>', after);
      const rows = await query
        .orderBy('d.device_name_key')
        .limit(limit + 1)
        .execute();
      return toPage(
        rows,
        limit,
        (row) => row.device_name_key,
        (row) => ({
          deviceName: row.device_name,
          createdAt: row.created_at,
          boundAt: row.bound_at,
          user:
            row.user_id === null
              ? null
              : { userId: row.user_id, userName: row.user_name ?? '', displayName: row.display_name ?? '' },
        }),
      );
    },

    async bindMfaDevice(accountId, deviceName, userId, boundAt, step) {
      return ctx.write(
        async (trx) => {
          // DeleteUser takes this lock too: the user is still live when the binding commits.
          await ctx.lock(trx, lockOf.principal(accountId, userId));
          const bound = await trx
            .updateTable('virtual_mfa_devices')
            .set({ user_id: userId, bound_at: boundAt, last_used_step: step })
            .where('account_id', '=', accountId)
            .where('device_name_key', '=', nameKey(deviceName))
            .where('user_id', 'is', null)
            .where((eb) =>
              eb.and([
                eb.exists(
                  eb
                    .selectFrom('users')
                    .select('user_id')
                    .where('account_id', '=', accountId)
                    .where('user_id', '=', userId),
                ),
                eb.not(
                  eb.exists(
                    eb
                      .selectFrom('virtual_mfa_devices')
                      .select('device_name')
                      .where('account_id', '=', accountId)
                      .where('user_id', '=', userId),
                  ),
                ),
              ]),
            )
            .executeTakeFirst();
          if (bound.numUpdatedRows > 0n) return undefined;
          const why = await trx
            .selectNoFrom((eb) => [
              eb
                .exists(
                  eb
                    .selectFrom('virtual_mfa_devices')
                    .select('device_name')
                    .where('account_id', '=', accountId)
                    .where('device_name_key', '=', nameKey(deviceName)),
                )
                .as('device'),
              eb
                .exists(
                  eb
                    .selectFrom('users')
                    .select('user_id')
                    .where('account_id', '=', accountId)
                    .where('user_id', '=', userId),
                )
                .as('user'),
              eb
                .exists(
                  eb
                    .selectFrom('virtual_mfa_devices')
                    .select('device_name')
                    .where('account_id', '=', accountId)
                    .where('user_id', '=', userId),
                )
                .as('userBound'),
            ])
            .executeTakeFirstOrThrow();
          if (!isTrue(why.device)) return 'no-device' as const;
          if (!isTrue(why.user)) return 'no-user' as const;
          if (isTrue(why.userBound)) return 'user-bound' as const;
          return 'device-bound' as const;
        },
        (refusal) => refusal === undefined,
      );
    },

    async unbindMfaDevice(accountId, userId) {
      return ctx.write(
        async (trx) => {
          const row = await trx
            .updateTable('virtual_mfa_devices')
            .set({ user_id: null, bound_at: null })
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .returning('device_name')
            .executeTakeFirst();
          return row?.device_name;
        },
        (name) => name !== undefined,
      );
    },

    async deleteVirtualMfaDevice(accountId, deviceName) {
      return ctx.write(
        async (trx) => {
          const deleted = await trx
            .deleteFrom('virtual_mfa_devices')
            .where('account_id', '=', accountId)
            .where('device_name_key', '=', nameKey(deviceName))
            .where('user_id', 'is', null)
            .executeTakeFirst();
          if (deleted.numDeletedRows > 0n) return 'deleted' as const;
          const left = await trx
            .selectFrom('virtual_mfa_devices')
            .select('device_name')
            .where('account_id', '=', accountId)
            .where('device_name_key', '=', nameKey(deviceName))
            .executeTakeFirst();
          return left === undefined ? ('missing' as const) : ('bound' as const);
        },
        (outcome) => outcome === 'deleted',
      );
    },

    async acceptMfaStep(accountId, userId, deviceName, step) {
      const result = await ctx.write(
        (trx) =>
          trx
            .updateTable('virtual_mfa_devices')
            .set({ last_used_step: step })
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .where('device_name_key', '=', nameKey(deviceName))
            .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
            .executeTakeFirst(),
        (r) => r.numUpdatedRows > 0n,
      );
      return result.numUpdatedRows > 0n;
    },

    async countMfaDevices(accountId) {
      const row = await db
        .selectFrom('virtual_mfa_devices')
        .select((eb) => [eb.fn.countAll<number>().as('devices'), eb.fn.count<number>('user_id').as('inUse')])
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      return { devices: row.devices, inUse: row.inUse };
    },
  };
}
