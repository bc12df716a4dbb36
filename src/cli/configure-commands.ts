// `ramkey configure`: writes a profile into the aliyun CLI's ~/.aliyun/config.json (mode 0600, atomically,
// keeping its other profiles and fields), asking on the terminal or taking flags; `configure list`.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_ENDPOINT } from './client.js';
import {
  aliyunConfigPath,
  currentEnvironment,
  ENDPOINT_FIELD,
  maskAccessKeyId,
  parseEndpoint,
  readAliyunConfig,
  readProfileFiles,
  showPath,
  warnSecretOnCommandLine,
  type AliyunConfig,
  type AliyunProfile,
  type Environment,
} from './credentials.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { printJson, printTable } from './output.js';
import { Prompter, readStdin } from './prompt.js';

interface ConfigureOptions {
  profile?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  accessKeySecretStdin?: boolean;
  endpoint?: string;
  overwrite?: boolean;
  json?: boolean;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Replaces the file with a 0600 temporary file renamed over it: a reader sees the old or the new file. */
function writeAliyunConfig(where: Environment, config: AliyunConfig): void {
  const path = aliyunConfigPath(where);
  const shown = showPath(path, where);
  const temp = `${path}.${String(process.pid)}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(temp, 'wx', 0o600);
    try {
      // Tab-indented, as the aliyun CLI writes it.
      writeSync(fd, `${JSON.stringify(config, null, '\t')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new CliError(`cannot write ${shown}: ${(err as Error).message}`);
  }
}

/** A profile as the configure commands print it under --json: the API's PascalCase, no secret. */
function profileJson(profile: {
  name: string;
  mode: string;
  accessKeyId: string;
  endpoint: string;
  file: string;
  current: boolean;
}) {
  return {
    Name: profile.name,
    Mode: profile.mode,
    AccessKeyId: maskAccessKeyId(profile.accessKeyId),
    Endpoint: profile.endpoint,
    File: profile.file,
    Current: profile.current,
  };
}

function nonBlank(value: string, what: string): string {
  if (value === '' || /\s/.test(value)) {
    throw new CliError(`${what} must be one word without spaces.`, EXIT_USAGE);
  }
  return value;
}

async function configure(options: ConfigureOptions): Promise<void> {
  const where = currentEnvironment();
  const shown = showPath(aliyunConfigPath(where), where);
  if (options.accessKeySecret !== undefined && options.accessKeySecretStdin) {
    throw new CliError('--access-key-secret and --access-key-secret-stdin exclude each other.', EXIT_USAGE);
  }
  if (options.accessKeySecret !== undefined) warnSecretOnCommandLine();
  const config = readAliyunConfig(where) ?? { current: '', profiles: [] };
  const name = nonBlank(
    options.profile ??
      (where.env.RAMKEY_PROFILE || where.env.ALIBABA_CLOUD_PROFILE || text(config.current) || 'default'),
    'The profile name',
  );
  const existing = config.profiles.find((p) => text(p.name) === name);
  // A profile Ramkey did not write most likely holds the user's Alibaba Cloud AccessKey, whose secret
  // cannot be shown again: replacing it takes an explicit --overwrite.
  if (
    existing &&
    !(ENDPOINT_FIELD in existing) &&
    !options.overwrite &&
    (text(existing.access_key_id) !== '' || (text(existing.mode) || 'AK') !== 'AK')
  ) {
    const holds =
      text(existing.access_key_id) !== ''
        ? `AccessKey ${maskAccessKeyId(text(existing.access_key_id))}`
        : `a profile of mode ${text(existing.mode)}`;
    throw new CliError(
      `profile ${name} in ${shown} holds ${holds} that ramkey did not write (perhaps for Alibaba Cloud ` +
        `itself). Write another profile (ramkey configure --profile ramkey), or replace it with --overwrite.`,
      EXIT_USAGE,
    );
  }

  const current = {
    accessKeyId: text(existing?.access_key_id),
    accessKeySecret: text(existing?.access_key_secret),
    endpoint: text(existing?.[ENDPOINT_FIELD]),
  };
  let accessKeyId = options.accessKeyId;
  let accessKeySecret = options.accessKeySecretStdin ? await readStdin() : options.accessKeySecret;
  let endpoint = options.endpoint === undefined ? undefined : parseEndpoint(options.endpoint, '--endpoint');

  if (process.stdin.isTTY && !options.accessKeySecretStdin) {
    const prompter = new Prompter();
    try {
      process.stderr.write(`Configuring profile ${name} in ${shown} (Enter keeps the value in brackets).\n`);
      while (accessKeyId === undefined || accessKeyId === '') {
        accessKeyId =
          (await prompter.ask(`AccessKey ID [${maskAccessKeyId(current.accessKeyId) || 'none'}]: `)) ||
          current.accessKeyId;
      }
      while (accessKeySecret === undefined || accessKeySecret === '') {
        const kept = current.accessKeySecret !== '' && accessKeyId === current.accessKeyId;
        accessKeySecret =
          (await prompter.ask(`AccessKey secret (not shown) [${kept ? '********' : 'none'}]: `, true)) ||
          (kept ? current.accessKeySecret : '');
      }
      while (endpoint === undefined) {
        const fallback = current.endpoint || DEFAULT_ENDPOINT;
        const answer = (await prompter.ask(`Ramkey endpoint [${fallback}]: `)) || fallback;
        try {
          endpoint = parseEndpoint(answer, 'the answer');
        } catch (err) {
          process.stderr.write(`${(err as Error).message}\n`);
        }
      }
    } finally {
      prompter.close();
    }
  } else {
    accessKeyId ??= current.accessKeyId;
    // The stored secret belongs to the stored AccessKey ID only.
    if (accessKeyId === current.accessKeyId) accessKeySecret ??= current.accessKeySecret;
    endpoint ??= current.endpoint === '' ? DEFAULT_ENDPOINT : current.endpoint;
    const missing = [
      ...(accessKeyId === '' ? ['--access-key-id ID'] : []),
      ...(accessKeySecret === undefined || accessKeySecret === ''
        ? ['--access-key-secret-stdin (the secret on standard input)']
        : []),
    ];
    if (missing.length > 0) {
      throw new CliError(
        `ramkey configure: no terminal to ask on, and profile ${name} has no value for it: give ${missing.join(' and ')}.`,
        EXIT_USAGE,
      );
    }
  }

  const profile: AliyunProfile = existing ?? { name };
  profile.mode = 'AK';
  const savedId = nonBlank(accessKeyId, 'The AccessKey ID');
  profile.access_key_id = savedId;
  profile.access_key_secret = nonBlank(accessKeySecret ?? '', 'The AccessKey secret');
  profile[ENDPOINT_FIELD] = endpoint;
  if (!existing) config.profiles.push(profile);
  if (text(config.current) === '') config.current = name;
  writeAliyunConfig(where, config);

  const saved = {
    name,
    mode: 'AK',
    accessKeyId: savedId,
    endpoint,
    file: shown,
    current: config.current === name,
  };
  if (options.json) printJson(profileJson(saved));
  else {
    process.stdout.write(
      `Saved profile ${name} in ${shown} (AccessKey ${maskAccessKeyId(saved.accessKeyId)}, endpoint ${endpoint}).\n` +
        `Check it with: ramkey whoami --profile ${name}\n`,
    );
  }
}

export function registerConfigureCommands(program: Command): void {
  const command = program
    .command('configure')
    .description(
      'write a profile (AccessKey and endpoint) into ~/.aliyun/config.json, asking on the terminal ' +
        'or from --profile, --access-key-id, --access-key-secret-stdin and --endpoint',
    )
    .option('--access-key-secret-stdin', 'read the AccessKey secret from standard input (scripts)')
    .option('--overwrite', 'replace a profile that ramkey did not write (its AccessKey is lost)')
    .addHelpText(
      'after',
      `
The profile is written in the aliyun CLI's format (mode AK, access_key_id, access_key_secret) with
Ramkey's endpoint in "${ENDPOINT_FIELD}"; other profiles and fields are kept. The file is mode 0600.
Without --profile, the profile is RAMKEY_PROFILE, ALIBABA_CLOUD_PROFILE, the file's current one, or default.`,
    )
    .action(async (_options: unknown, cmd: Command) => {
      await configure(cmd.optsWithGlobals<ConfigureOptions>());
    });

  command
    .command('list')
    .description('list the profiles of every profile file, AccessKey IDs masked, secrets never shown')
    .action((_options: unknown, cmd: Command) => {
      const where = currentEnvironment();
      const profiles = readProfileFiles(where).flatMap((file, index) =>
        (file.profiles ?? []).map((p) => ({
          name: p.name,
          mode: p.mode,
          accessKeyId: p.accessKeyId,
          endpoint: p.endpoint,
          file: file.shown,
          // `current` is the aliyun CLI's notion, of config.json (the first file) only.
          current: index === 0 && file.current === p.name,
        })),
      );
      if (cmd.optsWithGlobals<{ json?: boolean }>().json) printJson(profiles.map(profileJson));
      else {
        printTable(
          ['PROFILE', 'CURRENT', 'MODE', 'ACCESS KEY ID', 'ENDPOINT', 'FILE'],
          profiles.map((p) => [
            p.name,
            p.current ? '*' : '',
            p.mode,
            maskAccessKeyId(p.accessKeyId),
            p.endpoint,
            p.file,
          ]),
        );
      }
    });
}
