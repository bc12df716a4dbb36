// Client commands: manage users and AccessKeys through the API, signed like the official SDKs.
import { Option, type Command } from 'commander';
import { parseCsvRecord, splitCsvRecords } from '../core/csv.js';
import {
  ACTIONTRAIL,
  client,
  credentialReport,
  IMS,
  lastUse,
  list,
  obj,
  RAM,
  str,
  STS,
  suggestion,
  wireTime,
  type Json,
} from './api-values.js';
import { parseIpAddress } from '../core/policy/ip-range.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { writeFileAtomically } from './files.js';
import { formatJson, formatTable, printFields, printJson, printTable } from './output.js';
import { registerUserMfaCommand } from './mfa-commands.js';
import { registerLoginProfileCommands } from './password-commands.js';
import {
  binnedUser,
  describeLastUse,
  registerIdleKeysReport,
  registerKeyRecycleBinCommands,
  registerUserRecycleBinCommands,
} from './recycle-bin-commands.js';

export { ACTIONTRAIL, client, obj, str, wireTime, type Json } from './api-values.js';

function userParam(user: string | undefined): Record<string, string> {
  return user === undefined ? {} : { UserName: user };
}

/** One table line per AccessKey (a principal without keys gets one line of its own). */
function credentialReportTable(header: readonly string[], rows: readonly Record<string, string>[]): string {
  const keySlots = header.filter((h) => /^access_key_\d+_id$/.test(h)).length;
  const lines: string[][] = [];
  for (const row of rows) {
    const principal = [row.user ?? '', row.user_creation_time ?? ''];
    const before = lines.length;
    for (let i = 1; i <= keySlots; i++) {
      const field = (name: string) => row[`access_key_${i}_${name}`] ?? '';
      if (field('id') === '') continue;
      lines.push([
        ...principal,
        field('id'),
        field('status'),
        field('age_days'),
        field('last_used') || 'never',
        field('last_used_service') || '-',
        field('last_used_ip') || '-',
      ]);
    }
    if (lines.length === before) lines.push([...principal, '(no AccessKey)', '', '', '', '', '']);
  }
  return formatTable(
    ['USER', 'USER CREATED', 'ACCESS KEY ID', 'STATUS', 'AGE (DAYS)', 'LAST USED', 'SERVICE', 'SOURCE IP'],
    lines,
  );
}

/**
 * The report's rows as `--json` prints them: one object per principal in PascalCase, its AccessKeys
 * (the filled column groups) as a list, ages as numbers and the leak flag as a boolean.
 */
function credentialReportJson(header: readonly string[], rows: readonly Record<string, string>[]): Json[] {
  const keySlots = header.filter((h) => /^access_key_\d+_id$/.test(h)).length;
  return rows.map((row) => {
    const keys: Json[] = [];
    for (let i = 1; i <= keySlots; i++) {
      const field = (name: string) => row[`access_key_${i}_${name}`] ?? '';
      if (field('id') === '') continue;
      keys.push({
        AccessKeyId: field('id'),
        Status: field('status'),
        CreateDate: field('created'),
        AgeDays: Number(field('age_days')),
        LastUsedDate: field('last_used'),
        LastUsedServiceName: field('last_used_service'),
        LastUsedSourceIp: field('last_used_ip'),
        LeakRestricted: field('leak_restricted') === 'true',
      });
    }
    return {
      User: row.user ?? '',
      UserId: row.user_id ?? '',
      UserPrincipalName: row.user_principal_name ?? '',
      UserCreationTime: row.user_creation_time ?? '',
      AccessKeys: keys,
    };
  });
}

export function registerClientCommands(program: Command): void {
  program
    .command('whoami')
    .description('show the identity of the AccessKey in use (STS GetCallerIdentity)')
    .action(async (_options: unknown, command: Command) => {
      const { api, json, source } = client(command);
      const me = await api.call(STS, 'GetCallerIdentity');
      // On stderr: it explains the answer (which key, which server) without changing --json's stdout.
      // (A refused call says where its secret came from in the error instead.)
      process.stderr.write(`${source}\n`);
      if (json) printJson(me);
      else
        printFields({
          'Identity type': str(me.IdentityType),
          'Account ID': str(me.AccountId),
          'User ID': str(me.UserId),
          Arn: str(me.Arn),
        });
    });

  const users = program.command('users').description('manage RAM users');
  users
    .command('create <name>')
    .description('create a RAM user')
    .option('--display-name <text>', 'display name (default: the name)')
    .option('--comments <text>', 'free-text comments')
    .option('--email <address>', 'e-mail address')
    .action(
      async (
        name: string,
        options: { displayName?: string; comments?: string; email?: string },
        command: Command,
      ) => {
        const { api, json } = client(command);
        const params: Record<string, string> = { UserName: name };
        if (options.displayName !== undefined) params.DisplayName = options.displayName;
        if (options.comments !== undefined) params.Comments = options.comments;
        if (options.email !== undefined) params.Email = options.email;
        const user = obj((await api.call(RAM, 'CreateUser', params)).User);
        if (json) printJson(user);
        else
          printFields({
            'User ID': str(user.UserId),
            'User name': str(user.UserName),
            Created: str(user.CreateDate),
          });
      },
    );
  users
    .command('list')
    .description('list RAM users (all pages)')
    .action(async (_options: unknown, command: Command) => {
      const { api, json } = client(command);
      const all: Json[] = [];
      let marker: string | undefined;
      do {
        const page = await api.call(RAM, 'ListUsers', {
          MaxItems: '1000',
          ...(marker && { Marker: marker }),
        });
        all.push(...list(page.Users, 'User'));
        marker = page.IsTruncated === true ? str(page.Marker) : undefined;
      } while (marker);
      if (json) printJson(all);
      else
        printTable(
          ['USER NAME', 'USER ID', 'DISPLAY NAME', 'CREATED'],
          all.map((u) => [str(u.UserName), str(u.UserId), str(u.DisplayName), str(u.CreateDate)]),
        );
    });
  users
    .command('get <name>')
    .description('show one RAM user')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      const user = obj((await api.call(RAM, 'GetUser', { UserName: name })).User);
      if (json) printJson(user);
      else
        printFields({
          'User name': str(user.UserName),
          'User ID': str(user.UserId),
          'Display name': str(user.DisplayName),
          Email: str(user.Email),
          Comments: str(user.Comments),
          Created: str(user.CreateDate),
          Updated: str(user.UpdateDate),
        });
    });
  users
    .command('update <name>')
    .description('change a RAM user: its name, display name, comments, e-mail or mobile phone')
    .option('--new-name <name>', 'rename the user')
    .option('--display-name <text>', 'new display name')
    .option('--comments <text>', 'new comments')
    .option('--email <address>', 'new e-mail address')
    .option('--mobile <phone>', 'new mobile phone, e.g. 86-18600008888')
    .action(async (name: string, options: Record<string, string | undefined>, command: Command) => {
      const params: Record<string, string> = { UserName: name };
      for (const [option, param] of [
        ['newName', 'NewUserName'],
        ['displayName', 'NewDisplayName'],
        ['comments', 'NewComments'],
        ['email', 'NewEmail'],
        ['mobile', 'NewMobilePhone'],
      ] as const) {
        const value = options[option];
        if (value !== undefined) params[param] = value;
      }
      if (Object.keys(params).length === 1) {
        throw new CliError(
          'Nothing to change: pass --new-name, --display-name, --comments, --email or --mobile.',
          EXIT_USAGE,
        );
      }
      const { api, json } = client(command);
      const user = obj((await api.call(RAM, 'UpdateUser', params)).User);
      if (json) printJson(user);
      else
        printFields({
          'User name': str(user.UserName),
          'User ID': str(user.UserId),
          'Display name': str(user.DisplayName),
          Email: str(user.Email),
          'Mobile phone': str(user.MobilePhone),
          Comments: str(user.Comments),
          Updated: str(user.UpdateDate),
        });
    });
  users
    .command('groups <name>')
    .description('list the groups a RAM user belongs to')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      const groups = list((await api.call(RAM, 'ListGroupsForUser', { UserName: name })).Groups, 'Group');
      if (json) printJson(groups);
      else
        printTable(
          ['GROUP NAME', 'COMMENTS', 'JOINED'],
          groups.map((g) => [str(g.GroupName), str(g.Comments), str(g.JoinDate)]),
        );
    });
  users
    .command('delete <name>')
    .description(
      'delete a RAM user into the recycle bin, with its AccessKeys (restorable for 30 days; it must leave its groups and lose its policies first)',
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      await api.call(RAM, 'DeleteUser', { UserName: name });
      const binned = await binnedUser(api, name);
      const deleteDate = str(binned?.DeleteDate);
      if (json) printJson({ UserName: name, UserId: str(binned?.UserId), DeleteDate: deleteDate });
      else
        process.stdout.write(
          `Moved user ${name} and its AccessKeys to the recycle bin. Until ${deleteDate || 'its DeleteDate'}, ` +
            `"${suggestion(command, ['users', 'recycle-bin', 'restore', name])}" brings them back (the keys Inactive).\n`,
        );
    });
  registerUserRecycleBinCommands(users);
  registerLoginProfileCommands(users);
  registerUserMfaCommand(users);

  const keys = program.command('keys').description('manage AccessKeys');
  const userOption = '--user <name>';
  const userHelp = 'the RAM user whose keys to manage (default: the caller itself)';
  keys
    .command('create')
    .description('create an AccessKey; its secret is shown this once')
    .option(userOption, userHelp)
    .action(async (options: { user?: string }, command: Command) => {
      const { api, json } = client(command);
      const key = obj((await api.call(RAM, 'CreateAccessKey', userParam(options.user))).AccessKey);
      if (json) {
        printJson(key);
        return;
      }
      printFields({
        AccessKeyId: str(key.AccessKeyId),
        AccessKeySecret: str(key.AccessKeySecret),
        Status: str(key.Status),
        Created: str(key.CreateDate),
      });
      process.stdout.write('\nThe secret is shown once and never again: store it now.\n');
    });
  keys
    .command('list')
    .description('list AccessKeys with their status and last use')
    .option(userOption, userHelp)
    .action(async (options: { user?: string }, command: Command) => {
      const { api, json } = client(command);
      const items = list(
        (await api.call(RAM, 'ListAccessKeys', userParam(options.user))).AccessKeys,
        'AccessKey',
      );
      if (json) printJson(items);
      else
        printTable(
          ['ACCESS KEY ID', 'STATUS', 'CREATED', 'LAST USED', 'SERVICE', 'SOURCE IP'],
          items.map((k) => [
            str(k.AccessKeyId),
            // A suspected-leaked key says so where its status is read.
            k.LeakRestricted === true ? `${str(k.Status)} (leak-restricted)` : str(k.Status),
            str(k.CreateDate),
            str(k.LastUsedDate) || 'never',
            str(k.LastUsedServiceName),
            str(k.LastUsedSourceIp),
          ]),
        );
    });
  for (const [name, status, verb] of [
    ['disable', 'Inactive', 'Disabled'],
    ['enable', 'Active', 'Enabled'],
  ] as const) {
    keys
      .command(`${name} <accessKeyId>`)
      .description(`${name} an AccessKey`)
      .option(userOption, userHelp)
      .action(async (id: string, options: { user?: string }, command: Command) => {
        const { api, json } = client(command);
        await api.call(RAM, 'UpdateAccessKey', {
          UserAccessKeyId: id,
          Status: status,
          ...userParam(options.user),
        });
        if (json) printJson({ AccessKeyId: id, Status: status });
        else process.stdout.write(`${verb} ${id}.\n`);
      });
  }
  keys
    .command('delete <accessKeyId>')
    .description(
      'delete an AccessKey into the recycle bin (restorable, Inactive, for 30 days); an Active key is refused unless --force, since apps may still use it',
    )
    .option(userOption, userHelp)
    .option('--force', 'delete even an Active key')
    .addHelpText('after', "\nThe key's last use (time, service, source IP) is always shown first.")
    .action(async (id: string, options: { user?: string; force?: boolean }, command: Command) => {
      const { api, json } = client(command);
      const key = await lastUse(api, id, options.user);
      const used = describeLastUse(key);
      if (key.Status === 'Active' && !options.force) {
        const user = options.user === undefined ? [] : ['--user', options.user];
        throw new CliError(
          `${id} is Active (last used: ${used}). ` +
            `Disable it first ("${suggestion(command, ['keys', 'disable', id, ...user])}"), check that nothing breaks, ` +
            'then delete; or pass --force.',
        );
      }
      if (!json) process.stdout.write(`${id} was last used: ${used}.\n`);
      await api.call(RAM, 'DeleteAccessKey', { UserAccessKeyId: id, ...userParam(options.user) });
      const binned = obj(
        (await api.call(IMS, 'GetAccessKeyInfoInRecycleBin', { UserAccessKeyId: id })).AccessKey,
      );
      const deleteDate = str(binned.DeleteDate);
      if (json) {
        printJson({
          AccessKeyId: id,
          DeleteDate: deleteDate,
          LastUsedDate: str(key.LastUsedDate),
          LastUsedServiceName: str(key.LastUsedServiceName),
          LastUsedSourceIp: str(key.LastUsedSourceIp),
        });
      } else {
        process.stdout.write(
          `Moved ${id} to the recycle bin. Until ${deleteDate}, ` +
            `"${suggestion(command, ['keys', 'recycle-bin', 'restore', id])}" brings it back (Inactive).\n`,
        );
      }
    });
  registerKeyRecycleBinCommands(keys);
  keys
    .command('last-used <accessKeyId>')
    .description('show when, with which service and from where an AccessKey was last used')
    .option('--user <name>', 'the RAM user owning the key (default: looked up)')
    .action(async (id: string, options: { user?: string }, command: Command) => {
      const { api, json } = client(command);
      const used = await lastUse(api, id, options.user);
      const fields = {
        AccessKeyId: id,
        LastUsedDate: str(used.LastUsedDate),
        LastUsedServiceName: str(used.LastUsedServiceName),
        LastUsedSourceIp: str(used.LastUsedSourceIp),
      };
      if (json) printJson(fields);
      else
        printFields({
          AccessKeyId: id,
          'Last used': fields.LastUsedDate || 'never',
          Service: fields.LastUsedServiceName || '-',
          'Source IP': fields.LastUsedSourceIp || '-',
        });
    });
  keys
    .command('ips <accessKeyId>')
    .description('list the source IPs an AccessKey was used from, with first and last use and call count')
    .option(
      '--service <name>',
      'only calls to this service (Ram, Ims, Sts, Actiontrail in any case, or a custom one)',
    )
    .action(async (id: string, options: { service?: string }, command: Command) => {
      const { api, json } = client(command);
      const ips: Json[] = [];
      let token: string | undefined;
      do {
        const page = await api.call(ACTIONTRAIL, 'GetAccessKeyLastUsedIps', {
          AccessKey: id,
          PageSize: '100',
          ...(options.service !== undefined && { ServiceName: options.service }),
          ...(token !== undefined && { NextToken: token }),
        });
        if (Array.isArray(page.Ips)) ips.push(...page.Ips.map(obj));
        token = str(page.NextToken) || undefined;
      } while (token !== undefined);
      const rows = ips.map((ip) => ({
        Ip: str(ip.Ip),
        FirstUsedDate: wireTime(ip.FirstUsedTimestamp),
        LastUsedDate: wireTime(ip.UsedTimestamp),
        CallCount: typeof ip.CallCount === 'number' ? ip.CallCount : 0,
      }));
      if (json) printJson(rows);
      else
        printTable(
          ['SOURCE IP', 'FIRST SEEN', 'LAST SEEN', 'CALLS'],
          rows.map((r) => [r.Ip, r.FirstUsedDate, r.LastUsedDate, String(r.CallCount)]),
        );
    });
  keys
    .command('owner <accessKeyId>')
    .description("show whose AccessKey this is (keys of this account only; others are 'not found')")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      const owner = obj((await api.call(IMS, 'GetAccessKeyOwner', { UserAccessKeyId: id })).AccessKeyOwner);
      if (json) printJson(owner);
      else
        printFields({
          AccessKeyId: str(owner.AccessKeyId),
          Owner:
            owner.PrincipalType === 'root-account'
              ? `root of account ${str(owner.AccountId)}`
              : `RAM user ${str(owner.UserName)} (${str(owner.UserPrincipalName)})`,
          'User ID': str(owner.UserId) || undefined,
          Status: `${str(owner.Status)}${owner.State === 'Deleted' ? ' (deleted)' : owner.State === 'Recycled' ? ' (in the recycle bin)' : ''}`,
          Created: str(owner.CreateDate),
        });
    });

  const report = program.command('report').description('account-wide reports');
  registerIdleKeysReport(report);
  report
    .command('credentials')
    .description(
      'generate a fresh credential report (every principal with its AccessKeys, their age and last use) and print it',
    )
    .addOption(
      new Option('--format <format>', 'csv: the report as IMS returns it; table: one line per AccessKey')
        .choices(['csv', 'table'])
        .default('csv'),
    )
    .option('--output <file>', 'write the report to this file instead of standard output')
    .addHelpText(
      'after',
      '\nWith the global --json flag, the rows are printed as JSON objects (one per principal).',
    )
    .action(async (options: { format: 'csv' | 'table'; output?: string }, command: Command) => {
      const { api, json } = client(command);
      if (json && command.getOptionValueSource('format') === 'cli') {
        throw new CliError(
          `--json and --format ${options.format} contradict each other: give one.`,
          EXIT_USAGE,
        );
      }
      const generate = async () => {
        const { csv, generatedTime } = await credentialReport(api);
        const [header = [], ...data] = splitCsvRecords(csv).map(parseCsvRecord);
        const rows = data.map((fields) => Object.fromEntries(header.map((h, i) => [h, fields[i] ?? ''])));
        const text = json
          ? formatJson(credentialReportJson(header, rows))
          : options.format === 'table'
            ? `Credential report generated ${generatedTime}\n\n${credentialReportTable(header, rows)}`
            : csv;
        return { text, generatedTime, principals: rows.length };
      };
      if (options.output === undefined) {
        process.stdout.write((await generate()).text);
        return;
      }
      // The file is checked before the report is generated, and written whole or not at all.
      const { generatedTime, principals } = await writeFileAtomically(options.output, async (out) => {
        const report = await generate();
        await out.write(report.text);
        return report;
      });
      process.stderr.write(
        `Wrote the credential report generated ${generatedTime} (${principals} principals) to ${options.output}.\n`,
      );
    });

  program
    .command('policy')
    .description('inspect permissions')
    .command('simulate')
    .description("show whether a user's policies allow an action on a resource, and which statement decided")
    .requiredOption('--user <name>', 'the RAM user')
    .requiredOption('--action <action>', 'the action, e.g. ram:CreateUser')
    .option('--resource <arn>', 'the resource ARN, e.g. acs:ram:*:<account>:user/app-1', '*')
    .option('--source-ip <ip>', 'the source address to assume (default: this client)')
    .action(
      async (
        options: { user: string; action: string; resource: string; sourceIp?: string },
        command: Command,
      ) => {
        if (!/^[A-Za-z0-9-]+:[A-Za-z0-9]+$/.test(options.action)) {
          throw new CliError(
            `Invalid --action "${options.action}": give the service and the action, e.g. ram:CreateUser.`,
            EXIT_USAGE,
          );
        }
        if (options.sourceIp !== undefined && parseIpAddress(options.sourceIp) === undefined) {
          throw new CliError(
            `Invalid --source-ip "${options.sourceIp}": give one IPv4 or IPv6 address, e.g. 203.0.113.7.`,
            EXIT_USAGE,
          );
        }
        const { api, json } = client(command);
        const res = await api.call(RAM, 'SimulatePrincipalPolicy', {
          UserName: options.user,
          ActionName: options.action,
          ResourceArn: options.resource,
          ...(options.sourceIp !== undefined && { SourceIp: options.sourceIp }),
        });
        if (json) {
          printJson(res);
          return;
        }
        const statement = obj(res.MatchedStatement);
        printFields({
          Decision: str(res.EvalDecision),
          Action: str(res.EvalActionName),
          Resource: str(res.EvalResourceName),
          'Decided by':
            res.AllowedBySecurityPreference === true
              ? 'security preference AllowUserToManageAccessKeys'
              : statement.PolicyName !== undefined
                ? `${str(statement.PolicyType)} policy ${str(statement.PolicyName)}, Statement[${str(statement.StatementIndex)}] (${str(statement.Effect)})`
                : 'no statement matched (implicit deny)',
        });
      },
    );
}
