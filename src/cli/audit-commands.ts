// `ramkey audit`: look up and export the account's audit trail through the API (ActionTrail
// LookupEvents), and, for operators with the data directory, the calls no account owns.
import type { Command } from 'commander';
import { DAY_MS, toWireDate } from '../core/clock.js';
import { actionTrailEvent } from '../services/action-trail-event.js';
import { list, RAM } from './api-values.js';
import { ACTIONTRAIL, client, obj, str, type Json } from './client-commands.js';
import { ApiError, type RamkeyClient } from './client.js';
import { eventTarget } from './incident.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { standardOutput, writeFileAtomically, type TextSink } from './files.js';
import { printJson, printTable } from './output.js';
import { withInstallation, type DataOptions } from './server-commands.js';

const UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** An instant given as an ISO date or date-time (`2026-11-28`, `2026-11-28T10:00:00Z`) or as an age (`30m`, `12h`, `7d`). */
export function parseInstant(value: string, option: string, now = Date.now()): number {
  const age = /^(\d{1,6})([smhd])$/.exec(value);
  if (age) return now - Number(age[1]) * (UNITS_MS[age[2] ?? 's'] ?? 1000);
  const ms = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value)
    ? Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value)
    : NaN;
  if (!Number.isFinite(ms)) {
    throw new CliError(
      `Invalid ${option} "${value}": use a date (2026-11-28), a date-time (2026-11-28T10:00:00Z) or an age (30m, 12h, 7d).`,
      EXIT_USAGE,
    );
  }
  return ms;
}

interface EventFilter {
  /** A member account of the caller's resource directory (the caller must be its management account). */
  member?: string;
  key?: string;
  action?: string;
  user?: string;
  service?: string;
  since?: string;
  until?: string;
}

/**
 * Read events reach the trail up to a second after their time, so a page taken meanwhile can pass
 * the place one of them lands in. An export that must be complete stops this far in the past.
 */
const SETTLE_MS = 3000;

/**
 * LookupEvents parameters for the filter; the time range defaults to `defaultSinceMs` ago until now
 * (or until SETTLE_MS ago, for a complete export).
 */
export function lookupParams(
  filter: EventFilter,
  defaultSinceMs: number,
  settle = false,
): Record<string, string> {
  const now = Date.now();
  const since =
    filter.since === undefined ? now - defaultSinceMs : parseInstant(filter.since, '--since', now);
  const until =
    filter.until === undefined ? now - (settle ? SETTLE_MS : 0) : parseInstant(filter.until, '--until', now);
  if (since > until) throw new CliError('--since is after --until.', EXIT_USAGE);
  const attributes: [string, string | undefined][] = [
    ['EventAccessKeyId', filter.key],
    ['EventName', filter.action],
    ['User', filter.user],
    ['ServiceName', filter.service],
  ];
  const params: Record<string, string> = {
    StartTime: toWireDate(since),
    EndTime: toWireDate(until),
    ...(filter.member !== undefined && { MemberAccountId: filter.member }),
  };
  let n = 0;
  for (const [key, value] of attributes) {
    if (value === undefined) continue;
    n += 1;
    params[`LookupAttribute.${String(n)}.Key`] = key;
    params[`LookupAttribute.${String(n)}.Value`] = value;
  }
  return params;
}

/** Pages through LookupEvents, handing each page's events to `onPage`; stops after `limit` events. */
export async function lookupAll(
  api: RamkeyClient,
  params: Record<string, string>,
  limit: number,
  onPage: (events: Json[]) => Promise<void> | void,
): Promise<number> {
  let token: string | undefined;
  let count = 0;
  do {
    const page = await api.call(ACTIONTRAIL, 'LookupEvents', {
      ...params,
      MaxResults: String(Math.min(50, limit - count)),
      ...(token !== undefined && { NextToken: token }),
    });
    const events = Array.isArray(page.Events) ? page.Events.map(obj) : [];
    count += events.length;
    await onPage(events);
    token = str(page.NextToken) || undefined;
  } while (token !== undefined && count < limit);
  return count;
}

function eventRow(e: Json): string[] {
  const who = obj(e.userIdentity);
  return [
    str(e.eventTime),
    str(e.eventName),
    str(e.serviceName),
    str(who.userName),
    str(who.accessKeyId),
    str(e.sourceIpAddress),
    Object.entries(eventTarget(e))
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    str(e.errorCode) || 'OK',
  ];
}

const EVENT_HEADERS = ['TIME', 'ACTION', 'SERVICE', 'USER', 'ACCESS KEY', 'SOURCE IP', 'TARGET', 'RESULT'];

/** The services whose calls the trail records: the built-in ones, then the account's and global ones. */
const BUILT_IN_SERVICES = ['Ram', 'Ims', 'Sts', 'Actiontrail'];

/**
 * When `--service` matched nothing, says on stderr whether it names a service at all, with the
 * names it could be (the account's custom services too, when the caller may list them).
 */
async function noteUnknownService(api: RamkeyClient, service: string): Promise<void> {
  const custom = await api
    .call(RAM, 'ListServices', { MaxItems: '1000' })
    .then((page) => list(page.Services, 'Service').map((s) => str(s.ServiceName)))
    .catch((err: unknown) => {
      if (err instanceof ApiError) return [];
      throw err;
    });
  const known = [...BUILT_IN_SERVICES, ...custom];
  if (known.some((name) => name.toLowerCase() === service.toLowerCase())) return;
  process.stderr.write(`note: no service is named "${service}"; known services: ${known.join(', ')}.\n`);
}

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) {
    throw new CliError(`Invalid --limit "${value}": use 1-100000.`, EXIT_USAGE);
  }
  return n;
}

/** Progress on stderr: every page on a terminal, otherwise every 10,000 events. */
function progress(): { report(count: number, last: string): void; done(count: number): void } {
  const tty = process.stderr.isTTY;
  let reported = 0;
  return {
    report(count, last) {
      if (tty) process.stderr.write(`\rexported ${String(count)} events (through ${last})`);
      else if (count - reported >= 10_000) {
        reported = count;
        process.stderr.write(`exported ${String(count)} events (through ${last})\n`);
      }
    },
    done(count) {
      process.stderr.write(`${tty ? '\r' : ''}exported ${String(count)} events\n`);
    },
  };
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description("look up and export the account's audit trail");

  audit
    .command('events')
    .description('list recent API calls, newest first (ActionTrail LookupEvents)')
    .option('--key <accessKeyId>', 'only calls made with (or claiming) this AccessKey')
    .option(
      '--member <accountId>',
      "a member account's trail (from a resource directory's management account)",
    )
    .option('--action <name>', 'only this action, e.g. CreateAccessKey (any case)')
    .option('--user <name>', "only this RAM user's calls ('root' for the account; any case)")
    .option('--service <name>', 'only this service: Ram, Ims, Sts, Actiontrail or a custom one (any case)')
    .option('--since <when>', 'from this date, date-time or age (30m, 12h, 7d; default 7d)')
    .option('--until <when>', 'up to this date, date-time or age (default now)')
    .option('--limit <n>', 'show at most this many events', '50')
    .action(async (options: EventFilter & { limit: string }, command: Command) => {
      const { api, json } = client(command);
      const events: Json[] = [];
      await lookupAll(api, lookupParams(options, 7 * DAY_MS), parseLimit(options.limit), (page) => {
        events.push(...page);
      });
      if (events.length === 0 && options.service !== undefined)
        await noteUnknownService(api, options.service);
      if (json) printJson(events);
      else printTable(EVENT_HEADERS, events.map(eventRow));
    });

  audit
    .command('export')
    .description('stream events as JSON Lines, oldest first, to stdout or a file')
    .option('--since <when>', 'from this date, date-time or age (default 90d, the default retention)')
    .option('--until <when>', 'up to this date, date-time or age (default 3 s ago: events still arriving)')
    .option('--key <accessKeyId>', 'only calls made with (or claiming) this AccessKey')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(async (options: EventFilter & { output?: string }, command: Command) => {
      const { api } = client(command);
      const params = { ...lookupParams(options, 90 * DAY_MS, true), Direction: 'FORWARD' };
      const shown = progress();
      let exported = 0;
      const exportTo = (out: TextSink) =>
        lookupAll(api, params, Number.MAX_SAFE_INTEGER, async (events) => {
          if (events.length === 0) return;
          await out.write(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
          exported += events.length;
          shown.report(exported, str(events.at(-1)?.eventTime));
        });
      // The trail is sensitive (who did what from where): a file of the owner's only, whole or none.
      const count =
        options.output === undefined
          ? await exportTo(standardOutput)
          : await writeFileAtomically(options.output, exportTo);
      shown.done(count);
    });

  audit
    .command('probes')
    .description('operator: calls that named no known AccessKey (probing), read from the data directory')
    .option('--data <dir>', 'data directory (default $RAMKEY_DATA or ./ramkey-data)')
    .option('--since <when>', 'from this date, date-time or age (default 7d)')
    .option('--limit <n>', 'show at most this many events', '50')
    .action(async (options: DataOptions & { since?: string; limit: string }, command: Command) => {
      const json = command.optsWithGlobals<{ json?: boolean }>().json ?? false;
      const now = Date.now();
      const since =
        options.since === undefined ? now - 7 * DAY_MS : parseInstant(options.since, '--since', now);
      const limit = parseLimit(options.limit);
      // By account and time alone: index-served, so one page holds `limit` events when there are.
      const { events } = await withInstallation(options, (ramkey) =>
        ramkey.audit.lookup({
          accountId: null,
          startTime: since,
          endTime: now,
          direction: 'BACKWARD',
          limit,
        }),
      );
      const shown = events.map(actionTrailEvent);
      if (json) printJson(shown);
      else printTable(EVENT_HEADERS, shown.map(eventRow));
    });
}
