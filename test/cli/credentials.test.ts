// Where the built `ramkey` finds its credentials, as a user of the aliyun CLI has them: flags, RAMKEY_*,
// ALIBABA_CLOUD_*, ~/.aliyun/config.json, ~/.alibabacloud/credentials and the legacy profile file, in
// that order (each test a temporary HOME, against a real server); `ramkey configure`; --version.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AccountCredentials, type RunningApp } from '../support/in-process-server.js';
import { CLI, runCli } from '../support/ramkey-server.js';

/** Every variable the resolution reads, cleared (empty counts as unset), so that none leaks in. */
const CLEARED = Object.fromEntries(
  [
    ...Object.keys(process.env).filter((k) => /^(RAMKEY_|ALIBABA_CLOUD_)/.test(k)),
    'RAMKEY_ACCESS_KEY_ID',
    'RAMKEY_ACCESS_KEY_SECRET',
    'RAMKEY_ENDPOINT',
    'RAMKEY_PROFILE',
    'RAMKEY_PROFILE_FILE',
    'ALIBABA_CLOUD_ACCESS_KEY_ID',
    'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    'ALIBABA_CLOUD_PROFILE',
    'ALIBABA_CLOUD_CREDENTIALS_FILE',
  ].map((k) => [k, '']),
);

const homes: string[] = [];

/** A fresh, empty home directory and the environment that makes it the CLI's HOME. */
function home() {
  const dir = mkdtempSync(join(tmpdir(), 'ramkey-home-'));
  homes.push(dir);
  const write = (path: string, content: string, mode = 0o600) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, path), content, { mode });
  };
  return { dir, env: { ...CLEARED, HOME: dir }, write };
}

function aliyunConfig(current: string, profiles: Record<string, unknown>[]): string {
  return JSON.stringify({ current, profiles, meta_path: '' }, null, '\t');
}

/** A profile of the aliyun CLI's format, as `aliyun configure` writes it. */
function akProfile(name: string, account: AccountCredentials, extra: Record<string, unknown> = {}) {
  return {
    name,
    mode: 'AK',
    access_key_id: account.accessKeyId,
    access_key_secret: account.accessKeySecret,
    region_id: 'cn-hangzhou',
    output_format: 'json',
    language: 'en',
    ...extra,
  };
}

function iniProfile(name: string, account: AccountCredentials): string {
  return `[${name}]\nenable = true\ntype = access_key\naccess_key_id = ${account.accessKeyId}\naccess_key_secret = ${account.accessKeySecret}\n`;
}

function arnOf(account: AccountCredentials): string {
  return `acs:ram::${account.accountId}:user/admin`;
}

/** Runs `ramkey whoami --json`: the identity the credentials belong to, and what stderr said. */
async function whoami(env: Record<string, string>, args: string[] = []) {
  const res = await runCli([...args, 'whoami', '--json'], env);
  const arn = res.code === 0 ? (JSON.parse(res.stdout) as { Arn: string }).Arn : undefined;
  return { ...res, arn };
}

afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('credential resolution', { timeout: 120_000 }, () => {
  let server: RunningApp;
  /** Two accounts: which one whoami names tells which source won. */
  let a: AccountCredentials;
  let b: AccountCredentials;

  beforeAll(async () => {
    server = await startApp();
    a = await server.createAccount();
    b = await server.createAccount();
  });
  afterAll(async () => {
    await server.stop();
  });

  const endpointEnv = () => ({ RAMKEY_ENDPOINT: server.endpoint });

  it('reads each source alone, and whoami names it on stderr (stdout stays JSON)', async () => {
    const sources: [string, Record<string, string>, (h: ReturnType<typeof home>) => void][] = [
      [
        'RAMKEY_ACCESS_KEY_ID and RAMKEY_ACCESS_KEY_SECRET',
        { RAMKEY_ACCESS_KEY_ID: a.accessKeyId, RAMKEY_ACCESS_KEY_SECRET: a.accessKeySecret },
        () => undefined,
      ],
      [
        'ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET',
        { ALIBABA_CLOUD_ACCESS_KEY_ID: a.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: a.accessKeySecret },
        () => undefined,
      ],
      [
        'profile default in ~/.aliyun/config.json',
        {},
        (h) => {
          h.write('.aliyun/config.json', aliyunConfig('default', [akProfile('default', a)]));
        },
      ],
      [
        'profile default in ~/.alibabacloud/credentials',
        {},
        (h) => {
          h.write('.alibabacloud/credentials', iniProfile('default', a));
        },
      ],
      [
        'profile default in ~/.ramkey/profiles.json',
        {},
        (h) => {
          h.write(
            '.ramkey/profiles.json',
            JSON.stringify({
              profiles: { default: { accessKeyId: a.accessKeyId, accessKeySecret: a.accessKeySecret } },
            }),
          );
        },
      ],
    ];
    for (const [source, vars, setup] of sources) {
      const h = home();
      setup(h);
      const res = await whoami({ ...h.env, ...endpointEnv(), ...vars });
      expect(res.arn, `${source}: ${res.stderr}`).toBe(arnOf(a));
      expect(res.stderr).toContain(
        `Credentials: AccessKey ${a.accessKeyId.slice(0, 4)}****${a.accessKeyId.slice(-4)} from ${source}; ` +
          `endpoint http://${server.endpoint} from RAMKEY_ENDPOINT`,
      );
      expect(res.stderr).not.toContain(a.accessKeySecret);
    }
  });

  it('flags come first: --access-key-id/--access-key-secret beat RAMKEY_*, with a warning', async () => {
    const h = home();
    const res = await whoami(
      {
        ...h.env,
        ...endpointEnv(),
        RAMKEY_ACCESS_KEY_ID: b.accessKeyId,
        RAMKEY_ACCESS_KEY_SECRET: b.accessKeySecret,
      },
      ['--access-key-id', a.accessKeyId, '--access-key-secret', a.accessKeySecret],
    );
    expect(res.arn, res.stderr).toBe(arnOf(a));
    expect(res.stderr).toContain('warning: a secret on the command line is kept in the shell history');
  });

  it('--profile beats RAMKEY_ACCESS_KEY_*; RAMKEY_ACCESS_KEY_* beat RAMKEY_PROFILE', async () => {
    const h = home();
    h.write(
      '.aliyun/config.json',
      aliyunConfig('default', [akProfile('default', b), akProfile('pa', a), akProfile('pb', b)]),
    );
    const envKeysB = {
      ...h.env,
      ...endpointEnv(),
      RAMKEY_ACCESS_KEY_ID: b.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: b.accessKeySecret,
    };
    expect((await whoami(envKeysB, ['--profile', 'pa'])).arn).toBe(arnOf(a));
    const envKeysA = {
      ...h.env,
      ...endpointEnv(),
      RAMKEY_ACCESS_KEY_ID: a.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: a.accessKeySecret,
    };
    expect((await whoami({ ...envKeysA, RAMKEY_PROFILE: 'pb' })).arn).toBe(arnOf(a));
  });

  it('RAMKEY_PROFILE beats ALIBABA_CLOUD_ACCESS_KEY_*, which beat ALIBABA_CLOUD_PROFILE and the default profile', async () => {
    const h = home();
    h.write(
      '.aliyun/config.json',
      aliyunConfig('default', [akProfile('default', b), akProfile('pa', a), akProfile('pb', b)]),
    );
    const alibabaB = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: b.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: b.accessKeySecret,
    };
    expect((await whoami({ ...h.env, ...endpointEnv(), ...alibabaB, RAMKEY_PROFILE: 'pa' })).arn).toBe(
      arnOf(a),
    );
    const alibabaA = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: a.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: a.accessKeySecret,
    };
    expect((await whoami({ ...h.env, ...endpointEnv(), ...alibabaA, ALIBABA_CLOUD_PROFILE: 'pb' })).arn).toBe(
      arnOf(a),
    );
    expect((await whoami({ ...h.env, ...endpointEnv(), ...alibabaA })).arn).toBe(arnOf(a));
  });

  it("ALIBABA_CLOUD_PROFILE picks a profile; the default is config.json's current one", async () => {
    const h = home();
    h.write(
      '.aliyun/config.json',
      aliyunConfig('pa', [akProfile('default', b), akProfile('pa', a), akProfile('pb', b)]),
    );
    expect((await whoami({ ...h.env, ...endpointEnv() })).arn).toBe(arnOf(a));
    const h2 = home();
    h2.write('.alibabacloud/credentials', iniProfile('default', b) + iniProfile('pa', a));
    expect((await whoami({ ...h2.env, ...endpointEnv(), ALIBABA_CLOUD_PROFILE: 'pa' })).arn).toBe(arnOf(a));
  });

  it('a profile is read from config.json before the credentials file, and that before the legacy file', async () => {
    const h = home();
    h.write('.aliyun/config.json', aliyunConfig('default', [akProfile('default', a)]));
    h.write('.alibabacloud/credentials', iniProfile('default', b));
    expect((await whoami({ ...h.env, ...endpointEnv() })).arn).toBe(arnOf(a));
    const h2 = home();
    h2.write('.alibabacloud/credentials', iniProfile('default', a));
    h2.write(
      '.ramkey/profiles.json',
      JSON.stringify({
        profiles: { default: { accessKeyId: b.accessKeyId, accessKeySecret: b.accessKeySecret } },
      }),
    );
    expect((await whoami({ ...h2.env, ...endpointEnv() })).arn).toBe(arnOf(a));
  });

  it("the endpoint: --endpoint, then RAMKEY_ENDPOINT, then the profile's, host:port accepted", async () => {
    const h = home();
    const unreachable = '127.0.0.1:1';
    h.write(
      '.aliyun/config.json',
      aliyunConfig('default', [akProfile('default', a, { ramkey_endpoint: server.endpoint })]),
    );
    const fromProfile = await whoami(h.env);
    expect(fromProfile.arn, fromProfile.stderr).toBe(arnOf(a));
    expect(fromProfile.stderr).toContain(
      `endpoint http://${server.endpoint} from profile default in ~/.aliyun/config.json`,
    );

    h.write(
      '.aliyun/config.json',
      aliyunConfig('default', [akProfile('default', a, { ramkey_endpoint: unreachable })]),
    );
    expect((await whoami({ ...h.env, RAMKEY_ENDPOINT: server.endpoint })).arn).toBe(arnOf(a));
    const flag = await whoami({ ...h.env, RAMKEY_ENDPOINT: unreachable }, ['--endpoint', server.endpoint]);
    expect(flag.arn, flag.stderr).toBe(arnOf(a));
    expect(flag.stderr).toContain(`endpoint http://${server.endpoint} from --endpoint`);
    const down = await whoami(h.env);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('Cannot reach Ramkey at http://127.0.0.1:1');
  });

  it('refuses a bad endpoint with its source, exit code 2', async () => {
    const h = home();
    const vars = {
      ...h.env,
      RAMKEY_ACCESS_KEY_ID: a.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: a.accessKeySecret,
    };
    const path = await runCli(['whoami', '--endpoint', `http://${server.endpoint}/ramkey`], vars);
    expect(path.code).toBe(2);
    expect(path.stderr).toContain(
      `Invalid endpoint "http://${server.endpoint}/ramkey" (from --endpoint): no path`,
    );
    const scheme = await runCli(['whoami'], { ...vars, RAMKEY_ENDPOINT: 'ftp://127.0.0.1' });
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain('(from RAMKEY_ENDPOINT): only http:// and https://');
  });

  it('says exactly what is wrong with a profile, exit code 2', async () => {
    const h = home();
    h.write(
      '.aliyun/config.json',
      aliyunConfig('default', [
        akProfile('default', a),
        akProfile('x', a, { access_key_secret: '' }),
        {
          name: 'role',
          mode: 'RamRoleArn',
          access_key_id: a.accessKeyId,
          access_key_secret: 's',
          ram_role_arn: 'acs:ram::1:role/r',
        },
      ]),
    );
    const cases: [string[], Record<string, string>, string][] = [
      [
        ['--profile', 'nosuch'],
        {},
        'profile nosuch (from --profile) not found in ~/.aliyun/config.json (profiles there: default, x, role).',
      ],
      [
        [],
        { RAMKEY_PROFILE: 'nosuch' },
        'profile nosuch (from RAMKEY_PROFILE) not found in ~/.aliyun/config.json',
      ],
      [['--profile', 'x'], {}, 'profile x in ~/.aliyun/config.json has no access_key_secret.'],
      [
        ['--profile', 'role'],
        {},
        'profile role in ~/.aliyun/config.json has mode RamRoleArn; ramkey supports only mode AK',
      ],
      [
        ['--profile', 'default', '--access-key-id', a.accessKeyId],
        {},
        '--profile and --access-key-id/--access-key-secret exclude each other.',
      ],
      [
        [],
        { RAMKEY_ACCESS_KEY_ID: a.accessKeyId },
        'RAMKEY_ACCESS_KEY_ID is set but RAMKEY_ACCESS_KEY_SECRET is not',
      ],
    ];
    for (const [args, vars, message] of cases) {
      const res = await runCli([...args, 'whoami'], { ...h.env, ...endpointEnv(), ...vars });
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain(message);
      expect(res.stderr).not.toContain(a.accessKeySecret);
    }

    const ini = home();
    ini.write('.alibabacloud/credentials', '[default]\ntype = ecs_ram_role\nrole_name = r\n');
    const roleType = await runCli(['whoami'], { ...ini.env, ...endpointEnv() });
    expect(roleType.code).toBe(2);
    expect(roleType.stderr).toContain(
      'profile default in ~/.alibabacloud/credentials has type ecs_ram_role; ramkey supports only type access_key',
    );

    const broken = home();
    broken.write('.aliyun/config.json', '{"current": "default", "profiles": [');
    const parse = await runCli(['whoami'], { ...broken.env, ...endpointEnv() });
    expect(parse.code).toBe(2);
    expect(parse.stderr).toContain('cannot parse ~/.aliyun/config.json: ');
  });

  it('warns when a profile file is readable by other users, and still works', async () => {
    const h = home();
    h.write('.aliyun/config.json', aliyunConfig('default', [akProfile('default', a)]), 0o644);
    const res = await whoami({ ...h.env, ...endpointEnv() });
    expect(res.arn).toBe(arnOf(a));
    expect(res.stderr).toContain(
      'warning: ~/.aliyun/config.json holds secrets and is readable by other users; run: chmod 600 ~/.aliyun/config.json',
    );
  });

  it('without credentials anywhere lists the sources in order and suggests ramkey configure', async () => {
    const h = home();
    const res = await runCli(['whoami'], { ...h.env, ...endpointEnv() });
    expect(res.code).toBe(2);
    const order = [
      '--access-key-id and --access-key-secret, or --profile NAME',
      'RAMKEY_ACCESS_KEY_ID and RAMKEY_ACCESS_KEY_SECRET, or RAMKEY_PROFILE',
      'ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or ALIBABA_CLOUD_PROFILE',
      'profile default in ~/.aliyun/config.json (no such file)',
      'profile default in ~/.alibabacloud/credentials (no such file)',
      'profile default in ~/.ramkey/profiles.json (no such file)',
      'Create a profile with: ramkey configure',
    ];
    const positions = order.map((line) => res.stderr.indexOf(line));
    expect(
      positions.every((p) => p !== -1),
      res.stderr,
    ).toBe(true);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
  });
});

describe.concurrent('ramkey configure', { timeout: 120_000 }, () => {
  let server: RunningApp;
  let a: AccountCredentials;

  beforeAll(async () => {
    server = await startApp();
    a = await server.createAccount();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('writes a 0600 profile in the aliyun format, keeping the other profiles and fields, and whoami uses it', async () => {
    const h = home();
    const prod = {
      ...akProfile('prod', a, {
        access_key_id: 'LTAIprodprodprodprod1234',
        access_key_secret: 'prod-secret',
      }),
      sts_token: '',
      retry_count: 0,
    };
    h.write('.aliyun/config.json', aliyunConfig('prod', [prod]));
    const res = await runCli(
      [
        'configure',
        '--profile',
        'ramkey',
        '--access-key-id',
        a.accessKeyId,
        '--access-key-secret-stdin',
        '--endpoint',
        server.endpoint,
      ],
      h.env,
      `${a.accessKeySecret}\n`,
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(
      `Saved profile ramkey in ~/.aliyun/config.json (AccessKey ${a.accessKeyId.slice(0, 4)}****`,
    );
    expect(res.stdout).not.toContain(a.accessKeySecret);

    const file = join(h.dir, '.aliyun', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(file, 'utf8')) as {
      current: string;
      meta_path: string;
      profiles: Record<string, unknown>[];
    };
    expect(written.current).toBe('prod');
    expect(written.meta_path).toBe('');
    expect(written.profiles).toEqual([
      prod,
      {
        name: 'ramkey',
        mode: 'AK',
        access_key_id: a.accessKeyId,
        access_key_secret: a.accessKeySecret,
        ramkey_endpoint: `http://${server.endpoint}`,
      },
    ]);
    expect(readdirNames(join(h.dir, '.aliyun'))).toEqual(['config.json']);

    const me = await whoami(h.env, ['--profile', 'ramkey']);
    expect(me.arn, me.stderr).toBe(arnOf(a));
  });

  it('creates ~/.aliyun (0700) and config.json on a first run; updating the endpoint keeps the key', async () => {
    const h = home();
    const first = await runCli(
      ['configure', '--access-key-id', a.accessKeyId, '--access-key-secret-stdin'],
      h.env,
      a.accessKeySecret,
    );
    expect(first.code, first.stderr).toBe(0);
    expect(statSync(join(h.dir, '.aliyun')).mode & 0o777).toBe(0o700);
    const update = await runCli(['configure', '--endpoint', server.endpoint, '--json'], h.env);
    expect(update.code, update.stderr).toBe(0);
    expect(JSON.parse(update.stdout)).toEqual({
      Name: 'default',
      Mode: 'AK',
      AccessKeyId: `${a.accessKeyId.slice(0, 4)}****${a.accessKeyId.slice(-4)}`,
      Endpoint: `http://${server.endpoint}`,
      File: '~/.aliyun/config.json',
      Current: true,
    });
    expect((await whoami(h.env)).arn).toBe(arnOf(a));
  });

  it('refuses to replace a profile it did not write unless --overwrite', async () => {
    const h = home();
    const theirs = aliyunConfig('default', [
      akProfile('default', a, {
        access_key_id: 'LTAIaliyunaliyunaliyun99',
        access_key_secret: 'real-cloud-secret',
      }),
    ]);
    h.write('.aliyun/config.json', theirs);
    const args = [
      'configure',
      '--access-key-id',
      a.accessKeyId,
      '--access-key-secret-stdin',
      '--endpoint',
      server.endpoint,
    ];
    const refused = await runCli(args, h.env, a.accessKeySecret);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'profile default in ~/.aliyun/config.json holds AccessKey LTAI****un99 that ramkey did not write',
    );
    expect(readFileSync(join(h.dir, '.aliyun', 'config.json'), 'utf8')).toBe(theirs);
    const replaced = await runCli([...args, '--overwrite'], h.env, a.accessKeySecret);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect((await whoami(h.env)).arn).toBe(arnOf(a));
  });

  it('without a terminal and without the values, is a usage error naming the flags', async () => {
    const h = home();
    const res = await runCli(['configure', '--profile', 'dev'], h.env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      'ramkey configure: no terminal to ask on, and profile dev has no value for it: give --access-key-id ID and --access-key-secret-stdin',
    );
    expect(existsSync(join(h.dir, '.aliyun'))).toBe(false);
    const broken = home();
    broken.write('.aliyun/config.json', 'not json');
    const parse = await runCli(
      ['configure', '--access-key-id', a.accessKeyId, '--access-key-secret-stdin'],
      broken.env,
      'x',
    );
    expect(parse.code).toBe(2);
    expect(parse.stderr).toContain('cannot parse ~/.aliyun/config.json');
    expect(readFileSync(join(broken.dir, '.aliyun', 'config.json'), 'utf8')).toBe('not json');
  });

  // Skipped only where util-linux script(1), which provides the terminal, is missing.
  it.skipIf(!existsSync('/usr/bin/script'))('asks on a terminal, the secret without echo', async () => {
    const h = home();
    const secret = 'TerminalTypedSecret42';
    const transcript = await onTerminal(['configure', '--profile', 'dev'], h.env, [
      ['AccessKey ID [none]: ', 'LTAI1111111111111111wxyz'],
      ['AccessKey secret (not shown) [none]: ', secret],
      ['Ramkey endpoint [http://127.0.0.1:8080]: ', '[::1]:8080'],
    ]);
    expect(transcript.code).toBe(0);
    expect(transcript.output).toContain(
      'Saved profile dev in ~/.aliyun/config.json (AccessKey LTAI****wxyz, endpoint http://[::1]:8080).',
    );
    // Security property: the secret typed at the prompt is never echoed to the terminal.
    expect(transcript.output).not.toContain(secret);
    const written = JSON.parse(readFileSync(join(h.dir, '.aliyun', 'config.json'), 'utf8')) as {
      profiles: Record<string, unknown>[];
    };
    expect(written.profiles[0]).toMatchObject({
      name: 'dev',
      access_key_secret: secret,
      ramkey_endpoint: 'http://[::1]:8080',
    });

    // Asked again, Enter keeps each value; the current ones are shown masked.
    const again = await onTerminal(['configure', '--profile', 'dev'], h.env, [
      ['AccessKey ID [LTAI****wxyz]: ', ''],
      ['AccessKey secret (not shown) [********]: ', ''],
      ['Ramkey endpoint [http://[::1]:8080]: ', ''],
    ]);
    expect(again.code).toBe(0);
    expect(again.output).not.toContain(secret);
    expect(JSON.parse(readFileSync(join(h.dir, '.aliyun', 'config.json'), 'utf8'))).toEqual(written);
  });

  it('configure list shows every profile file, AccessKey IDs masked, never a secret', async () => {
    const h = home();
    h.write(
      '.aliyun/config.json',
      aliyunConfig('default', [
        akProfile('default', a, { ramkey_endpoint: 'http://127.0.0.1:8080' }),
        { name: 'role', mode: 'RamRoleArn' },
      ]),
    );
    h.write('.alibabacloud/credentials', iniProfile('ci', a));
    const res = await runCli(['configure', 'list', '--json'], h.env);
    expect(res.code, res.stderr).toBe(0);
    const masked = `${a.accessKeyId.slice(0, 4)}****${a.accessKeyId.slice(-4)}`;
    expect(JSON.parse(res.stdout)).toEqual([
      {
        Name: 'default',
        Mode: 'AK',
        AccessKeyId: masked,
        Endpoint: 'http://127.0.0.1:8080',
        File: '~/.aliyun/config.json',
        Current: true,
      },
      {
        Name: 'role',
        Mode: 'RamRoleArn',
        AccessKeyId: '',
        Endpoint: '',
        File: '~/.aliyun/config.json',
        Current: false,
      },
      {
        Name: 'ci',
        Mode: 'access_key',
        AccessKeyId: masked,
        Endpoint: '',
        File: '~/.alibabacloud/credentials',
        Current: false,
      },
    ]);
    const table = await runCli(['configure', 'list'], h.env);
    expect(table.stdout).toMatch(/^PROFILE\s+CURRENT\s+MODE\s+ACCESS KEY ID\s+ENDPOINT\s+FILE$/m);
    expect(table.stdout).toMatch(
      /^default\s+\*\s+AK\s+LTAI\*\*\*\*\w{4}\s+http:\/\/127\.0\.0\.1:8080\s+~\/\.aliyun\/config\.json$/m,
    );
    for (const out of [res.stdout, table.stdout]) {
      expect(out).not.toContain(a.accessKeySecret);
      expect(out).not.toContain(a.accessKeyId);
    }
  });
});

describe('ramkey --version', () => {
  it('prints the version of the package', async () => {
    const { version } = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
    ) as { version: string };
    for (const flag of ['--version', '-V']) {
      const res = await runCli([flag]);
      expect(res.code).toBe(0);
      expect(res.stdout).toBe(`${version}\n`);
    }
  });
});

function readdirNames(dir: string): string[] {
  return readdirSync(dir).sort();
}

/**
 * Runs the built CLI on a pseudo-terminal (util-linux script(1)) and answers each prompt once it
 * has appeared: what the terminal showed, and the exit code.
 */
function onTerminal(
  args: string[],
  env: Record<string, string>,
  answers: [prompt: string, answer: string][],
): Promise<{ output: string; code: number | null }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let from = 0;
  const pending = [...answers];
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    const next = pending[0];
    if (!next) return;
    const at = output.indexOf(next[0], from);
    if (at === -1) return;
    from = at + next[0].length;
    pending.shift();
    child.stdin.write(`${next[1]}\r`);
  });
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      resolve({ output, code });
    });
  });
}
