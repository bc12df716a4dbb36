// `ramkey network`: AccessKey network access restriction policies through the API (IMS
// SetAccessKeyPolicy and friends): show and set them, replay a key's source addresses against a
// proposed one (SimulateAccessKeyPolicy), and list the calls an Audit-mode policy would have denied.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DAY_MS, toWireDate } from '../core/clock.js';
import { lookupAll, parseInstant, parseLimit } from './audit-commands.js';
import { ApiError, type RamkeyClient } from './client.js';
import { client, IMS, obj, ownerLogonName, str, type Json } from './api-values.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { printFields, printJson, printTable } from './output.js';

interface TargetOptions {
  key?: string;
  user?: string;
  account?: boolean;
}

/** `--key` or `--account`, exactly one. */
function target(options: TargetOptions): { key: string } | { account: true } {
  if (options.account === true && options.key !== undefined) {
    throw new CliError('Give either --key or --account, not both.', EXIT_USAGE);
  }
  if (options.account === true) {
    if (options.user !== undefined) throw new CliError('--user goes with --key only.', EXIT_USAGE);
    return { account: true };
  }
  if (options.key === undefined) throw new CliError('Give --key ID (or --account).', EXIT_USAGE);
  return { key: options.key };
}

/** The parameters that name a key for IMS: its ID and, when known, its owner's logon name. */
async function keyParams(
  api: RamkeyClient,
  id: string,
  user: string | undefined,
): Promise<Record<string, string>> {
  const upn = await ownerLogonName(api, id, user);
  return upn === undefined ? { UserAccessKeyId: id } : { UserAccessKeyId: id, UserPrincipalName: upn };
}

/** The policy file's text ('-': standard input); the server checks what it says. */
function readPolicyFile(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(
      `Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
      EXIT_USAGE,
    );
  }
}

/** The document an answer carries as a JSON string, as an object. */
function documentOf(answer: Json): Json {
  try {
    return obj(JSON.parse(str(answer.AccessKeyPolicy)));
  } catch {
    return {};
  }
}

function printPolicy(targetText: string, document: Json): void {
  const statements = Array.isArray(document.Statements) ? document.Statements.map(obj) : [];
  const rules: Record<string, string> = {};
  statements.forEach((s, i) => {
    const ips = Array.isArray(s.IPList) ? s.IPList.map(str) : [];
    rules[`Rule ${String(i + 1)}`] = `${str(s.Type)}: ${ips.join(', ')}`;
  });
  const status = str(document.Status);
  printFields({
    Policy: targetText,
    Status: status,
    ...(statements.length === 0 && {
      Rules: status === 'Inactive' ? '(none)' : '(none: every source address is denied)',
    }),
    ...rules,
  });
}

export function registerNetworkCommands(program: Command): void {
  const network = program
    .command('network')
    .description('AccessKey network access restriction policies (source address allowlists)')
    .addHelpText(
      'after',
      `
A policy file holds Alibaba's AccessKeyPolicy document, for example:
  {"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["203.0.113.0/24","2001:db8::/32"]}]}
Status is Active (enforced), Inactive (off) or Audit (Ramkey: record what it would deny, refuse nothing).
Roll out safely: "network simulate", then "network set" with Status Audit and watch "network denials",
then Active.`,
    );
  const keyHelp = 'the AccessKey whose own policy it is';
  const userHelp = "the RAM user owning the key (default: looked up, or the caller's own key)";
  const accountHelp =
    'the account-level policy (every key of the account that has no Active policy of its own)';

  network
    .command('get')
    .description('show the network access policy of a key or of the account')
    .option('--key <accessKeyId>', keyHelp)
    .option('--user <name>', userHelp)
    .option('--account', accountHelp)
    .action(async (options: TargetOptions, command: Command) => {
      const { api, json } = client(command);
      const t = target(options);
      const answer =
        'account' in t
          ? await api.call(IMS, 'GetAccessKeyPolicyForAccount')
          : await api.call(IMS, 'GetAccessKeyPolicy', await keyParams(api, t.key, options.user));
      const document = documentOf(answer);
      if (json)
        printJson(
          'account' in t
            ? { PolicyLevel: 'Account', AccessKeyPolicy: document }
            : { PolicyLevel: 'AccessKey', AccessKeyId: t.key, AccessKeyPolicy: document },
        );
      else printPolicy('account' in t ? 'account level' : `AccessKey ${t.key}`, document);
    });

  network
    .command('set')
    .description('set the network access policy of a key or of the account, in force from the next call')
    .requiredOption('--policy <file>', "the AccessKeyPolicy document (JSON); '-' reads standard input")
    .option('--key <accessKeyId>', keyHelp)
    .option('--user <name>', userHelp)
    .option('--account', accountHelp)
    .option(
      '--accept-self-lockout',
      'set it even though it denies the key making this call from where it calls (AcceptSelfLockout=true)',
    )
    .action(
      async (options: TargetOptions & { policy: string; acceptSelfLockout?: boolean }, command: Command) => {
        const { api, json } = client(command);
        const t = target(options);
        const params: Record<string, string> = {
          AccessKeyPolicy: readPolicyFile(options.policy),
          ...(options.acceptSelfLockout === true && { AcceptSelfLockout: 'true' }),
        };
        const keyed =
          'account' in t ? undefined : { ...params, ...(await keyParams(api, t.key, options.user)) };
        const answer = await (
          keyed === undefined
            ? api.call(IMS, 'SetAccessKeyPolicyForAccount', params)
            : api.call(IMS, 'SetAccessKeyPolicy', keyed)
        ).catch((err: unknown) => {
          if (err instanceof ApiError && err.code === 'AccessKeyPolicy.SelfLockout') {
            throw new ApiError(
              err.body,
              err.httpStatus,
              err.context,
              'Pass --accept-self-lockout to set it anyway: this key will then be refused from here.',
            );
          }
          throw err;
        });
        const document = documentOf(answer);
        if (json)
          printJson(
            'account' in t
              ? { PolicyLevel: 'Account', AccessKeyPolicy: document }
              : { PolicyLevel: 'AccessKey', AccessKeyId: t.key, AccessKeyPolicy: document },
          );
        else printPolicy('account' in t ? 'account level (set)' : `AccessKey ${t.key} (set)`, document);
      },
    );

  network
    .command('simulate')
    .description(
      "replay a key's source addresses of the last days against a proposed policy and list those it would deny",
    )
    .requiredOption('--key <accessKeyId>', 'the AccessKey whose past calls to replay')
    .requiredOption(
      '--policy <file>',
      "the proposed AccessKeyPolicy document (JSON); '-' reads standard input",
    )
    .option('--days <n>', 'how many days back to replay (1-3650)', '30')
    .option('--user <name>', userHelp)
    .option('--account', 'propose the policy at account level (the key keeps its own policy, if Active)')
    .addHelpText(
      'after',
      '\nNothing is changed. Audit is simulated as Active. Call counts are since the first use from each address.',
    )
    .action(
      async (
        options: { key: string; policy: string; days: string; user?: string; account?: boolean },
        command: Command,
      ) => {
        const { api, json } = client(command);
        if (!/^\d{1,4}$/.test(options.days) || Number(options.days) < 1 || Number(options.days) > 3650) {
          throw new CliError(`Invalid --days "${options.days}": use 1-3650.`, EXIT_USAGE);
        }
        const answer = await api.call(IMS, 'SimulateAccessKeyPolicy', {
          ...(await keyParams(api, options.key, options.user)),
          AccessKeyPolicy: readPolicyFile(options.policy),
          Days: options.days,
          PolicyLevel: options.account === true ? 'Account' : 'AccessKey',
        });
        const denied = (
          Array.isArray(obj(answer.DeniedSourceIps).DeniedSourceIp)
            ? (obj(answer.DeniedSourceIps).DeniedSourceIp as unknown[])
            : []
        ).map(obj);
        const rows = denied.map((d) => ({
          SourceIp: str(d.SourceIp),
          CallCount: typeof d.CallCount === 'number' ? d.CallCount : 0,
          FirstUsedDate: str(d.FirstUsedDate),
          LastUsedDate: str(d.LastUsedDate),
        }));
        if (json) {
          printJson({
            AccessKeyId: options.key,
            PolicyLevel: str(answer.PolicyLevel),
            DecidingPolicyLevel: str(answer.DecidingPolicyLevel),
            StartTime: str(answer.StartTime),
            EndTime: str(answer.EndTime),
            SourceIpCount: answer.SourceIpCount,
            IsTruncated: answer.IsTruncated === true,
            DeniedSourceIps: rows,
          });
          return;
        }
        const deciding = str(answer.DecidingPolicyLevel);
        process.stdout.write(
          `Replayed ${str(answer.SourceIpCount)} source addresses ${options.key} was used from between ` +
            `${str(answer.StartTime)} and ${str(answer.EndTime)}.\n` +
            (deciding === 'None'
              ? 'No policy would be in force for this key: nothing would be denied.\n'
              : `The ${deciding === 'AccessKey' ? 'AccessKey' : 'account'}-level policy would decide; it would deny ${String(rows.length)} of them:\n`),
        );
        if (deciding !== 'None') {
          printTable(
            ['SOURCE IP', 'CALLS', 'FIRST SEEN', 'LAST SEEN'],
            rows.map((r) => [r.SourceIp, String(r.CallCount), r.FirstUsedDate, r.LastUsedDate]),
          );
        }
        if (answer.IsTruncated === true) {
          process.stderr.write(
            'warning: the key has more source addresses than one simulation replays; the list is partial.\n',
          );
        }
      },
    );

  network
    .command('denials')
    .description('list calls an Audit-mode policy would have denied (they were served), newest first')
    .option('--key <accessKeyId>', 'only calls made with this AccessKey')
    .option('--since <when>', 'from this date, date-time or age (30m, 12h, 7d; default 7d)')
    .option('--until <when>', 'up to this date, date-time or age (default now)')
    .option('--limit <n>', 'show at most this many calls', '50')
    .action(
      async (options: { key?: string; since?: string; until?: string; limit: string }, command: Command) => {
        const { api, json } = client(command);
        const now = Date.now();
        const since =
          options.since === undefined ? now - 7 * DAY_MS : parseInstant(options.since, '--since', now);
        const until = options.until === undefined ? now : parseInstant(options.until, '--until', now);
        if (since > until) throw new CliError('--since is after --until.', EXIT_USAGE);
        const params: Record<string, string> = {
          StartTime: toWireDate(since),
          EndTime: toWireDate(until),
          'LookupAttribute.1.Key': 'AccessKeyPolicyAudit',
          'LookupAttribute.1.Value': 'WouldDeny',
          ...(options.key !== undefined && {
            'LookupAttribute.2.Key': 'EventAccessKeyId',
            'LookupAttribute.2.Value': options.key,
          }),
        };
        const events: Json[] = [];
        await lookupAll(api, params, parseLimit(options.limit), (page) => {
          events.push(...page);
        });
        const rows = events.map((e) => {
          const who = obj(e.userIdentity);
          return {
            EventTime: str(e.eventTime),
            AccessKeyId: str(who.accessKeyId),
            UserName: str(who.userName),
            SourceIp: str(e.sourceIpAddress),
            EventName: str(e.eventName),
            PolicyLevel: str(obj(e.additionalEventData).AccessKeyPolicyLevel),
            Result: str(e.errorCode) || 'OK',
          };
        });
        if (json) printJson(rows);
        else
          printTable(
            ['TIME', 'ACCESS KEY', 'USER', 'SOURCE IP', 'ACTION', 'POLICY LEVEL', 'RESULT'],
            rows.map((r) => [
              r.EventTime,
              r.AccessKeyId,
              r.UserName,
              r.SourceIp,
              r.EventName,
              r.PolicyLevel,
              r.Result,
            ]),
          );
      },
    );
}
