// The policy, group and users update commands as users run them: the built `ramkey` against a real
// server, each test in an account of its own; least privilege set up with the CLI alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { runCli } from '../support/ramkey-server.js';

const home = mkdtempSync(join(tmpdir(), 'ramkey-policy-cli-'));

/** No ambient credentials leak into these runs: an empty HOME, no profile file, no variables. */
const noProfile = {
  HOME: home,
  RAMKEY_PROFILE_FILE: join(home, 'no-profiles.json'),
  RAMKEY_ACCESS_KEY_ID: '',
  RAMKEY_ACCESS_KEY_SECRET: '',
  ALIBABA_CLOUD_ACCESS_KEY_ID: '',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: '',
};

function writeDocument(name: string, statements: object[]): string {
  const file = join(home, name);
  writeFileSync(file, JSON.stringify({ Version: '1', Statement: statements }));
  return file;
}

const allow = (action: string) => ({ Effect: 'Allow', Action: action, Resource: '*' });

/** The `ramkey ...` lines of a suggestion, as the words to run them with. */
function suggestedCommands(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('ramkey '))
    .map((l) => l.split(' ').slice(1));
}

type Row = Record<string, unknown>;

describe.concurrent('policy and group commands against a running server', { timeout: 120_000 }, () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp();
  });
  afterAll(async () => {
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  });

  async function account() {
    const admin = await server.createAccount();
    const env = {
      ...noProfile,
      RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: admin.accessKeySecret,
    };
    /** Runs the CLI as this account's admin, expecting success; returns stdout. */
    const ok = async (args: string[], input?: string) => {
      const res = await runCli(args, env, input);
      expect(res.code, `ramkey ${args.join(' ')}: ${res.stderr}`).toBe(0);
      return res.stdout;
    };
    return { admin, env, ok };
  }

  // The README's least-privilege walkthrough, step by step, with the CLI alone.
  it('grants an application two read actions with a custom policy, narrows it to a subnet, and takes it back', async () => {
    const { env, ok } = await account();
    await ok(['users', 'create', 'billing-app']);
    const document = writeDocument('billing-app.json', [
      { Effect: 'Allow', Action: ['ram:GetUser', 'ram:ListUsers'], Resource: '*' },
    ]);
    const created = JSON.parse(
      await ok([
        'policy',
        'create',
        'BillingApp',
        '--document',
        document,
        '--description',
        'what billing-app needs',
        '--json',
      ]),
    ) as Row;
    expect(created).toMatchObject({ PolicyName: 'BillingApp', PolicyType: 'Custom', DefaultVersion: 'v1' });

    // No --type: the Custom policy of that name is found.
    expect(await ok(['policy', 'attach', 'BillingApp', '--user', 'billing-app'])).toBe(
      'Attached Custom policy BillingApp to user billing-app.\n',
    );
    const ofUser = JSON.parse(await ok(['policy', 'list', '--user', 'billing-app', '--json'])) as Row[];
    expect(ofUser.map((p) => [p.PolicyName, p.PolicyType])).toEqual([['BillingApp', 'Custom']]);
    const decision = async (...args: string[]) =>
      (JSON.parse(await ok(['policy', 'simulate', '--user', 'billing-app', ...args, '--json'])) as Row)
        .EvalDecision;
    expect(await decision('--action', 'ram:CreateUser')).toBe('implicitDeny');
    expect(await decision('--action', 'ram:ListUsers')).toBe('allowed');

    const key = JSON.parse(await ok(['keys', 'create', '--user', 'billing-app', '--json'])) as Row;
    const asApp = {
      ...env,
      RAMKEY_ACCESS_KEY_ID: String(key.AccessKeyId),
      RAMKEY_ACCESS_KEY_SECRET: String(key.AccessKeySecret),
    };
    const listed = await runCli(['users', 'list'], asApp);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('billing-app');
    const refused = await runCli(['users', 'create', 'sneaky'], asApp);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('NoPermission');

    // Narrowed to the application's subnet by a new default version; this test calls from 127.0.0.1.
    const narrowed = writeDocument('billing-app-v2.json', [
      { Effect: 'Allow', Action: ['ram:GetUser', 'ram:ListUsers'], Resource: '*' },
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { NotIpAddress: { 'acs:SourceIp': ['10.1.2.0/24'] } },
      },
    ]);
    expect(
      await ok(['policy', 'create-version', 'BillingApp', '--document', narrowed, '--set-default']),
    ).toBe('Created version v2 of BillingApp, now the default.\n');
    expect(await decision('--action', 'ram:ListUsers', '--source-ip', '10.1.2.7')).toBe('allowed');
    expect(await decision('--action', 'ram:ListUsers')).toBe('explicitDeny');
    const outside = await runCli(['users', 'list'], asApp);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('NoPermission');
    // Back to v1, then no policy at all.
    await ok(['policy', 'set-default', 'BillingApp', 'v1']);
    expect((await runCli(['users', 'list'], asApp)).code).toBe(0);
    expect(await ok(['policy', 'detach', 'BillingApp', '--user', 'billing-app'])).toBe(
      'Detached Custom policy BillingApp from user billing-app.\n',
    );
    const after = await runCli(['users', 'list'], asApp);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('NoPermission');
  });

  it('versions a policy, and names what blocks its deletion as commands that work as printed', async () => {
    const { env, ok } = await account();
    const v1 = JSON.stringify({ Version: '1', Statement: [allow('ram:GetUser')] });
    // The document from standard input.
    await ok(['policy', 'create', 'ops', '--document', '-', '--description', 'operators'], v1);
    const v2 = [allow('ram:GetUser'), allow('ram:ListUsers')];
    const v2File = writeDocument('ops-v2.json', v2);
    const made = await ok(['policy', 'create-version', 'ops', '--document', v2File]);
    expect(made).toBe(
      'Created version v2 of ops; make it the default with "ramkey policy set-default ops v2".\n',
    );
    for (const words of suggestedCommands(made.replaceAll('"', '\n'))) await ok(words);

    const versions = JSON.parse(await ok(['policy', 'versions', 'ops', '--json'])) as Row[];
    expect(versions.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual(
      expect.arrayContaining([
        ['v1', false],
        ['v2', true],
      ]),
    );
    const policy = JSON.parse(await ok(['policy', 'get', 'ops', '--json'])) as Row;
    expect(policy).toMatchObject({
      PolicyName: 'ops',
      PolicyType: 'Custom',
      DefaultVersion: 'v2',
      AttachmentCount: 0,
    });
    expect(JSON.parse(String(policy.PolicyDocument))).toEqual({ Version: '1', Statement: v2 });
    const first = JSON.parse(await ok(['policy', 'get', 'ops', '--version-id', 'v1', '--json'])) as Row;
    expect(first).toMatchObject({ VersionId: 'v1', IsDefaultVersion: false, PolicyDocument: v1 });
    expect(await ok(['policy', 'get', 'ops'])).toMatch(
      /Default version:\s+v2[\s\S]*Policy document:\n\{\n {2}"Version": "1"/,
    );

    await ok(['users', 'create', 'op-1']);
    await ok(['groups', 'create', 'operators']);
    await ok(['policy', 'attach', 'ops', '--user', 'op-1']);
    await ok(['policy', 'attach', 'ops', '--group', 'operators', '--type', 'custom']);

    const blocked = await runCli(['policy', 'delete', 'ops'], env);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('DeleteConflict.Policy');
    const steps = suggestedCommands(blocked.stderr);
    expect(steps).toEqual([
      ['policy', 'detach', 'ops', '--user', 'op-1', '--type', 'Custom'],
      ['policy', 'detach', 'ops', '--group', 'operators', '--type', 'Custom'],
      ['policy', 'delete-version', 'ops', 'v1'],
    ]);
    for (const words of steps) await ok(words);
    expect(await ok(['policy', 'delete', 'ops'])).toBe('Deleted policy ops.\n');
    const gone = await runCli(['policy', 'get', 'ops'], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('EntityNotExist.Policy');
  });

  it('keeps at most 5 versions, deleting the oldest non-default one only with --rotate', async () => {
    const { env, ok } = await account();
    const document = writeDocument('rotate.json', [allow('ram:GetUser')]);
    await ok(['policy', 'create', 'rotating', '--document', document]);
    for (let i = 2; i <= 5; i++) await ok(['policy', 'create-version', 'rotating', '--document', document]);
    const full = await runCli(['policy', 'create-version', 'rotating', '--document', document], env);
    expect(full.code).toBe(1);
    expect(full.stderr).toContain('LimitExceeded.Policy.Version');
    const rotated = JSON.parse(
      await ok(['policy', 'create-version', 'rotating', '--document', document, '--rotate', '--json']),
    ) as Row;
    expect(rotated).toMatchObject({ VersionId: 'v6', IsDefaultVersion: false });
    const versions = JSON.parse(await ok(['policy', 'versions', 'rotating', '--json'])) as Row[];
    // v1 is the default: the oldest non-default one, v2, made room.
    expect(versions.map((v) => v.VersionId).sort()).toEqual(['v1', 'v3', 'v4', 'v5', 'v6']);
  });

  it('refuses bad documents, missing files and conflicting flags with the right exit codes', async () => {
    const { env, ok } = await account();
    const bad = join(home, 'bad.json');
    writeFileSync(bad, '{"Version":"1","Statement":[');
    const malformed = await runCli(['policy', 'create', 'broken', '--document', bad], env);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('MalformedPolicyDocument');

    const missing = await runCli(['policy', 'create', 'nofile', '--document', join(home, 'nope.json')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`Cannot read the policy document ${join(home, 'nope.json')}`);

    const both = await runCli(['policy', 'attach', 'ReadOnlyAccess', '--user', 'a', '--group', 'b'], env);
    expect(both.code).toBe(2);
    const neither = await runCli(['policy', 'attach', 'ReadOnlyAccess'], env);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('--user <name> or --group <name>');
    const badType = await runCli(['policy', 'get', 'ReadOnlyAccess', '--type', 'builtin'], env);
    expect(badType.code).toBe(2);
    const noChange = await runCli(['users', 'update', 'admin'], env);
    expect(noChange.code).toBe(2);

    // A System policy is found without --type.
    await ok(['users', 'create', 'viewer']);
    expect(await ok(['policy', 'attach', 'ReadOnlyAccess', '--user', 'viewer'])).toBe(
      'Attached System policy ReadOnlyAccess to user viewer.\n',
    );
    const system = JSON.parse(await ok(['policy', 'list', '--type', 'SYSTEM', '--json'])) as Row[];
    expect(system.length).toBeGreaterThan(0);
    expect(new Set(system.map((p) => p.PolicyType))).toEqual(new Set(['System']));
    const table = await ok(['policy', 'list', '--user', 'viewer']);
    expect(table).toMatch(
      /^POLICY NAME\s+TYPE\s+DEFAULT VERSION\s+ATTACHED\s+DESCRIPTION\nReadOnlyAccess\s+System\s+v1/,
    );
  });

  it('manages groups and their members, and names what blocks a group deletion', async () => {
    const { env, ok } = await account();
    const group = JSON.parse(
      await ok(['groups', 'create', 'devs', '--comments', 'developers', '--json']),
    ) as Row;
    expect(group).toMatchObject({ GroupName: 'devs', Comments: 'developers' });
    await ok(['users', 'create', 'dev-1']);
    expect(await ok(['groups', 'add-user', 'devs', 'dev-1'])).toBe('Added user dev-1 to group devs.\n');
    await ok(['policy', 'attach', 'ReadOnlyAccess', '--group', 'devs']);

    expect(await ok(['groups', 'list'])).toMatch(
      /^GROUP NAME\s+GROUP ID\s+COMMENTS\s+CREATED\ndevs\s+\S+\s+developers/,
    );
    const got = JSON.parse(await ok(['groups', 'get', 'devs', '--json'])) as {
      Group: Row;
      Users: Row[];
      Policies: Row[];
    };
    expect(got.Group).toMatchObject({ GroupName: 'devs', GroupId: group.GroupId });
    expect(got.Users.map((u) => u.UserName)).toEqual(['dev-1']);
    expect(got.Policies.map((p) => [p.PolicyName, p.PolicyType])).toEqual([['ReadOnlyAccess', 'System']]);
    const members = JSON.parse(await ok(['groups', 'users', 'devs', '--json'])) as Row[];
    expect(members.map((u) => u.UserName)).toEqual(['dev-1']);
    const ofUser = JSON.parse(await ok(['users', 'groups', 'dev-1', '--json'])) as Row[];
    expect(ofUser.map((g) => g.GroupName)).toEqual(['devs']);

    const renamed = JSON.parse(
      await ok([
        'groups',
        'update',
        'devs',
        '--new-name',
        'developers',
        '--comments',
        'all developers',
        '--json',
      ]),
    ) as Row;
    expect(renamed).toMatchObject({ GroupName: 'developers', Comments: 'all developers' });

    const blocked = await runCli(['groups', 'delete', 'developers'], env);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('DeleteConflict.Group');
    const steps = suggestedCommands(blocked.stderr);
    expect(steps).toEqual([
      ['groups', 'remove-user', 'developers', 'dev-1'],
      ['policy', 'detach', 'ReadOnlyAccess', '--group', 'developers', '--type', 'System'],
    ]);
    for (const words of steps) await ok(words);
    expect(JSON.parse(await ok(['groups', 'delete', 'developers', '--json']))).toEqual({
      GroupName: 'developers',
    });
    expect(await ok(['groups', 'list'])).toBe('(none)\n');
  });

  it('updates a user: name, display name, comments, e-mail and mobile phone', async () => {
    const { ok } = await account();
    await ok(['users', 'create', 'old-name']);
    const updated = JSON.parse(
      await ok([
        'users',
        'update',
        'old-name',
        '--new-name',
        'new-name',
        '--display-name',
        'New Name',
        '--comments',
        'renamed',
        '--email',
        'new@example.com',
        '--mobile',
        '86-18600008888',
        '--json',
      ]),
    ) as Row;
    expect(updated).toMatchObject({
      UserName: 'new-name',
      DisplayName: 'New Name',
      Comments: 'renamed',
      Email: 'new@example.com',
      MobilePhone: '86-18600008888',
    });
    expect(await ok(['users', 'get', 'new-name'])).toMatch(/Display name:\s+New Name/);
  });
});
