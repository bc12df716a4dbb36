// What every client command shares: the API versions, the signed client of the command line's
// credentials, reading answers (strings, objects, double-wrapped lists), a key's last use and a fresh
// credential report.
import type { Command } from 'commander';
import { toWireDate } from '../core/clock.js';
import { ApiError, RamkeyClient } from './client.js';
import { describeCredentials, resolveCredentials, type CredentialOptions } from './credentials.js';
import { CliError } from './exit-codes.js';
import { shellArg } from './output.js';

export const RAM = '2015-05-01';
export const IMS = '2019-08-15';
export const STS = '2015-04-01';
export const ACTIONTRAIL = '2020-07-06';

interface GlobalOptions extends CredentialOptions {
  json?: boolean;
}

export type Json = Record<string, unknown>;

/** The signed client of the command line's credentials; `source` says where they came from (whoami). */
export function client(command: Command): { api: RamkeyClient; json: boolean; source: string } {
  const options = command.optsWithGlobals<GlobalOptions>();
  const credentials = resolveCredentials(options);
  return {
    api: new RamkeyClient(credentials),
    json: options.json ?? false,
    source: describeCredentials(credentials),
  };
}

/** The global options that chose the server and the credentials: a suggested command carries them. */
const CARRIED_OPTIONS = ['profile', 'endpoint'] as const;

/**
 * A `ramkey` command line to suggest, which works as printed: `args`, then the global options of
 * this command line that chose the server and the credentials (never a secret).
 *
 * @example suggestion(command, ['keys', 'disable', id, '--user', 'app']) // => 'ramkey keys disable LTAI... --user app --profile prod'
 */
export function suggestion(command: Command, args: readonly string[]): string {
  const globals = command.optsWithGlobals<Record<string, unknown>>();
  const carried = CARRIED_OPTIONS.flatMap((name) => {
    const value = globals[name];
    return typeof value === 'string' ? [`--${name}`, value] : [];
  });
  return ['ramkey', ...args, ...carried].map(shellArg).join(' ');
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
export function list(value: unknown, item: string): Json[] {
  const inner = obj(value)[item];
  return Array.isArray(inner) ? inner.map(obj) : [];
}

/**
 * The logon name of the user owning a key: `user`'s when given, else looked up (GetAccessKeyOwner);
 * undefined for a root key, or when the caller may not ask (it is asking about its own key).
 */
export async function ownerLogonName(
  api: RamkeyClient,
  id: string,
  user: string | undefined,
): Promise<string | undefined> {
  if (user !== undefined) {
    const me = await api.call(STS, 'GetCallerIdentity');
    return `${user}@${str(me.AccountId)}.onaliyun.com`;
  }
  try {
    const owner = obj((await api.call(IMS, 'GetAccessKeyOwner', { UserAccessKeyId: id })).AccessKeyOwner);
    return str(owner.UserPrincipalName) || undefined;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NoPermission') return undefined;
    throw err;
  }
}

/** A key's last use (date, service, source IP) from its owner's key listing (see ownerLogonName). */
export async function lastUse(api: RamkeyClient, id: string, user: string | undefined): Promise<Json> {
  const upn = await ownerLogonName(api, id, user);
  const listed = list(
    (await api.call(IMS, 'ListAccessKeys', upn === undefined ? {} : { UserPrincipalName: upn })).AccessKeys,
    'AccessKey',
  );
  const key = listed.find((k) => k.AccessKeyId === id);
  if (!key) throw new CliError(`No AccessKey ${id} in this account.`);
  return key;
}

/** Generates a fresh credential report, then reads all its pages and joins them into one CSV. */
export async function credentialReport(api: RamkeyClient): Promise<{ csv: string; generatedTime: string }> {
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
