// Leak response commands: restrict a key, the account's webhook and alerts (through the API), and
// the installation's leak reporters (operator commands on the data directory).
import type { Command } from 'commander';
import { DAY_MS, toWireDate } from '../core/clock.js';
import { lookupAll, lookupParams } from './audit-commands.js';
import { incidentJson, summarizeIncident, type IncidentSummary } from './incident.js';
import { ApiError, type RamkeyClient } from './client.js';
import {
  client,
  IMS,
  list,
  obj,
  ownerLogonName,
  RAM,
  str,
  STS,
  suggestion,
  type Json,
} from './api-values.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { printFields, printJson, printTable } from './output.js';
import { withInstallation, type DataOptions } from './server-commands.js';

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** `30s`, `10m`, `2h`, `1d` (also `500ms`) as milliseconds; a usage error otherwise. */
function parseDuration(value: string, option: string): number {
  const ms = /^(\d{1,7})ms$/.exec(value);
  if (ms) return Number(ms[1]);
  const match = /^(\d{1,6})([smhd])$/.exec(value);
  if (!match) throw new CliError(`Invalid ${option} "${value}": use 500ms, 30s, 10m, 2h or 1d.`, EXIT_USAGE);
  return Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 's'] ?? 1000);
}

/**
 * An event does not hold the ID of a key it created: the key of the named user created at the
 * event's second is it (a key since deleted is not found, and stays unnamed).
 */
async function nameCreatedKeys(api: RamkeyClient, summary: IncidentSummary): Promise<void> {
  const me = await api.call(STS, 'GetCallerIdentity');
  for (const entry of summary.persistence) {
    const userName = entry.target.UserName;
    if (entry.action !== 'CreateAccessKey' || userName === undefined) continue;
    const upn = `${userName}@${str(me.AccountId)}.onaliyun.com`;
    const listed = await api.call(IMS, 'ListAccessKeys', { UserPrincipalName: upn }).catch(() => undefined);
    const keysOf = obj(listed?.AccessKeys).AccessKey;
    const created = (Array.isArray(keysOf) ? keysOf.map(obj) : []).find((k) => k.CreateDate === entry.time);
    if (created) entry.target.CreatedAccessKeyId = str(created.AccessKeyId);
  }
}

export function registerLeakCommands(program: Command): void {
  const keys = program.commands.find((c) => c.name() === 'keys');
  if (!keys) throw new Error('the keys command must be registered first');
  keys
    .command('restrict <accessKeyId>')
    .description(
      'mark an AccessKey as suspected leaked, for good: identity and high-risk actions are refused to it, ' +
        'other calls keep working until you rotate it away',
    )
    .requiredOption('--reason <text>', 'why (kept with the key and in the audit trail)')
    .option('--user <name>', 'the RAM user owning the key (default: looked up)')
    .action(async (id: string, options: { reason: string; user?: string }, command: Command) => {
      const { api, json } = client(command);
      const upn = await ownerLogonName(api, id, options.user);
      const answer = obj(
        (
          await api.call(IMS, 'RestrictAccessKey', {
            UserAccessKeyId: id,
            Reason: options.reason,
            ...(upn !== undefined && { UserPrincipalName: upn }),
          })
        ).AccessKeyRestriction,
      );
      if (json) {
        printJson(answer);
        return;
      }
      printFields({
        AccessKeyId: str(answer.AccessKeyId),
        Restricted: str(answer.RestrictedDate),
        Reason: str(answer.Reason),
        Reporter: str(answer.Reporter),
      });
      process.stdout.write(
        answer.NewlyRestricted === true
          ? '\nRestricted. Now rotate it: create a new key, move the application to it, then disable and delete this one.\n'
          : '\nIt was restricted already; nothing changed.\n',
      );
    });

  keys
    .command('incident <accessKeyId>')
    .description(
      'what a key did since a given time, from the audit trail: actions, source addresses, refused calls, ' +
        'and the users, keys, policies and attachments it created',
    )
    .option('--since <when>', 'from this date, date-time or age (30m, 12h, 7d; default 90d)')
    .option('--until <when>', 'up to this date, date-time or age (default now)')
    .action(async (id: string, options: { since?: string; until?: string }, command: Command) => {
      const { api, json } = client(command);
      const params: Record<string, string> = {
        ...lookupParams({ ...options, key: id }, 90 * DAY_MS),
        Direction: 'FORWARD',
      };
      const events: Json[] = [];
      await lookupAll(api, params, Number.MAX_SAFE_INTEGER, (page) => {
        events.push(...page);
        if (process.stderr.isTTY) process.stderr.write(`\rread ${String(events.length)} events`);
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      const summary = summarizeIncident(id, events, {
        since: params.StartTime ?? '',
        until: params.EndTime ?? '',
      });
      await nameCreatedKeys(api, summary);
      if (json) {
        printJson(incidentJson(summary));
        return;
      }
      printFields({
        AccessKeyId: id,
        From: summary.since,
        To: summary.until,
        Calls: String(summary.calls),
        Refused: String(summary.refusedCalls),
      });
      process.stdout.write('\nActions\n');
      printTable(
        ['ACTION', 'SERVICE', 'CALLS', 'REFUSED'],
        summary.actions.map((a) => [a.action, a.service, String(a.calls), String(a.refused)]),
      );
      process.stdout.write('\nSource addresses\n');
      printTable(
        ['SOURCE IP', 'CALLS', 'FIRST SEEN', 'LAST SEEN'],
        summary.sourceIps.map((s) => [s.ip, String(s.calls), s.firstSeen, s.lastSeen]),
      );
      process.stdout.write('\nRefused calls\n');
      printTable(
        ['TIME', 'ACTION', 'SOURCE IP', 'ERROR', 'CALLS'],
        summary.refused.map((r) => [r.time, r.action, r.sourceIp, r.errorCode, String(r.calls)]),
      );
      process.stdout.write('\nLeft behind (users, keys, policies, attachments it created or changed)\n');
      printTable(
        ['TIME', 'ACTION', 'SOURCE IP', 'WHAT'],
        summary.persistence.map((p) => [
          p.time,
          p.action,
          p.sourceIp,
          Object.entries(p.target)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
        ]),
      );
    });

  keys
    .command('rotate <accessKeyId>')
    .description(
      'create the second key for the same principal (its secret shown once), then watch the old key: ' +
        'with --disable-after-idle, disable it once unused that long; with --delete, then move it to the recycle bin',
    )
    .option('--user <name>', 'the RAM user owning the key (default: the caller itself)')
    .option(
      '--disable-after-idle <duration>',
      'disable the old key once it was not used for this long (30s, 10m, 2h, 1d)',
    )
    .option('--delete', 'after disabling, delete the old key (into the recycle bin, restorable for 30 days)')
    .option('--check-every <duration>', "how often to look at the old key's last use", '60s')
    .action(
      async (
        id: string,
        options: { user?: string; disableAfterIdle?: string; delete?: boolean; checkEvery: string },
        command: Command,
      ) => {
        const { api, json } = client(command);
        const idleMs =
          options.disableAfterIdle === undefined
            ? undefined
            : parseDuration(options.disableAfterIdle, '--disable-after-idle');
        const everyMs = parseDuration(options.checkEvery, '--check-every');
        if (options.delete && idleMs === undefined) {
          throw new CliError(
            '--delete needs --disable-after-idle: a key is deleted only once disabled.',
            EXIT_USAGE,
          );
        }
        const who: Record<string, string> = options.user === undefined ? {} : { UserName: options.user };
        const step = (text: string) => process.stderr.write(`${new Date().toISOString()} ${text}\n`);
        const listed = list((await api.call(RAM, 'ListAccessKeys', who)).AccessKeys, 'AccessKey');
        if (!listed.some((k) => k.AccessKeyId === id))
          throw new CliError(`No AccessKey ${id} for ${options.user ?? 'the caller'}.`);
        if (listed.length >= 2) {
          const user = options.user === undefined ? [] : ['--user', options.user];
          const other = listed.map((k) => str(k.AccessKeyId)).find((k) => k !== id) ?? '';
          throw new CliError(
            `${options.user ?? 'The caller'} already has 2 AccessKeys (${listed.map((k) => str(k.AccessKeyId)).join(', ')}): ` +
              `once nothing uses ${other}, disable it ("${suggestion(command, ['keys', 'disable', other, ...user])}") ` +
              `and delete it ("${suggestion(command, ['keys', 'delete', other, ...user])}"), then rotate.`,
          );
        }
        const started = Date.now();
        const created = obj((await api.call(RAM, 'CreateAccessKey', who)).AccessKey);
        if (json)
          printJson({
            OldAccessKeyId: id,
            AccessKeyId: created.AccessKeyId,
            AccessKeySecret: created.AccessKeySecret,
          });
        else {
          printFields({
            AccessKeyId: str(created.AccessKeyId),
            AccessKeySecret: str(created.AccessKeySecret),
          });
          process.stdout.write(
            '\nThe secret is shown once and never again: move the application to this key now.\n',
          );
        }
        step(`created ${str(created.AccessKeyId)}; ${id} stays Active until it is no longer used`);
        if (idleMs === undefined) return;
        for (;;) {
          const old = list((await api.call(RAM, 'ListAccessKeys', who)).AccessKeys, 'AccessKey').find(
            (k) => k.AccessKeyId === id,
          );
          if (!old) throw new CliError(`${id} is gone: it was deleted meanwhile.`);
          // Dates come to the second: a use is taken as late in its second as it could have been.
          const lastUsed = str(old.LastUsedDate) === '' ? 0 : Date.parse(str(old.LastUsedDate)) + 999;
          const idleSince = Math.max(lastUsed, started);
          if (Date.now() - idleSince >= idleMs) break;
          step(
            `${id} last used ${str(old.LastUsedDate) || 'never'}; waiting for ${options.disableAfterIdle ?? ''} without use`,
          );
          await new Promise((resolve) => setTimeout(resolve, Math.min(everyMs, idleMs)));
        }
        await api.call(RAM, 'UpdateAccessKey', { UserAccessKeyId: id, Status: 'Inactive', ...who });
        step(`disabled ${id}: unused for ${options.disableAfterIdle ?? ''}`);
        if (options.delete) {
          await api.call(RAM, 'DeleteAccessKey', { UserAccessKeyId: id, ...who });
          step(`deleted ${id} into the recycle bin (restorable for 30 days)`);
        }
      },
    );

  keys
    .command('contain <accessKeyId>')
    .description(
      'contain a suspected-leaked key that cannot be rotated at once: pin it to the given addresses (a ' +
        'key-level network policy) and attach a Deny of RAM and IMS actions to its user',
    )
    .option('--allow-ip <address...>', 'addresses or CIDRs the key may still be used from')
    .option('--user <name>', 'the RAM user owning the key (default: looked up)')
    .option('--status', 'show what containment is applied to the key, changing nothing')
    .action(
      async (
        id: string,
        options: { allowIp?: string[]; user?: string; status?: boolean },
        command: Command,
      ) => {
        if (options.status && options.allowIp !== undefined) {
          throw new CliError('--status changes nothing: give it without --allow-ip.', EXIT_USAGE);
        }
        const { api, json } = client(command);
        const upn = await ownerLogonName(api, id, options.user);
        const userName = upn?.split('@')[0];
        const owner: Record<string, string> = upn === undefined ? {} : { UserPrincipalName: upn };
        const policyName = `Contain-${id}`;
        if (options.status) {
          const policy = str(
            (await api.call(IMS, 'GetAccessKeyPolicy', { UserAccessKeyId: id, ...owner })).AccessKeyPolicy,
          );
          const attached =
            userName === undefined
              ? []
              : list((await api.call(RAM, 'ListPoliciesForUser', { UserName: userName })).Policies, 'Policy')
                  .map((p) => str(p.PolicyName))
                  .filter((n) => n === policyName);
          const status = {
            AccessKeyId: id,
            AccessKeyPolicy: JSON.parse(policy) as unknown,
            DenyPolicyName: attached[0] ?? null,
          };
          if (json) printJson(status);
          else
            printFields({
              AccessKeyId: id,
              'Network policy': policy,
              'Deny policy': attached[0] ?? '(none attached)',
            });
          return;
        }
        const allowed = options.allowIp ?? [];
        if (allowed.length === 0)
          throw new CliError(
            'Give the addresses the key may still be used from: --allow-ip ADDRESS...',
            EXIT_USAGE,
          );
        const document = JSON.stringify({
          Version: 1,
          Status: 'Active',
          Statements: [{ Type: 'ClassicWhiteList', IPList: allowed }],
        });
        await api.call(IMS, 'SetAccessKeyPolicy', {
          UserAccessKeyId: id,
          ...owner,
          AccessKeyPolicy: document,
        });
        const steps = [`Pinned ${id} to ${allowed.join(', ')} (key-level network policy).`];
        if (userName === undefined) {
          steps.push('It is a root key: no policy can restrict it further. Rotate it as soon as you can.');
        } else {
          const deny = JSON.stringify({
            Version: '1',
            Statement: [{ Effect: 'Deny', Action: ['ram:*', 'ims:*'], Resource: '*' }],
          });
          await api
            .call(RAM, 'CreatePolicy', {
              PolicyName: policyName,
              PolicyDocument: deny,
              Description: `Containment of suspected-leaked AccessKey ${id}`,
            })
            .catch((err: unknown) => {
              if (!(err instanceof ApiError && err.code === 'EntityAlreadyExists.Policy')) throw err;
            });
          await api
            .call(RAM, 'AttachPolicyToUser', {
              PolicyType: 'Custom',
              PolicyName: policyName,
              UserName: userName,
            })
            .catch((err: unknown) => {
              if (!(err instanceof ApiError && err.code === 'EntityAlreadyExists.User.Policy')) throw err;
            });
          steps.push(
            `Attached ${policyName} (Deny ram:* and ims:*) to ${userName}: no identity changes with any of its keys.`,
          );
        }
        if (json)
          printJson({
            AccessKeyId: id,
            AllowedIps: allowed,
            DenyPolicyName: userName === undefined ? null : policyName,
          });
        else
          process.stdout.write(
            `${steps.join('\n')}\nRotate the key, then delete ${policyName} and the key.\n`,
          );
      },
    );

  const alerts = program
    .command('alerts')
    .description("the account's alerts (restricted keys) and their webhook");
  alerts
    .command('list')
    .description('list alerts, newest first, with their delivery to the webhook')
    .option('--max <n>', 'at most this many (1-1000)', '100')
    .action(async (options: { max: string }, command: Command) => {
      const { api, json } = client(command);
      const answer = obj((await api.call(IMS, 'ListAlerts', { MaxItems: options.max })).Alerts);
      const items = Array.isArray(answer.Alert) ? answer.Alert.map(obj) : [];
      if (json) {
        printJson(items);
        return;
      }
      printTable(
        ['CREATED', 'TYPE', 'ACCESS KEY ID', 'REPORTER', 'DELIVERY', 'ATTEMPTS'],
        items.map((a) => {
          const detail: Json = obj(a.Detail);
          return [
            str(a.CreateDate),
            str(a.Type),
            str(detail.AccessKeyId),
            str(detail.Reporter),
            str(a.DeliveryStatus),
            str(a.DeliveryAttempts),
          ];
        }),
      );
    });
  const webhook = alerts.command('webhook').description("the account's notification webhook");
  webhook
    .command('set <url>')
    .description('POST alerts to this URL, signed; prints the signing secret once')
    .action(async (url: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      const hook = obj((await api.call(IMS, 'SetNotificationWebhook', { Url: url })).Webhook);
      if (json) {
        printJson(hook);
        return;
      }
      printFields({ Url: str(hook.Url), Secret: str(hook.Secret) });
      process.stdout.write(
        '\nThe secret is shown once: receivers check X-Ramkey-Signature (sha256=HMAC-SHA256 of "<X-Ramkey-Timestamp>.<body>").\n',
      );
    });
  webhook
    .command('get')
    .description('show the webhook URL')
    .action(async (_options: unknown, command: Command) => {
      const { api, json } = client(command);
      const hook = obj((await api.call(IMS, 'GetNotificationWebhook')).Webhook);
      if (json) printJson(hook);
      else printFields({ Url: str(hook.Url), Updated: str(hook.UpdateDate) });
    });
  webhook
    .command('delete')
    .description('stop posting alerts (they stay listed)')
    .action(async (_options: unknown, command: Command) => {
      const { api, json } = client(command);
      await api.call(IMS, 'DeleteNotificationWebhook');
      if (json) printJson({ Deleted: true });
      else process.stdout.write('Webhook deleted.\n');
    });

  const dataOption = ['--data <dir>', 'data directory (default $RAMKEY_DATA or ./ramkey-data)'] as const;
  const directory = program
    .command('directory')
    .description(
      'resource directories: accounts grouped under a management account, which finds key owners and ' +
        'reads audit trails across them (operator commands)',
    );
  directory
    .command('create')
    .description('make an account the management account of a new directory')
    .requiredOption('--management <accountId>', 'the management account')
    .option(...dataOption)
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DataOptions & { json?: boolean; management: string }>();
      await withInstallation(options, (ramkey) => ramkey.directory.create(options.management));
      if (options.json) printJson({ ManagementAccountId: options.management });
      else process.stdout.write(`Created the resource directory of ${options.management}.\n`);
    });
  directory
    .command('add-member')
    .description('add an account to a directory')
    .requiredOption('--management <accountId>', 'the management account')
    .requiredOption('--member <accountId>', 'the account to add')
    .option(...dataOption)
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<
        DataOptions & { json?: boolean; management: string; member: string }
      >();
      await withInstallation(options, (ramkey) =>
        ramkey.directory.addMember(options.management, options.member),
      );
      if (options.json)
        printJson({ ManagementAccountId: options.management, MemberAccountId: options.member });
      else process.stdout.write(`Added ${options.member} to the directory of ${options.management}.\n`);
    });
  directory
    .command('remove-member')
    .description('take an account out of a directory')
    .requiredOption('--management <accountId>', 'the management account')
    .requiredOption('--member <accountId>', 'the account to remove')
    .option(...dataOption)
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<
        DataOptions & { json?: boolean; management: string; member: string }
      >();
      await withInstallation(options, (ramkey) =>
        ramkey.directory.removeMember(options.management, options.member),
      );
      if (options.json) printJson({ MemberAccountId: options.member, Removed: true });
      else process.stdout.write(`Removed ${options.member} from the directory of ${options.management}.\n`);
    });
  directory
    .command('list')
    .description('list directories and their member accounts')
    .option(...dataOption)
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DataOptions & { json?: boolean }>();
      const directories = await withInstallation(options, (ramkey) => ramkey.directory.list());
      const rows = directories.map((d) => ({
        ManagementAccountId: d.managementAccountId,
        CreateDate: toWireDate(d.createdAt),
        Members: d.members.map((m) => ({ AccountId: m.accountId, JoinDate: toWireDate(m.joinedAt) })),
      }));
      if (options.json) printJson(rows);
      else
        printTable(
          ['MANAGEMENT ACCOUNT', 'MEMBER ACCOUNT', 'JOINED'],
          rows.flatMap((d) => [
            [d.ManagementAccountId, '(management)', d.CreateDate],
            ...d.Members.map((m) => [d.ManagementAccountId, m.AccountId, m.JoinDate]),
          ]),
        );
    });

  const reporters = program
    .command('leak-reporters')
    .description('parties allowed to send signed leak reports to POST /leak-reports (operator commands)');
  reporters
    .command('add <name>')
    .description('register a reporter; prints its signing secret once')
    .option(...dataOption)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DataOptions & { json?: boolean }>();
      const secret = await withInstallation(options, async (ramkey) =>
        (await ramkey.leaks.addReporter(name)).reveal(),
      );
      if (options.json) {
        printJson({ ReporterName: name, Secret: secret });
        return;
      }
      printFields({ Reporter: name, Secret: secret });
      process.stdout.write(
        '\nThe secret is shown once. Reports are POSTed to /leak-reports with X-Ramkey-Reporter, X-Ramkey-Timestamp\n' +
          'and X-Ramkey-Signature: sha256=HMAC-SHA256(secret, "<timestamp>.<body>").\n',
      );
    });
  reporters
    .command('list')
    .description('list reporters')
    .option(...dataOption)
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DataOptions & { json?: boolean }>();
      const list = await withInstallation(options, (ramkey) => ramkey.leaks.listReporters());
      const rows = list.map((r) => ({ ReporterName: r.reporterName, CreateDate: toWireDate(r.createdAt) }));
      if (options.json) printJson(rows);
      else
        printTable(
          ['REPORTER', 'CREATED'],
          rows.map((r) => [r.ReporterName, r.CreateDate]),
        );
    });
  reporters
    .command('remove <name>')
    .description('remove a reporter: its reports are refused from now on')
    .option(...dataOption)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DataOptions & { json?: boolean }>();
      await withInstallation(options, (ramkey) => ramkey.leaks.removeReporter(name)).catch((err: unknown) => {
        throw err instanceof Error && 'code' in err && err.code === 'EntityNotExist.LeakReporter'
          ? new CliError(`No leak reporter named ${name}.`)
          : err;
      });
      if (options.json) printJson({ ReporterName: name, Removed: true });
      else process.stdout.write(`Removed ${name}.\n`);
    });
}
