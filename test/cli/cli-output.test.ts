// The CLI's errors and output conventions, run as users run the built command against a real server:
// denials that say what was refused and why, hints for a wrong secret or clock, JSON errors under
// --json, suggestions that work as printed, conflicting flags refused, case-insensitive audit filters
// with a target column, tables aligned by display width, and PascalCase in every --json output.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayWidth } from '../../src/cli/output.js';
import { base32Decode, totpCode, totpStep } from '../../src/core/identity/totp.js';
import { startApp, TestClock, type RunningApp } from '../support/in-process-server.js';
import { CLI, parseInitOutput, runCli } from '../support/ramkey-server.js';

type Env = Record<string, string>;

/** No ambient credentials leak into these runs. */
const noProfile: Env = {
  RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
  RAMKEY_ACCESS_KEY_ID: '',
  RAMKEY_ACCESS_KEY_SECRET: '',
};

/** Splits a suggested command line as a POSIX shell would (plain words and '...' quoting). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)) {
    words.push(match[1] === undefined ? (match[2] ?? '') : match[1].replaceAll("'\\''", "'"));
  }
  return words;
}

/** Every `ramkey ...` command a message suggests: quoted in "...", or alone on an indented line. */
function suggestions(text: string): string[][] {
  const quoted = [...text.matchAll(/"(ramkey [^"]+)"/g)].map((m) => m[1] ?? '');
  const listed = [...text.matchAll(/^ {2}(ramkey .+)$/gm)].map((m) => m[1] ?? '');
  return [...quoted, ...listed].map((line) => shellWords(line).slice(1));
}

/** Runs each suggestion in `text` as printed, in order, and expects every one to succeed. */
async function runSuggestions(text: string, env: Env, expected: number): Promise<void> {
  const found = suggestions(text);
  expect(found, text).toHaveLength(expected);
  for (const args of found) {
    const res = await runCli(args, env);
    expect(res.code, `ramkey ${args.join(' ')}: ${res.stderr}`).toBe(0);
  }
}

function parseJsonError(stderr: string): Record<string, unknown> {
  return JSON.parse(stderr) as Record<string, unknown>;
}

/** Every key at every level of `value` that is not PascalCase, with its path. */
function nonPascalKeys(value: unknown, path = '$', dataMaps: readonly string[] = []): string[] {
  if (Array.isArray(value))
    return value.flatMap((v, i) => nonPascalKeys(v, `${path}[${String(i)}]`, dataMaps));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => [
    ...(/^[A-Z][A-Za-z0-9]*$/.test(key) || dataMaps.includes(path) ? [] : [`${path}.${key}`]),
    ...nonPascalKeys(v, `${path}.${key}`, dataMaps),
  ]);
}

describe.concurrent('errors and output of the client commands', { timeout: 180_000 }, () => {
  let server: RunningApp;
  const dir = mkdtempSync(join(tmpdir(), 'ramkey-cli-output-'));

  beforeAll(async () => {
    server = await startApp();
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function account() {
    const admin = await server.createAccount();
    const env: Env = {
      ...noProfile,
      RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: admin.accessKeySecret,
    };
    return { admin, env };
  }

  /** A RAM user with a key of its own (and no policy), and the environment that makes the CLI it. */
  async function userWithKey(env: Env, userName: string, displayName?: string) {
    const created = await runCli(
      ['users', 'create', userName, ...(displayName === undefined ? [] : ['--display-name', displayName])],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const res = await runCli(['keys', 'create', '--user', userName, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    const key = JSON.parse(res.stdout) as { AccessKeyId: string; AccessKeySecret: string };
    const asUser: Env = {
      ...env,
      RAMKEY_ACCESS_KEY_ID: key.AccessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: key.AccessKeySecret,
    };
    return { id: key.AccessKeyId, secret: key.AccessKeySecret, asUser };
  }

  it('explains an implicit denial: action, resource, principal, deny type and Recommend; as JSON too', async () => {
    const { admin, env } = await account();
    const { asUser } = await userWithKey(env, 'reader');
    const denied = await runCli(['users', 'create', 'sneaky'], asUser);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toMatch(/^Error: NoPermission: .+ \(HTTP 403, RequestId [0-9A-F-]+\)\n/);
    expect(denied.stderr).toMatch(/^ {2}Action: +ram:CreateUser$/m);
    expect(denied.stderr).toMatch(
      new RegExp(`^ {2}Resource: +acs:ram:\\*:${admin.accountId}:user/sneaky$`, 'm'),
    );
    expect(denied.stderr).toMatch(
      new RegExp(`^ {2}Principal: +RAM user reader of account ${admin.accountId}$`, 'm'),
    );
    expect(denied.stderr).toMatch(/^ {2}Decided by: +no statement .+ allows it \(implicit deny\)$/m);
    expect(denied.stderr).toMatch(/^ {2}Recommend: +Ask an administrator/m);

    const json = await runCli(['users', 'create', 'sneaky', '--json'], asUser);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
    const error = parseJsonError(json.stderr);
    expect(error).toMatchObject({
      Code: 'NoPermission',
      HttpStatus: 403,
      RequestId: expect.stringMatching(/^[0-9A-F-]{36}$/) as unknown,
      Recommend: expect.stringContaining('Ask an administrator') as unknown,
      AccessDeniedDetail: {
        AuthAction: 'ram:CreateUser',
        AuthResource: `acs:ram:*:${admin.accountId}:user/sneaky`,
        AuthPrincipalDisplayName: 'reader',
        NoPermissionType: 'ImplicitDeny',
      },
    });
  });

  it('names the Deny policy of an explicit denial', async () => {
    const { env } = await account();
    const { id, asUser } = await userWithKey(env, 'contained');
    const contained = await runCli(['keys', 'contain', id, '--allow-ip', '127.0.0.1'], env);
    expect(contained.code, contained.stderr).toBe(0);
    const denied = await runCli(['users', 'list'], asUser);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^ {2}Action: +ram:ListUsers$/m);
    expect(denied.stderr).toMatch(
      new RegExp(`^ {2}Decided by: +policy Contain-${id} .*\\(explicit deny\\)$`, 'm'),
    );
    const json = parseJsonError((await runCli(['users', 'list', '--json'], asUser)).stderr);
    expect(json.AccessDeniedDetail).toMatchObject({
      NoPermissionType: 'ExplicitDeny',
      PolicyName: `Contain-${id}`,
    });
  });

  it('says to check the secret of the key on SignatureDoesNotMatch, never printing a secret or the string to sign', async () => {
    const { env } = await account();
    const { id, secret, asUser } = await userWithKey(env, 'typo');
    const wrong = 'x'.repeat(30);
    const badEnv = { ...asUser, RAMKEY_ACCESS_KEY_SECRET: wrong };
    const res = await runCli(['whoami'], badEnv);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^Error: SignatureDoesNotMatch: /);
    expect(res.stderr).toContain(
      `The AccessKeySecret in use is not the one of AccessKey ${id}: check the secret`,
    );
    // It names where the secret came from, so the user knows which one to fix.
    expect(res.stderr).toContain('(it came from RAMKEY_ACCESS_KEY_ID and RAMKEY_ACCESS_KEY_SECRET)');
    expect(res.stderr).not.toMatch(/string to sign/i);
    const json = await runCli(['whoami', '--json'], badEnv);
    const error = parseJsonError(json.stderr);
    expect(error).toMatchObject({ Code: 'SignatureDoesNotMatch', HttpStatus: 400 });
    expect(error.Hint).toContain(id);
    for (const out of [res.stderr, json.stderr]) {
      expect(out).not.toContain(wrong);
      expect(out).not.toContain(secret);
      expect(out).not.toMatch(/string to sign/i);
    }
  });

  it('says what to do about a key that does not exist or is disabled', async () => {
    const { env } = await account();
    const { id, asUser } = await userWithKey(env, 'gone');
    const unknown = await runCli(['whoami'], { ...asUser, RAMKEY_ACCESS_KEY_ID: 'LTAI0000000000000000abcd' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('InvalidAccessKeyId.NotFound');
    expect(unknown.stderr).toContain('check the AccessKeyId configured, and the endpoint');
    expect((await runCli(['keys', 'disable', id, '--user', 'gone'], env)).code).toBe(0);
    const inactive = await runCli(['whoami'], asUser);
    expect(inactive.stderr).toContain('InvalidAccessKeyId.Inactive');
    expect(inactive.stderr).toContain(`AccessKey ${id} is disabled`);
    // The suggested command works as printed, for the account's administrator.
    await runSuggestions(inactive.stderr, env, 1);
  });

  it('reports the CLI side errors as JSON under --json, with the same exit codes', async () => {
    const usage = await runCli(['users', 'list', '--frobnicate', '--json'], noProfile);
    expect(usage.code).toBe(2);
    expect(usage.stdout).toBe('');
    expect(parseJsonError(usage.stderr)).toEqual({
      Code: 'InvalidUsage',
      Message: "unknown option '--frobnicate'",
    });
    const noCommand = await runCli(['frobnicate', '--json']);
    expect(noCommand.code).toBe(2);
    expect(parseJsonError(noCommand.stderr).Code).toBe('InvalidUsage');
    const noCredentials = await runCli(['whoami', '--json'], noProfile);
    expect(noCredentials.code).toBe(2);
    expect(parseJsonError(noCredentials.stderr)).toMatchObject({
      Code: 'InvalidUsage',
      Message: expect.stringContaining('RAMKEY_ACCESS_KEY_ID') as unknown,
    });
    const unreachable = await runCli(['--json', 'whoami'], {
      ...noProfile,
      RAMKEY_ACCESS_KEY_ID: 'LTAI0000000000000000abcd',
      RAMKEY_ACCESS_KEY_SECRET: 'x',
      RAMKEY_ENDPOINT: 'http://127.0.0.1:1',
    });
    expect(unreachable.code).toBe(1);
    expect(parseJsonError(unreachable.stderr)).toMatchObject({
      Code: 'CliError',
      Message: expect.stringContaining('Cannot reach Ramkey') as unknown,
    });
    // Without --json, usage errors stay commander's plain text.
    const plain = await runCli(['users', 'list', '--frobnicate'], noProfile);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("error: unknown option '--frobnicate'");
  });

  it('suggests only commands that work as printed, with the --user and --profile given', async () => {
    const { admin, env } = await account();
    const profiles = join(dir, `profiles-${admin.accountId}.json`);
    writeFileSync(
      profiles,
      JSON.stringify({
        profiles: {
          ops: {
            endpoint: `http://${server.endpoint}`,
            accessKeyId: admin.accessKeyId,
            accessKeySecret: admin.accessKeySecret,
          },
        },
      }),
    );
    chmodSync(profiles, 0o600);
    const viaProfile: Env = { ...noProfile, RAMKEY_PROFILE_FILE: profiles };
    const { id } = await userWithKey(env, 'deployer');

    // An Active key: "disable it first", with --user and --profile.
    const guarded = await runCli(
      ['--profile', 'ops', 'keys', 'delete', id, '--user', 'deployer'],
      viaProfile,
    );
    expect(guarded.code).toBe(1);
    expect(guarded.stderr).toContain(`"ramkey keys disable ${id} --user deployer --profile ops"`);
    await runSuggestions(guarded.stderr, viaProfile, 1);

    const deleted = await runCli(
      ['--profile', 'ops', 'keys', 'delete', id, '--user', 'deployer'],
      viaProfile,
    );
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`"ramkey keys recycle-bin restore ${id} --profile ops"`);
    await runSuggestions(deleted.stdout, viaProfile, 1);
    expect((await runCli(['keys', 'list', '--user', 'deployer'], env)).stdout).toMatch(
      new RegExp(`${id}\\s+Inactive`),
    );

    // A restored key: "enable it when ready", with its user.
    expect((await runCli(['keys', 'delete', id, '--user', 'deployer'], env)).code).toBe(0);
    const back = await runCli(['keys', 'recycle-bin', 'restore', id], env);
    expect(back.code, back.stderr).toBe(0);
    await runSuggestions(back.stdout, env, 1);
    expect((await runCli(['keys', 'list', '--user', 'deployer'], env)).stdout).toMatch(
      new RegExp(`${id}\\s+Active`),
    );

    // A deleted user: restore it, then enable each of its keys, as printed.
    expect((await runCli(['keys', 'disable', id, '--user', 'deployer'], env)).code).toBe(0);
    const userGone = await runCli(['users', 'delete', 'deployer'], env);
    expect(userGone.code, userGone.stderr).toBe(0);
    // Restoring the key alone is refused, pointing at its user.
    const keyAlone = await runCli(['keys', 'recycle-bin', 'restore', id], env);
    expect(keyAlone.code).toBe(1);
    await runSuggestions(keyAlone.stderr, env, 1);
    expect((await runCli(['users', 'delete', 'deployer'], env)).code).toBe(0);
    const userBack = await runCli(['users', 'recycle-bin', 'restore', 'deployer'], env);
    expect(userBack.code, userBack.stderr).toBe(0);
    await runSuggestions(userBack.stdout, env, 1);
    expect((await runCli(['keys', 'list', '--user', 'deployer'], env)).stdout).toMatch(
      new RegExp(`${id}\\s+Active`),
    );

    // Rotation with two keys: disable, then delete the other one, as printed.
    const second = await runCli(['keys', 'create', '--user', 'deployer', '--json'], env);
    const other = (JSON.parse(second.stdout) as { AccessKeyId: string }).AccessKeyId;
    const refused = await runCli(['keys', 'rotate', id, '--user', 'deployer'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`"ramkey keys disable ${other} --user deployer"`);
    await runSuggestions(refused.stderr, env, 2);
    expect((await runCli(['keys', 'list', '--user', 'deployer'], env)).stdout).not.toContain(other);
  });

  it('refuses conflicting flags with exit 2 and says which', async () => {
    const { env } = await account();
    for (const format of ['table', 'csv']) {
      const res = await runCli(['report', 'credentials', '--json', '--format', format], env);
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      expect(parseJsonError(res.stderr)).toEqual({
        Code: 'InvalidUsage',
        Message: `--json and --format ${format} contradict each other: give one.`,
      });
    }
    const contain = await runCli(
      ['keys', 'contain', env.RAMKEY_ACCESS_KEY_ID ?? '', '--status', '--allow-ip', '10.0.0.1'],
      env,
    );
    expect(contain.code).toBe(2);
    expect(contain.stderr).toContain('--status changes nothing');
    const both = await runCli(['network', 'get', '--key', env.RAMKEY_ACCESS_KEY_ID ?? '', '--account'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
  });

  it('validates the action and source address of policy simulate', async () => {
    const { env } = await account();
    const base = ['policy', 'simulate', '--user', 'admin'];
    const noService = await runCli([...base, '--action', 'CreateUser'], env);
    expect(noService.code).toBe(2);
    expect(noService.stderr).toContain(
      'Invalid --action "CreateUser": give the service and the action, e.g. ram:CreateUser.',
    );
    const badIp = await runCli([...base, '--action', 'ram:CreateUser', '--source-ip', 'abc'], env);
    expect(badIp.code).toBe(2);
    expect(badIp.stderr).toContain('Invalid --source-ip "abc"');
    const cidr = await runCli(
      [...base, '--action', 'ram:CreateUser', '--source-ip', '10.0.0.0/8', '--json'],
      env,
    );
    expect(cidr.code).toBe(2);
    expect(parseJsonError(cidr.stderr).Code).toBe('InvalidUsage');
    for (const ip of ['203.0.113.7', '2001:db8::1']) {
      const ok = await runCli([...base, '--action', 'ram:CreateUser', '--source-ip', ip], env);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/Decision:\s+allowed/);
    }
  });

  it('matches audit filters in any case, names an unknown service, and shows what each call acted on', async () => {
    const { env } = await account();
    await userWithKey(env, 'Target-1');
    await server.flush();
    const events = await runCli(
      ['audit', 'events', '--service', 'ram', '--user', 'ADMIN', '--action', 'createaccesskey', '--json'],
      env,
    );
    expect(events.code, events.stderr).toBe(0);
    const found = JSON.parse(events.stdout) as { eventName: string; serviceName: string }[];
    expect(found.map((e) => [e.eventName, e.serviceName])).toEqual([['CreateAccessKey', 'Ram']]);
    const table = await runCli(['audit', 'events', '--action', 'CREATEUSER'], env);
    expect(table.stdout).toMatch(/SOURCE IP\s+TARGET\s+RESULT/);
    expect(table.stdout).toMatch(
      /CreateUser\s+Ram\s+admin\s+LTAI\S+\s+127\.0\.0\.1\s+UserName=Target-1\s+OK/,
    );

    const unknown = await runCli(['audit', 'events', '--service', 'nosuch'], env);
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toBe('(none)\n');
    expect(unknown.stderr).toContain(
      'no service is named "nosuch"; known services: Ram, Ims, Sts, Actiontrail',
    );
    const quiet = await runCli(['audit', 'events', '--service', 'ACTIONTRAIL', '--since', '1s'], env);
    expect(quiet.stderr).toBe('');
  });

  it('aligns tables by display width with CJK and emoji display names', async () => {
    const { env } = await account();
    expect((await runCli(['users', 'create', 'cjk', '--display-name', '管理员'], env)).code).toBe(0);
    expect((await runCli(['users', 'create', 'emoji', '--display-name', 'Bot 👍'], env)).code).toBe(0);
    const listed = await runCli(['users', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    // The CREATED column starts at the same display column on every line.
    const created = lines.map((line, i) =>
      displayWidth(line.slice(0, i === 0 ? line.indexOf('CREATED') : line.search(/\d{4}-\d\d-\d\dT/))),
    );
    expect(lines).toHaveLength(4);
    expect(new Set(created).size).toBe(1);
  });

  it('prints every --json output in PascalCase, at every level', async () => {
    const { admin, env } = await account();
    const { id, asUser } = await userWithKey(env, 'pascal');
    expect((await runCli(['whoami'], asUser)).code).toBe(0);
    // An error is PascalCase too, down to AccessDeniedDetail.
    const denied = await runCli(['users', 'list', '--json'], asUser);
    expect(parseJsonError(denied.stderr).AccessDeniedDetail).toBeDefined();
    expect(nonPascalKeys(parseJsonError(denied.stderr))).toEqual([]);
    await server.flush();
    const policyFile = join(dir, `policy-${admin.accountId}.json`);
    writeFileSync(
      policyFile,
      JSON.stringify({
        Version: 1,
        Status: 'Audit',
        Statements: [{ Type: 'ClassicWhiteList', IPList: ['127.0.0.2'] }],
      }),
    );
    const serviceFile = join(dir, `service-${admin.accountId}.json`);
    writeFileSync(
      serviceFile,
      JSON.stringify({
        Version: '1',
        PathPrefixes: [`/p${admin.accountId}`],
        Actions: [{ Name: 'GetThing', Access: 'Read' }],
      }),
    );
    const commands: string[][] = [
      ['whoami'],
      ['users', 'list'],
      ['users', 'get', 'pascal'],
      ['users', 'login-profile', 'create', 'pascal', '--generate'],
      ['users', 'login-profile', 'update', 'pascal', '--password-reset-required'],
      ['users', 'login-profile', 'get', 'pascal'],
      ['users', 'login-profile', 'delete', 'pascal'],
      ['password-policy', 'get'],
      ['password-policy', 'set', '--require-numbers'],
      ['mfa', 'create', 'pascal-phone'],
      ['mfa', 'list'],
      ['mfa', 'delete', 'pascal-phone'],
      ['mfa', 'create', 'pascal-phone', '--qr-png', join(dir, `qr-${admin.accountId}.png`)],
      ['security-preference', 'get'],
      ['security-preference', 'set', '--login-session-duration', '8'],
      ['keys', 'list', '--user', 'pascal'],
      ['keys', 'last-used', id, '--user', 'pascal'],
      ['keys', 'ips', id],
      ['keys', 'owner', id],
      ['report', 'credentials'],
      ['report', 'idle-keys', '--days', '0'],
      ['policy', 'simulate', '--user', 'pascal', '--action', 'ram:ListUsers'],
      ['network', 'simulate', '--key', id, '--policy', policyFile],
      ['network', 'set', '--key', id, '--user', 'pascal', '--policy', policyFile],
      ['network', 'get', '--key', id, '--user', 'pascal'],
      ['network', 'get', '--account'],
      ['network', 'denials'],
      ['services', 'create', `svc${admin.accountId}`, '--document', serviceFile],
      ['services', 'list'],
      ['services', 'delete', `svc${admin.accountId}`],
      ['keys', 'restrict', id, '--user', 'pascal', '--reason', 'test'],
      ['keys', 'incident', id, '--since', '1h'],
      ['keys', 'contain', id, '--status', '--user', 'pascal'],
      ['alerts', 'list'],
      ['keys', 'disable', id, '--user', 'pascal'],
      ['keys', 'enable', id, '--user', 'pascal'],
      ['keys', 'delete', id, '--user', 'pascal', '--force'],
      ['keys', 'recycle-bin', 'list', '--user', 'pascal'],
      ['keys', 'recycle-bin', 'restore', id],
      ['users', 'delete', 'pascal'],
      ['users', 'recycle-bin', 'list'],
      ['users', 'recycle-bin', 'restore', 'pascal'],
      ['users', 'delete', 'pascal'],
      ['users', 'recycle-bin', 'purge', 'pascal', '--yes'],
    ];
    for (const args of commands) {
      const res = await runCli([...args, '--json'], env);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
      expect(nonPascalKeys(JSON.parse(res.stdout)), args.join(' ')).toEqual([]);
    }
    // Binding takes two consecutive codes of the device: computed from the seed create printed.
    expect((await runCli(['users', 'create', 'pascal-mfa'], env)).code).toBe(0);
    const device = await runCli(['mfa', 'create', 'pascal-app', '--json'], env);
    const seed = base32Decode(
      String((JSON.parse(device.stdout) as Record<string, unknown>).Base32StringSeed),
    );
    if (seed === undefined) throw new Error(`no seed: ${device.stderr}`);
    const step = totpStep(server.clock.now());
    const [code1, code2] = [totpCode(seed, step), totpCode(seed, step + 1)];
    for (const args of [
      ['mfa', 'bind', 'pascal-app', '--user', 'pascal-mfa', '--code1', code1, '--code2', code2],
      ['users', 'mfa', 'pascal-mfa'],
      ['mfa', 'unbind', '--user', 'pascal-mfa'],
    ]) {
      const res = await runCli([...args, '--json'], env);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
      expect(nonPascalKeys(JSON.parse(res.stdout)), args.join(' ')).toEqual([]);
    }
  });
});

describe('operator commands', () => {
  it('print their --json output in PascalCase, init and accounts create included', async () => {
    const data = mkdtempSync(join(tmpdir(), 'ramkey-cli-operator-'));
    try {
      const init = await runCli(['init', '--json', '--root-access-key', '--data', data]);
      expect(init.code, init.stderr).toBe(0);
      expect(Object.keys(JSON.parse(init.stdout) as object).sort()).toEqual(
        [
          'AccessKeyId',
          'AccessKeySecret',
          'AccountId',
          'LoginName',
          'Password',
          'RootAccessKeyId',
          'RootAccessKeySecret',
          'UserName',
        ].sort(),
      );
      const first = parseInitOutput(init.stdout);
      const again = await runCli(['init', '--data', data]);
      expect(again.code).toBe(1);
      // The suggestion in the refusal works as printed.
      await runSuggestions(again.stderr, {}, 1);
      const created = await runCli(['accounts', 'create', '--json', '--data', data]);
      const second = parseInitOutput(created.stdout);
      const commands: string[][] = [
        ['directory', 'create', '--management', first.accountId],
        ['directory', 'add-member', '--management', first.accountId, '--member', second.accountId],
        ['directory', 'list'],
        ['directory', 'remove-member', '--management', first.accountId, '--member', second.accountId],
        ['leak-reporters', 'add', 'scanner'],
        ['leak-reporters', 'list'],
        ['leak-reporters', 'remove', 'scanner'],
        ['global-services', 'list'],
      ];
      for (const args of commands) {
        const res = await runCli([...args, '--json', '--data', data]);
        expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
        expect(nonPascalKeys(JSON.parse(res.stdout)), args.join(' ')).toEqual([]);
      }
      const backupFile = join(data, 'backup.db');
      const backup = await runCli(['backup', '--to', backupFile, '--data', data, '--json']);
      expect(backup.code, backup.stderr).toBe(0);
      // Rows is keyed by table name (data, not a field name).
      expect(nonPascalKeys(JSON.parse(backup.stdout), '$', ['$.Rows'])).toEqual([]);
      const human = await runCli(['backup', '--to', join(data, 'backup-2.db'), '--data', data]);
      // The restore it suggests names this data directory, and works as printed (no server runs).
      expect(human.stdout).toContain(`  ramkey restore --from ${join(data, 'backup-2.db')} --data ${data}\n`);
      await runSuggestions(human.stdout, {}, 1);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('a clock that is off', () => {
  let server: RunningApp;
  beforeAll(async () => {
    // The server's clock 20 minutes ahead: this machine's requests look 20 minutes old.
    server = await startApp({ clock: new TestClock(20 * 60_000) });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('says to check the clock on InvalidTimeStamp.Expired, with the local time', async () => {
    const env: Env = {
      ...noProfile,
      RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: server.admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: server.admin.accessKeySecret,
    };
    const res = await runCli(['whoami'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^Error: InvalidTimeStamp\.Expired: /);
    expect(res.stderr).toContain(
      "Check this machine's clock (NTP): Ramkey accepts a request signed within 15 minutes",
    );
    expect(res.stderr).toMatch(/^ {2}Local time: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/m);
    const json = parseJsonError((await runCli(['whoami', '--json'], env)).stderr);
    expect(json).toMatchObject({ Code: 'InvalidTimeStamp.Expired', HttpStatus: 400 });
    expect(json.Hint).toContain("Check this machine's clock");
  });
});

describe('a reader that stops early', () => {
  it('ends the command quietly when the pipe closes (ramkey ... | head)', () => {
    // `true` exits at once, long before the command starts writing into the closed pipe.
    const res = spawnSync('bash', ['-c', `set -o pipefail; node ${JSON.stringify(CLI)} --help | true`], {
      encoding: 'utf8',
    });
    expect(res.stderr).not.toMatch(/EPIPE|Error/);
    expect(res.status).toBe(0);
  });
});
