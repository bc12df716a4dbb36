// Client commands: manage users and AccessKeys through the API, signed like the official SDKs.
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { toWireDate } from '../core/clock.js';
import { parseCsvRecord, splitCsvRecords } from '../core/csv.js';
import { ApiError, RamkeyClient, resolveCredentials } from './client.js';
import { CliError } from './exit-codes.js';
import { formatJson, formatTable, printFields, printJson, printTable } from './output.js';

const RAM = '2015-05-01';
const IMS = '2019-08-15';
const STS = '2015-04-01';
export const ACTIONTRAIL = '2020-07-06';

interface GlobalOptions {
  profile?: string;
  json?: boolean;
}

export type Json = Record<string, unknown>;

export function client(command: Command): { api: RamkeyClient; json: boolean } {
  const options = command.optsWithGlobals<GlobalOptions>();
  return { api: new RamkeyClient(resolveCredentials(options.profile)), json: options.json ?? false };
}

export function str(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';
}

/** Epoch milliseconds as the wire's date form; '' for anything else. */
export function wireTime(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? toWireDate(value) : '';
}

export function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** Unwraps Alibaba's double-wrapped lists: `{"Users":{"User":[...]}}` -> `[...]`. */
function list(value: unknown, item: string): Json[] {
  const inner = obj(value)[item];
  return Array.isArray(inner) ? inner.map(obj) : [];
}

function userParam(user: string | undefined): Record<string, string> {
  return user === undefined ? {} : { UserName: user };
}

/**
 * A key's last use (date, service, source IP) from its owner's key listing. Without `user`, the
 * owner is looked up (GetAccessKeyOwner); a caller not allowed that is asking about its own key.
 */
async function lastUse(api: RamkeyClient, id: string, user: string | undefined): Promise<Json> {
  let upn: string | undefined;
  if (user !== undefined) {
    const me = await api.call(STS, 'GetCallerIdentity');
    upn = `${user}@${str(me.AccountId)}.onaliyun.com`;
  } else {
    try {
      const owner = obj((await api.call(IMS, 'GetAccessKeyOwner', { UserAccessKeyId: id })).AccessKeyOwner);
      upn = str(owner.UserPrincipalName) || undefined;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'NoPermission')) throw err;
    }
  }
  const listed = list(
    (await api.call(IMS, 'ListAccessKeys', upn === undefined ? {} : { UserPrincipalName: upn })).AccessKeys,
    'AccessKey',
  );
  const key = listed.find((k) => k.AccessKeyId === id);
  if (!key) throw new CliError(`No AccessKey ${id} in this account.`);
  return key;
}

/** Generates a fresh credential report, then reads all its pages and joins them into one CSV. */
async function credentialReport(api: RamkeyClient): Promise<{ csv: string; generatedTime: string }> {
  await api.call(IMS, 'GenerateCredentialReport');
  let csv = '';
  let generatedTime = '';
  let token: string | undefined;
  do {
    const page = await api.call(IMS, 'GetCredentialReport', token === undefined ? {} : { NextToken: token });
    csv += Buffer.from(str(page.Content), 'base64').toString('utf8');
    generatedTime = str(page.GeneratedTime);
    token = page.IsTruncated === true ? str(page.NextToken) : undefined;
  } while (token);
  return { csv, generatedTime };
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

export function registerClientCommands(program: Command): void {
  program
    .command('whoami')
    .description('show the identity of the AccessKey in use (STS GetCallerIdentity)')
    .action(async (_options: unknown, command: Command) => {
      const { api, json } = client(command);
      const me = await api.call(STS, 'GetCallerIdentity');
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
    .command('delete <name>')
    .description('delete a RAM user (its AccessKeys must be deleted first)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      await api.call(RAM, 'DeleteUser', { UserName: name });
      if (json) printJson({ deleted: name });
      else process.stdout.write(`Deleted user ${name}.\n`);
    });

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
        if (json) printJson({ accessKeyId: id, status });
        else process.stdout.write(`${verb} ${id}.\n`);
      });
  }
  keys
    .command('delete <accessKeyId>')
    .description('delete an AccessKey; it must be disabled first unless --force, since apps may still use it')
    .option(userOption, userHelp)
    .option('--force', 'delete even an Active key')
    .action(async (id: string, options: { user?: string; force?: boolean }, command: Command) => {
      const { api, json } = client(command);
      const items = list(
        (await api.call(RAM, 'ListAccessKeys', userParam(options.user))).AccessKeys,
        'AccessKey',
      );
      const key = items.find((k) => k.AccessKeyId === id);
      if (key?.Status === 'Active' && !options.force) {
        const used = await lastUse(api, id, options.user);
        throw new CliError(
          `${id} is Active (last used: ${str(used.LastUsedDate) || 'never'}${used.LastUsedServiceName ? `, ${str(used.LastUsedServiceName)} from ${str(used.LastUsedSourceIp)}` : ''}). ` +
            `Disable it first ("ramkey keys disable ${id}"), check that nothing breaks, then delete; or pass --force.`,
        );
      }
      await api.call(RAM, 'DeleteAccessKey', { UserAccessKeyId: id, ...userParam(options.user) });
      if (json) printJson({ deleted: id });
      else process.stdout.write(`Deleted ${id}.\n`);
    });
  keys
    .command('last-used <accessKeyId>')
    .description('show when, with which service and from where an AccessKey was last used')
    .option('--user <name>', 'the RAM user owning the key (default: looked up)')
    .action(async (id: string, options: { user?: string }, command: Command) => {
      const { api, json } = client(command);
      const used = await lastUse(api, id, options.user);
      const fields = {
        accessKeyId: id,
        lastUsedDate: str(used.LastUsedDate),
        serviceName: str(used.LastUsedServiceName),
        sourceIp: str(used.LastUsedSourceIp),
      };
      if (json) printJson(fields);
      else
        printFields({
          AccessKeyId: id,
          'Last used': fields.lastUsedDate || 'never',
          Service: fields.serviceName || '-',
          'Source IP': fields.sourceIp || '-',
        });
    });
  keys
    .command('ips <accessKeyId>')
    .description('list the source IPs an AccessKey was used from, with first and last use and call count')
    .option('--service <name>', 'only calls to this service (Ram, Ims, Sts, Actiontrail)')
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
        ip: str(ip.Ip),
        firstUsed: wireTime(ip.FirstUsedTimestamp),
        lastUsed: wireTime(ip.UsedTimestamp),
        calls: typeof ip.CallCount === 'number' ? ip.CallCount : 0,
      }));
      if (json) printJson(rows);
      else
        printTable(
          ['SOURCE IP', 'FIRST SEEN', 'LAST SEEN', 'CALLS'],
          rows.map((r) => [r.ip, r.firstUsed, r.lastUsed, String(r.calls)]),
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
          Status: `${str(owner.Status)}${owner.State === 'Deleted' ? ' (deleted)' : ''}`,
          Created: str(owner.CreateDate),
        });
    });

  program
    .command('report')
    .description('account-wide reports')
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
      const { csv, generatedTime } = await credentialReport(api);
      const [header = [], ...data] = splitCsvRecords(csv).map(parseCsvRecord);
      const rows = data.map((fields) => Object.fromEntries(header.map((h, i) => [h, fields[i] ?? ''])));
      const text = json
        ? formatJson(rows)
        : options.format === 'table'
          ? `Credential report generated ${generatedTime}\n\n${credentialReportTable(header, rows)}`
          : csv;
      if (options.output === undefined) {
        process.stdout.write(text);
        return;
      }
      try {
        writeFileSync(options.output, text);
      } catch (err) {
        throw new CliError(
          `Cannot write ${options.output}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      process.stderr.write(
        `Wrote the credential report generated ${generatedTime} (${rows.length} principals) to ${options.output}.\n`,
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
