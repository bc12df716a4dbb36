// Where the client commands find their AccessKey and endpoint: flags, the RAMKEY_* and ALIBABA_CLOUD_*
// variables, the aliyun CLI's ~/.aliyun/config.json, the Alibaba Cloud credentials file and Ramkey's
// legacy profile file, in that order (README "Credentials and profiles").
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ENDPOINT, type ClientCredentials } from './client.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';

/** The global options of the command line that choose credentials. */
export interface CredentialOptions {
  accessKeyId?: string;
  accessKeySecret?: string;
  profile?: string;
  endpoint?: string;
}

export interface ResolvedCredentials extends ClientCredentials {
  /** Where the AccessKey came from, for `whoami`: `profile default in ~/.aliyun/config.json`. */
  source: string;
  /** Where the endpoint came from: `--endpoint`, `RAMKEY_ENDPOINT`, a profile, or `default`. */
  endpointSource: string;
}

/** The field of an aliyun CLI profile that holds Ramkey's endpoint (the aliyun CLI ignores it). */
export const ENDPOINT_FIELD = 'ramkey_endpoint';

/** An aliyun CLI profile as the file has it: known fields read, unknown ones kept on rewrite. */
export type AliyunProfile = Record<string, unknown>;

export interface AliyunConfig {
  current?: unknown;
  profiles: AliyunProfile[];
  [field: string]: unknown;
}

/** One profile of any profile file, as `configure list` shows it and resolution reads it. */
export interface ProfileEntry {
  name: string;
  /** `AK` (aliyun CLI mode), `access_key` (credentials file type), or what the file says. */
  mode: string;
  accessKeyId: string;
  accessKeySecret: string;
  endpoint: string;
  /** Why the profile cannot be used, if it cannot: `has mode RamRoleArn; ...`. */
  unusable?: string;
}

export interface ProfileFile {
  /** The path as shown to the user (`~/.aliyun/config.json`). */
  shown: string;
  path: string;
  /** The profiles in file order; undefined when the file does not exist. */
  profiles: ProfileEntry[] | undefined;
  /** config.json's `current`. */
  current?: string;
  /** How the file names the AccessKey ID and secret, for messages about a missing one. */
  keyFields: readonly [string, string];
}

export interface Environment {
  env: NodeJS.ProcessEnv;
  home: string;
}

export function currentEnvironment(): Environment {
  return { env: process.env, home: homedir() };
}

/** An environment variable, empty counting as unset. */
function variable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function aliyunConfigPath(where: Environment): string {
  return join(where.home, '.aliyun', 'config.json');
}

/** `~/.alibabacloud/credentials`, or ALIBABA_CLOUD_CREDENTIALS_FILE as @alicloud/credentials reads it. */
export function credentialsFilePath(where: Environment): string {
  return (
    variable(where.env, 'ALIBABA_CLOUD_CREDENTIALS_FILE') ?? join(where.home, '.alibabacloud', 'credentials')
  );
}

/** Ramkey's own profile file of earlier versions (RAMKEY_PROFILE_FILE), read last. */
export function legacyProfilePath(where: Environment): string {
  return variable(where.env, 'RAMKEY_PROFILE_FILE') ?? join(where.home, '.ramkey', 'profiles.json');
}

/** A path under the home directory as `~/...`. */
export function showPath(path: string, where: Environment): string {
  return path.startsWith(`${where.home}/`) ? `~${path.slice(where.home.length)}` : path;
}

/**
 * An endpoint as the user writes it (`http://host:port`, `https://host`, `host:port`, `[::1]:8080`,
 * a bare host) as the origin URL the client calls; `host:port` means plain HTTP, as the start banner
 * and the SDKs write it.
 *
 * @example parseEndpoint('127.0.0.1:8080', 'RAMKEY_ENDPOINT') // 'http://127.0.0.1:8080'
 */
export function parseEndpoint(text: string, from: string): string {
  const trimmed = text.trim();
  const invalid = (why: string) =>
    new CliError(
      `Invalid endpoint "${text}" (from ${from}): ${why}; use e.g. http://127.0.0.1:8080 or 127.0.0.1:8080.`,
      EXIT_USAGE,
    );
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  let url: URL;
  try {
    url = new URL(hasScheme ? trimmed : `http://${trimmed}`);
  } catch {
    throw invalid(/^[^[]*:.*:/.test(trimmed) ? 'write an IPv6 address in brackets, [::1]:8080' : 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('only http:// and https://');
  if (url.hostname === '') throw invalid('no host');
  if (url.username !== '' || url.password !== '') throw invalid('no user name or password in it');
  // The client always calls the root: a path, query or fragment would be dropped without a word.
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw invalid('no path, query or fragment (Ramkey answers at the root)');
  }
  return url.origin;
}

/**
 * The sections of an INI file as @alicloud/credentials reads `~/.alibabacloud/credentials` (with the
 * `ini` package): `[name]` headers, `key = value` lines, `;` and `#` comments, values optionally quoted.
 *
 * @example parseCredentialsIni('[default]\ntype = access_key\n').get('default') // { type: 'access_key' }
 */
export function parseCredentialsIni(text: string): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  let section: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      const name = (header[1] ?? '').trim();
      section = sections.get(name) ?? {};
      sections.set(name, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1 || section === undefined) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const quoted = /^(["'])(.*)\1$/.exec(value);
    section[key] = quoted ? (quoted[2] ?? '') : value;
  }
  return sections;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function readText(path: string, shown: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${shown}: ${(err as Error).message}`, EXIT_USAGE);
  }
}

/** The aliyun CLI's config.json as it is on disk (undefined when missing); refuses what is not its format. */
export function readAliyunConfig(where: Environment): AliyunConfig | undefined {
  const path = aliyunConfigPath(where);
  const shown = showPath(path, where);
  const content = readText(path, shown);
  if (content === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (err) {
    throw new CliError(`cannot parse ${shown}: ${(err as Error).message}`, EXIT_USAGE);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`cannot parse ${shown}: not a JSON object`, EXIT_USAGE);
  }
  const config = parsed as Record<string, unknown>;
  const profiles = config.profiles ?? [];
  if (!Array.isArray(profiles) || !profiles.every((p) => typeof p === 'object' && p !== null)) {
    throw new CliError(`cannot parse ${shown}: "profiles" is not a list of objects`, EXIT_USAGE);
  }
  return { ...config, profiles: profiles as AliyunProfile[] };
}

function aliyunEntry(profile: AliyunProfile, shown: string): ProfileEntry {
  const name = text(profile.name);
  // The aliyun CLI writes `mode`; files written by hand often leave it out for an AccessKey pair.
  const mode = text(profile.mode) || 'AK';
  const entry: ProfileEntry = {
    name,
    mode,
    accessKeyId: text(profile.access_key_id),
    accessKeySecret: text(profile.access_key_secret),
    endpoint: text(profile[ENDPOINT_FIELD]),
  };
  if (mode !== 'AK') {
    entry.unusable = `profile ${name} in ${shown} has mode ${mode}; ramkey supports only mode AK (an AccessKey pair)`;
  }
  return entry;
}

function iniEntry(name: string, section: Record<string, string>, shown: string): ProfileEntry {
  const type = section.type ?? '';
  const entry: ProfileEntry = {
    name,
    mode: type,
    accessKeyId: section.access_key_id ?? '',
    accessKeySecret: section.access_key_secret ?? '',
    endpoint: section[ENDPOINT_FIELD] ?? '',
  };
  if (section.enable?.toLowerCase() === 'false') {
    entry.unusable = `profile ${name} in ${shown} is disabled (enable = false)`;
  } else if (type === '') {
    entry.unusable = `profile ${name} in ${shown} has no type (ramkey reads type = access_key)`;
  } else if (type !== 'access_key') {
    entry.unusable = `profile ${name} in ${shown} has type ${type}; ramkey supports only type access_key`;
  }
  return entry;
}

function legacyEntries(content: string, shown: string): ProfileEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (err) {
    throw new CliError(`cannot parse ${shown}: ${(err as Error).message}`, EXIT_USAGE);
  }
  const profiles = (parsed as { profiles?: unknown } | null)?.profiles;
  if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) {
    throw new CliError(`cannot parse ${shown}: "profiles" is not an object of profiles`, EXIT_USAGE);
  }
  return Object.entries(profiles as Record<string, Record<string, unknown> | null>).map(([name, p]) => ({
    name,
    mode: 'AK',
    accessKeyId: text(p?.accessKeyId),
    accessKeySecret: text(p?.accessKeySecret),
    endpoint: text(p?.endpoint),
  }));
}

/** Every profile file in the order resolution reads them, each with its profiles (or missing). */
export function readProfileFiles(where: Environment): ProfileFile[] {
  const aliyunPath = aliyunConfigPath(where);
  const aliyunShown = showPath(aliyunPath, where);
  const config = readAliyunConfig(where);
  const aliyun: ProfileFile = {
    path: aliyunPath,
    shown: aliyunShown,
    profiles: undefined,
    keyFields: ['access_key_id', 'access_key_secret'],
  };
  if (config) {
    aliyun.profiles = config.profiles.map((p) => aliyunEntry(p, aliyunShown));
    const current = text(config.current);
    if (current !== '') aliyun.current = current;
  }

  const iniPath = credentialsFilePath(where);
  const iniShown = showPath(iniPath, where);
  const iniText = readText(iniPath, iniShown);
  const ini: ProfileFile = {
    path: iniPath,
    shown: iniShown,
    profiles:
      iniText === undefined
        ? undefined
        : [...parseCredentialsIni(iniText)].map(([name, s]) => iniEntry(name, s, iniShown)),
    keyFields: ['access_key_id', 'access_key_secret'],
  };

  const legacyPath = legacyProfilePath(where);
  const legacyShown = showPath(legacyPath, where);
  const legacyText = readText(legacyPath, legacyShown);
  const legacy: ProfileFile = {
    path: legacyPath,
    shown: legacyShown,
    profiles: legacyText === undefined ? undefined : legacyEntries(legacyText, legacyShown),
    keyFields: ['accessKeyId', 'accessKeySecret'],
  };
  return [aliyun, ini, legacy];
}

/** Shows an AccessKey ID as the aliyun CLI's `configure list` does, enough to tell keys apart. */
export function maskAccessKeyId(id: string): string {
  if (id === '') return '';
  return id.length <= 8 ? '****' : `${id.slice(0, 4)}****${id.slice(-4)}`;
}

export function warnSecretOnCommandLine(): void {
  process.stderr.write(
    'warning: a secret on the command line is kept in the shell history and shown by ps; ' +
      'prefer a profile (ramkey configure --access-key-secret-stdin) or RAMKEY_ACCESS_KEY_SECRET.\n',
  );
}

/** The AccessKey pair named by a level of the order, refusing one half without the other. */
function pair(idName: string, secretName: string, id?: string, secret?: string) {
  if (id === undefined && secret === undefined) return undefined;
  if (id === undefined || secret === undefined) {
    const [given, missing] = id === undefined ? [secretName, idName] : [idName, secretName];
    throw new CliError(`${given} is set but ${missing} is not: give both, or neither.`, EXIT_USAGE);
  }
  return { accessKeyId: id, accessKeySecret: secret, source: `${idName} and ${secretName}` };
}

function warnIfShared(file: ProfileFile): void {
  let mode: number;
  try {
    mode = statSync(file.path).mode;
  } catch {
    return;
  }
  if ((mode & 0o077) !== 0) {
    process.stderr.write(
      `warning: ${file.shown} holds secrets and is readable by other users; run: chmod 600 ${file.shown}\n`,
    );
  }
}

function profileList(file: ProfileFile): string {
  const names = (file.profiles ?? []).map((p) => p.name);
  return `${file.shown} (profiles there: ${names.length === 0 ? 'none' : names.join(', ')})`;
}

/** The named profile from the first file that has it; undefined when none has it. */
function findProfile(files: ProfileFile[], name: string) {
  for (const file of files) {
    const entry = file.profiles?.find((p) => p.name === name);
    if (!entry) continue;
    if (entry.unusable !== undefined) throw new CliError(`${entry.unusable}.`, EXIT_USAGE);
    const [idField, secretField] = file.keyFields;
    const missing = [
      ...(entry.accessKeyId === '' ? [idField] : []),
      ...(entry.accessKeySecret === '' ? [secretField] : []),
    ];
    if (missing.length > 0) {
      throw new CliError(`profile ${name} in ${file.shown} has no ${missing.join(' and no ')}.`, EXIT_USAGE);
    }
    warnIfShared(file);
    return { file, entry };
  }
  return undefined;
}

/**
 * The credentials of a client command, first match wins:
 * 1. `--access-key-id` and `--access-key-secret`, or `--profile NAME`;
 * 2. `RAMKEY_ACCESS_KEY_ID` and `RAMKEY_ACCESS_KEY_SECRET`, or `RAMKEY_PROFILE`;
 * 3. `ALIBABA_CLOUD_ACCESS_KEY_ID` and `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, or `ALIBABA_CLOUD_PROFILE`;
 * 4. the default profile: config.json's `current`, else `default`.
 * A profile is looked up in ~/.aliyun/config.json, then ~/.alibabacloud/credentials, then the legacy
 * ~/.ramkey/profiles.json. The endpoint is `--endpoint`, else `RAMKEY_ENDPOINT`, else the profile's,
 * else http://127.0.0.1:8080. Every misconfiguration is a CliError with exit code 2.
 */
export function resolveCredentials(
  options: CredentialOptions,
  where: Environment = currentEnvironment(),
): ResolvedCredentials {
  const { env } = where;
  if (options.profile !== undefined && (options.accessKeyId ?? options.accessKeySecret) !== undefined) {
    throw new CliError('--profile and --access-key-id/--access-key-secret exclude each other.', EXIT_USAGE);
  }
  if (options.accessKeySecret !== undefined) warnSecretOnCommandLine();

  const levels: { keys?: ReturnType<typeof pair>; profile?: string; from: string }[] = [
    {
      keys: pair('--access-key-id', '--access-key-secret', options.accessKeyId, options.accessKeySecret),
      profile: options.profile,
      from: '--profile',
    },
    {
      keys: pair(
        'RAMKEY_ACCESS_KEY_ID',
        'RAMKEY_ACCESS_KEY_SECRET',
        variable(env, 'RAMKEY_ACCESS_KEY_ID'),
        variable(env, 'RAMKEY_ACCESS_KEY_SECRET'),
      ),
      profile: variable(env, 'RAMKEY_PROFILE'),
      from: 'RAMKEY_PROFILE',
    },
    {
      keys: pair(
        'ALIBABA_CLOUD_ACCESS_KEY_ID',
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
        variable(env, 'ALIBABA_CLOUD_ACCESS_KEY_ID'),
        variable(env, 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'),
      ),
      profile: variable(env, 'ALIBABA_CLOUD_PROFILE'),
      from: 'ALIBABA_CLOUD_PROFILE',
    },
  ];

  let found: { accessKeyId: string; accessKeySecret: string; source: string; endpoint?: string } | undefined;
  for (const level of levels) {
    if (level.keys) {
      found = level.keys;
      break;
    }
    if (level.profile !== undefined) {
      const files = readProfileFiles(where);
      const hit = findProfile(files, level.profile);
      if (!hit) {
        const existing = files.filter((f) => f.profiles !== undefined);
        throw new CliError(
          existing.length === 0
            ? `profile ${level.profile} (from ${level.from}) not found: there is no ${files[0]?.shown ?? ''}; ` +
                `create it with: ramkey configure --profile ${level.profile}`
            : `profile ${level.profile} (from ${level.from}) not found in ${existing.map(profileList).join(', nor in ')}.`,
          EXIT_USAGE,
        );
      }
      found = profileCredentials(hit);
      break;
    }
  }
  if (!found) {
    const files = readProfileFiles(where);
    const name = files[0]?.current ?? 'default';
    const hit = findProfile(files, name);
    if (!hit) throw noCredentials(files, name);
    found = profileCredentials(hit);
  }

  const flagEndpoint = options.endpoint;
  const envEndpoint = variable(env, 'RAMKEY_ENDPOINT');
  const [endpointText, endpointSource] =
    flagEndpoint !== undefined
      ? [flagEndpoint, '--endpoint']
      : envEndpoint !== undefined
        ? [envEndpoint, 'RAMKEY_ENDPOINT']
        : found.endpoint !== undefined
          ? [found.endpoint, found.source]
          : [DEFAULT_ENDPOINT, 'the default'];
  return {
    endpoint: parseEndpoint(endpointText, endpointSource),
    endpointSource,
    accessKeyId: found.accessKeyId,
    accessKeySecret: found.accessKeySecret,
    source: found.source,
  };
}

/** `Credentials: AccessKey LTAI****abcd from <source>; endpoint <url> from <source>`, for whoami. */
export function describeCredentials(credentials: ResolvedCredentials): string {
  return (
    `Credentials: AccessKey ${maskAccessKeyId(credentials.accessKeyId)} from ${credentials.source}; ` +
    `endpoint ${credentials.endpoint} from ${credentials.endpointSource}`
  );
}

function profileCredentials({ file, entry }: { file: ProfileFile; entry: ProfileEntry }) {
  return {
    accessKeyId: entry.accessKeyId,
    accessKeySecret: entry.accessKeySecret,
    source: `profile ${entry.name} in ${file.shown}`,
    ...(entry.endpoint !== '' && { endpoint: entry.endpoint }),
  };
}

function noCredentials(files: ProfileFile[], name: string): CliError {
  const fileLine = (file: ProfileFile) =>
    `profile ${name} in ${file.profiles === undefined ? `${file.shown} (no such file)` : profileList(file)}`;
  return new CliError(
    [
      'No credentials. Ramkey looks, first match wins, at:',
      '  1. --access-key-id and --access-key-secret, or --profile NAME',
      '  2. RAMKEY_ACCESS_KEY_ID and RAMKEY_ACCESS_KEY_SECRET, or RAMKEY_PROFILE',
      '  3. ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or ALIBABA_CLOUD_PROFILE',
      ...files.map((f, i) => `  ${String(i + 4)}. ${fileLine(f)}`),
      'Create a profile with: ramkey configure',
    ].join('\n'),
    EXIT_USAGE,
  );
}
