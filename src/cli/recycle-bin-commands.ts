// `ramkey keys recycle-bin` and `ramkey users recycle-bin` (list, restore, purge with a typed
// confirmation), and `ramkey report idle-keys` (the keys MaxIdleDaysForAccessKeys is about to disable).
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { toWireDate } from '../core/clock.js';
import { parseCsvRecord, splitCsvRecords } from '../core/csv.js';
import { idleDays, idleDisableAt, isIdle } from '../core/keys/idle.js';
import {
  client,
  credentialReport,
  IMS,
  list,
  obj,
  RAM,
  str,
  STS,
  suggestion,
  type Json,
} from './api-values.js';
import { ApiError, type RamkeyClient } from './client.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { printJson, printTable } from './output.js';

/** A key's last use as people read it: `<date> (<service>, from <ip>)`, or `never`. */
export function describeLastUse(key: Json): string {
  const date = str(key.LastUsedDate);
  if (date === '') return 'never';
  return `${date} (${str(key.LastUsedServiceName) || '-'}, from ${str(key.LastUsedSourceIp) || '-'})`;
}

/** The user name of a logon name (`name@<account>.onaliyun.com`). */
function nameOf(userPrincipalName: unknown): string {
  return str(userPrincipalName).split('@')[0] ?? '';
}

async function accountId(api: RamkeyClient): Promise<string> {
  return str((await api.call(STS, 'GetCallerIdentity')).AccountId);
}

/** The named user as the recycle bin holds it; undefined when it is not there. */
export async function binnedUser(api: RamkeyClient, userName: string): Promise<Json | undefined> {
  const upn = `${userName}@${await accountId(api)}.onaliyun.com`;
  const page = await api.call(IMS, 'ListUsersInRecycleBin', { Filter: `UserPrincipalName eq ${upn}` });
  return list(page.Users, 'User')[0];
}

/** The ID of the named user, live or in the recycle bin. */
async function userIdOf(api: RamkeyClient, userName: string): Promise<string> {
  try {
    return str(obj((await api.call(RAM, 'GetUser', { UserName: userName })).User).UserId);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'EntityNotExist.User')) throw err;
  }
  const binned = await binnedUser(api, userName);
  if (!binned) throw new CliError(`No user ${userName} in this account, nor in its recycle bin.`);
  return str(binned.UserId);
}

/** The first line of standard input ('' when it ends first). */
function readLine(): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!answered) resolve('');
    });
  });
}

/**
 * Asks for `expected` (the key ID, the user name) to be typed, as the console does before a purge;
 * anything else aborts with nothing changed. `--yes` skips it.
 */
async function confirmPurge(what: string, expected: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  process.stderr.write(`This cannot be undone. Type ${what} (${expected}) to purge it for good: `);
  const answer = (await readLine()).trim();
  if (answer !== expected) {
    throw new CliError(`Not confirmed (expected ${expected}): nothing was purged.`);
  }
}

const yesOption = ['--yes', 'skip the typed confirmation (scripts)'] as const;

export function registerKeyRecycleBinCommands(keys: Command): void {
  const bin = keys
    .command('recycle-bin')
    .description('deleted AccessKeys: restorable (Inactive) for 30 days, then purged for good');
  bin
    .command('list')
    .description('list the AccessKeys in the recycle bin, with when they were deleted and will be purged')
    .option('--user <name>', 'the RAM user whose deleted keys to list (default: the caller itself)')
    .action(async (options: { user?: string }, command: Command) => {
      const { api, json } = client(command);
      const params: Record<string, string> =
        options.user === undefined ? {} : { UserId: await userIdOf(api, options.user) };
      const items = list((await api.call(IMS, 'ListAccessKeysInRecycleBin', params)).AccessKeys, 'AccessKey');
      if (json) printJson(items);
      else
        printTable(
          ['ACCESS KEY ID', 'CREATED', 'DELETED', 'PURGED ON'],
          items.map((k) => [str(k.AccessKeyId), str(k.CreateDate), str(k.RecycleDate), str(k.DeleteDate)]),
        );
    });
  bin
    .command('restore <accessKeyId>')
    .description('bring a deleted AccessKey back, Inactive (enable it once nothing surprising would start)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      const info = obj(
        (await api.call(IMS, 'GetAccessKeyInfoInRecycleBin', { UserAccessKeyId: id })).AccessKey,
      );
      const userName = nameOf(info.UserPrincipalName);
      if (info.UserRecycled === true) {
        throw new CliError(
          `${id} belongs to user ${userName}, which is in the recycle bin itself: ` +
            `"${suggestion(command, ['users', 'recycle-bin', 'restore', userName])}" brings it back with its keys.`,
        );
      }
      const userId = str(info.UserId);
      await api.call(IMS, 'RestoreAccessKeyFromRecycleBin', {
        UserAccessKeyId: id,
        ...(userId !== '' && { UserId: userId }),
      });
      if (json) {
        printJson({ AccessKeyId: id, Status: 'Inactive', UserName: userName });
        return;
      }
      const user = userName === '' ? [] : ['--user', userName];
      process.stdout.write(
        `Restored ${id} (Inactive). Enable it when ready: "${suggestion(command, ['keys', 'enable', id, ...user])}".\n`,
      );
    });
  bin
    .command('purge <accessKeyId>')
    .description('purge a deleted AccessKey for good (its secret is erased; the ID is never issued again)')
    .option(...yesOption)
    .addHelpText('after', '\nUnless --yes, the AccessKey ID must be typed to confirm.')
    .action(async (id: string, options: { yes?: boolean }, command: Command) => {
      const { api, json } = client(command);
      const info = obj(
        (await api.call(IMS, 'GetAccessKeyInfoInRecycleBin', { UserAccessKeyId: id })).AccessKey,
      );
      const userName = nameOf(info.UserPrincipalName);
      if (!json) {
        process.stderr.write(
          `${id} (${userName === '' ? 'root' : `user ${userName}`}) was deleted ${str(info.RecycleDate)}; ` +
            `it would be purged anyway on ${str(info.DeleteDate)}.\n`,
        );
      }
      await confirmPurge('the AccessKey ID', id, options.yes);
      const userId = str(info.UserId);
      await api.call(IMS, 'DeleteAccessKeyInRecycleBin', {
        UserAccessKeyId: id,
        ...(userId !== '' && { UserId: userId }),
      });
      if (json) printJson({ AccessKeyId: id, Purged: true });
      else process.stdout.write(`Purged ${id} for good.\n`);
    });
}

export function registerUserRecycleBinCommands(users: Command): void {
  const bin = users
    .command('recycle-bin')
    .description('deleted RAM users: restorable with their AccessKeys for 30 days, then purged for good');
  bin
    .command('list')
    .description(
      'list the users in the recycle bin (all pages), with when they were deleted and will be purged',
    )
    .action(async (_options: unknown, command: Command) => {
      const { api, json } = client(command);
      const all: Json[] = [];
      let marker: string | undefined;
      do {
        const page = await api.call(IMS, 'ListUsersInRecycleBin', {
          MaxItems: '100',
          ...(marker && { Marker: marker }),
        });
        all.push(...list(page.Users, 'User'));
        marker = page.IsTruncated === true ? str(page.Marker) : undefined;
      } while (marker);
      if (json) printJson(all);
      else
        printTable(
          ['USER NAME', 'USER ID', 'DELETED', 'PURGED ON'],
          all.map((u) => [nameOf(u.UserPrincipalName), str(u.UserId), str(u.RecycleDate), str(u.DeleteDate)]),
        );
    });
  bin
    .command('restore <name>')
    .description('bring a deleted user back under its name, with the AccessKeys deleted with it (Inactive)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      const binned = await binnedUser(api, name);
      if (!binned) throw new CliError(`No user ${name} in the recycle bin.`);
      await api.call(IMS, 'RestoreUserFromRecycleBin', { UserId: str(binned.UserId) });
      const keys = list((await api.call(RAM, 'ListAccessKeys', { UserName: name })).AccessKeys, 'AccessKey');
      if (json) {
        printJson({ UserName: name, UserId: str(binned.UserId), AccessKeys: keys });
        return;
      }
      const enable = keys.map(
        (k) => `  ${suggestion(command, ['keys', 'enable', str(k.AccessKeyId), '--user', name])}\n`,
      );
      process.stdout.write(
        `Restored user ${name}` +
          (keys.length === 0
            ? '.\n'
            : ` with its AccessKeys, Inactive: ${keys.map((k) => str(k.AccessKeyId)).join(', ')}. ` +
              `Enable them when ready:\n${enable.join('')}`),
      );
    });
  bin
    .command('purge <name>')
    .description('purge a deleted user and its AccessKeys for good; its name is then free')
    .option(...yesOption)
    .addHelpText('after', '\nUnless --yes, the user name must be typed to confirm.')
    .action(async (name: string, options: { yes?: boolean }, command: Command) => {
      const { api, json } = client(command);
      const binned = await binnedUser(api, name);
      if (!binned) throw new CliError(`No user ${name} in the recycle bin.`);
      const userId = str(binned.UserId);
      const keys = list(
        (await api.call(IMS, 'ListAccessKeysInRecycleBin', { UserId: userId })).AccessKeys,
        'AccessKey',
      );
      if (!json) {
        process.stderr.write(
          `User ${name} (${userId}) was deleted ${str(binned.RecycleDate)}; purging it also purges ` +
            `${String(keys.length)} AccessKey(s) in the bin. It would be purged anyway on ${str(binned.DeleteDate)}.\n`,
        );
      }
      await confirmPurge('the user name', name, options.yes);
      await api.call(IMS, 'DeleteUserInRecycleBin', { UserId: userId });
      if (json) {
        printJson({
          UserName: name,
          UserId: userId,
          Purged: true,
          AccessKeyIds: keys.map((k) => str(k.AccessKeyId)),
        });
      } else process.stdout.write(`Purged user ${name} and its AccessKeys for good.\n`);
    });
}

/** One idle candidate: an Active key unused for at least the days asked. */
interface IdleCandidate {
  /** The principal's name in the credential report: a user name, or `<root>`. */
  User: string;
  AccessKeyId: string;
  CreateDate: string;
  /** '' when never used. */
  LastUsedDate: string;
  IdleDays: number;
  /** When the daily job disables it if it stays unused (the next run, once past). */
  DisableDate: string;
}

function parseDays(value: string): number {
  const days = Number(value);
  if (!/^\d{1,4}$/.test(value) || days > 3650) {
    throw new CliError(`Invalid --days "${value}": use a whole number of days, 0-3650.`, EXIT_USAGE);
  }
  return days;
}

export function registerIdleKeysReport(report: Command): void {
  report
    .command('idle-keys')
    .description(
      'list the Active AccessKeys unused for N days or more (never-used ones: since creation): those MaxIdleDaysForAccessKeys will disable',
    )
    .option('--days <n>', "at least this many days unused (default: the account's MaxIdleDaysForAccessKeys)")
    .addHelpText(
      'after',
      '\nRead from a fresh credential report; the daily job disables a key once it is unused for\n' +
        'MaxIdleDaysForAccessKeys days (IMS SetSecurityPreference; 730 unless set). --json prints the rows.',
    )
    .action(async (options: { days?: string }, command: Command) => {
      const { api, json } = client(command);
      const preference = obj((await api.call(IMS, 'GetSecurityPreference')).SecurityPreference);
      const maxIdleDays = Number(obj(preference.MaxIdleDays).MaxIdleDaysForAccessKeys ?? 730);
      const days = options.days === undefined ? maxIdleDays : parseDays(options.days);
      const { csv, generatedTime } = await credentialReport(api);
      const now = Date.parse(generatedTime);
      const [header = [], ...data] = splitCsvRecords(csv).map(parseCsvRecord);
      const slots = header.filter((h) => /^access_key_\d+_id$/.test(h)).length;
      const candidates: IdleCandidate[] = [];
      for (const fields of data) {
        const row = Object.fromEntries(header.map((h, i) => [h, fields[i] ?? '']));
        for (let i = 1; i <= slots; i++) {
          const field = (name: string) => row[`access_key_${i}_${name}`] ?? '';
          if (field('id') === '' || field('status') !== 'Active') continue;
          const use = {
            createdAt: Date.parse(field('created')),
            lastUsedAt: field('last_used') === '' ? null : Date.parse(field('last_used')),
          };
          if (!isIdle(use, now, days)) continue;
          const disableAt = idleDisableAt(use, maxIdleDays);
          candidates.push({
            User: row.user ?? '',
            AccessKeyId: field('id'),
            CreateDate: field('created'),
            LastUsedDate: field('last_used'),
            IdleDays: idleDays(use, now),
            DisableDate: toWireDate(Math.max(disableAt, now)),
          });
        }
      }
      candidates.sort((a, b) => b.IdleDays - a.IdleDays || a.AccessKeyId.localeCompare(b.AccessKeyId));
      if (json) {
        printJson(candidates);
        return;
      }
      process.stdout.write(
        `Active AccessKeys unused for ${String(days)} days or more, as of ${generatedTime}` +
          ` (MaxIdleDaysForAccessKeys: ${String(maxIdleDays)}; disabled by the daily run from the date shown):\n\n`,
      );
      printTable(
        ['USER', 'ACCESS KEY ID', 'LAST USED', 'IDLE (DAYS)', 'DISABLED FROM'],
        candidates.map((c) => [
          c.User,
          c.AccessKeyId,
          c.LastUsedDate || 'never',
          String(c.IdleDays),
          c.DisableDate,
        ]),
      );
    });
}
