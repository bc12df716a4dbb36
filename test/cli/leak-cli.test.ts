// The leak-response commands, run as the built `ramkey` command: restrict a key, alerts and the
// webhook, and the operator's leak reporters on the data directory.
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { runCli } from '../support/ramkey-server.js';

const noProfile = { RAMKEY_PROFILE_FILE: '/nonexistent/ramkey-profiles.json' };

describe('leak-response commands', () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** A fresh account, and the environment that makes the CLI its admin. */
  async function adminEnv(): Promise<Record<string, string>> {
    const admin = await server.createAccount();
    return {
      ...noProfile,
      RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: admin.accessKeySecret,
    };
  }

  it('restricts a user key with a reason, shows it in the listing and as an alert', async () => {
    const env = await adminEnv();
    expect((await runCli(['users', 'create', 'ci'], env)).code).toBe(0);
    const created = await runCli(['keys', 'create', '--user', 'ci', '--json'], env);
    const key = JSON.parse(created.stdout) as { AccessKeyId: string; AccessKeySecret: string };

    const missingReason = await runCli(['keys', 'restrict', key.AccessKeyId], env);
    expect(missingReason.code).toBe(2);
    expect(missingReason.stderr).toContain('--reason');

    const restricted = await runCli(['keys', 'restrict', key.AccessKeyId, '--reason', 'in a CI log'], env);
    expect(restricted.code, restricted.stderr).toBe(0);
    expect(restricted.stdout).toContain('Restricted. Now rotate it');
    const again = await runCli(['keys', 'restrict', key.AccessKeyId, '--reason', 'x', '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ Reason: 'in a CI log', NewlyRestricted: false });

    const listed = await runCli(['keys', 'list', '--user', 'ci'], env);
    expect(listed.stdout).toMatch(new RegExp(`${key.AccessKeyId}\\s+Active \\(leak-restricted\\)`));

    const asKey = {
      ...env,
      RAMKEY_ACCESS_KEY_ID: key.AccessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: key.AccessKeySecret,
    };
    const refused = await runCli(['users', 'list'], asKey);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Forbidden: There is a risk of leakage of this AccessKey.');
    expect((await runCli(['whoami'], asKey)).code).toBe(0);

    const alerts = await runCli(['alerts', 'list', '--json'], env);
    expect(JSON.parse(alerts.stdout)).toEqual([
      expect.objectContaining({ Type: 'AccessKeyRestricted', DeliveryStatus: 'Pending' }),
    ]);

    const unknownKey = await runCli(
      ['keys', 'restrict', 'LTAI' + 'z'.repeat(20), '--reason', 'r', '--user', 'ci'],
      env,
    );
    expect(unknownKey.code).toBe(1);
    expect(unknownKey.stderr).toContain('EntityNotExist.User.AccessKey');

    const noHook = await runCli(['alerts', 'webhook', 'get'], env);
    expect(noHook.stderr).toContain('EntityNotExist.NotificationWebhook');
    const badHook = await runCli(['alerts', 'webhook', 'set', 'ftp://example.com/x'], env);
    expect(badHook.stderr).toContain('InvalidParameter.WebhookUrl');
    const hook = await runCli(
      ['alerts', 'webhook', 'set', 'https://hooks.example.com/ramkey', '--json'],
      env,
    );
    expect(JSON.parse(hook.stdout)).toMatchObject({ Url: 'https://hooks.example.com/ramkey' });
    expect((await runCli(['alerts', 'webhook', 'get'], env)).stdout).toContain(
      'https://hooks.example.com/ramkey',
    );
    expect((await runCli(['alerts', 'webhook', 'delete'], env)).code).toBe(0);
  });

  it('reports what a leaked key did: actions, addresses, refusals and the user and key it created', async () => {
    const env = await adminEnv();
    // The leaked key: the admin's own (AdministratorAccess), used by "the attacker".
    const second = JSON.parse((await runCli(['keys', 'create', '--json'], env)).stdout) as {
      AccessKeyId: string;
      AccessKeySecret: string;
    };
    const attacker = {
      ...env,
      RAMKEY_ACCESS_KEY_ID: second.AccessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: second.AccessKeySecret,
    };
    expect((await runCli(['users', 'create', 'backdoor'], attacker)).code).toBe(0);
    const planted = JSON.parse(
      (await runCli(['keys', 'create', '--user', 'backdoor', '--json'], attacker)).stdout,
    ) as {
      AccessKeyId: string;
    };
    expect((await runCli(['users', 'list'], attacker)).code).toBe(0);
    expect((await runCli(['keys', 'restrict', second.AccessKeyId, '--reason', 'found'], env)).code).toBe(0);
    expect((await runCli(['users', 'create', 'another'], attacker)).code).toBe(1);
    await server.flush();

    const report = await runCli(['keys', 'incident', second.AccessKeyId, '--since', '1h', '--json'], env);
    expect(report.code, report.stderr).toBe(0);
    const summary = JSON.parse(report.stdout) as {
      CallCount: number;
      RefusedCallCount: number;
      Actions: { EventName: string; CallCount: number; RefusedCallCount: number }[];
      SourceIps: { SourceIp: string; CallCount: number }[];
      RefusedCalls: { EventName: string; ErrorCode: string }[];
      Persistence: { EventName: string; Target: Record<string, string> }[];
    };
    expect(summary.Actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ EventName: 'CreateUser', CallCount: 2, RefusedCallCount: 1 }),
        expect.objectContaining({ EventName: 'CreateAccessKey', CallCount: 1, RefusedCallCount: 0 }),
        expect.objectContaining({ EventName: 'ListUsers', CallCount: 1, RefusedCallCount: 0 }),
      ]),
    );
    expect(summary.SourceIps).toEqual([
      expect.objectContaining({ SourceIp: '127.0.0.1', CallCount: summary.CallCount }),
    ]);
    expect(summary.RefusedCalls).toEqual([
      expect.objectContaining({ EventName: 'CreateUser', ErrorCode: 'Forbidden' }),
    ]);
    expect(summary.RefusedCallCount).toBe(1);
    expect(summary.Persistence).toEqual([
      expect.objectContaining({ EventName: 'CreateUser', Target: { UserName: 'backdoor' } }),
      expect.objectContaining({
        EventName: 'CreateAccessKey',
        Target: { UserName: 'backdoor', CreatedAccessKeyId: planted.AccessKeyId },
      }),
    ]);
    const human = await runCli(['keys', 'incident', second.AccessKeyId, '--since', '1h'], env);
    expect(human.stdout).toContain('Left behind');
    expect(human.stdout).toContain(`CreatedAccessKeyId=${planted.AccessKeyId}`);
    const badSince = await runCli(['keys', 'incident', second.AccessKeyId, '--since', 'yesterday'], env);
    expect(badSince.code).toBe(2);
  });

  it('scan --report restricts the keys it finds, signed as a registered reporter', async () => {
    const env = await adminEnv();
    expect((await runCli(['users', 'create', 'deploy'], env)).code).toBe(0);
    const key = JSON.parse((await runCli(['keys', 'create', '--user', 'deploy', '--json'], env)).stdout) as {
      AccessKeyId: string;
      AccessKeySecret: string;
    };
    const dir = await mkdtemp(join(tmpdir(), 'ramkey-scan-report-'));
    try {
      await writeFile(
        join(dir, 'deploy.env'),
        `ACCESS_KEY_ID=${key.AccessKeyId}\nACCESS_KEY_SECRET=${key.AccessKeySecret}\n`,
      );
      const noReporter = await runCli(['scan', dir, '--report'], env);
      expect(noReporter.code).toBe(2);
      expect(noReporter.stderr).toContain('RAMKEY_LEAK_REPORTER');
      const added = await runCli(
        ['leak-reporters', 'add', 'ci-scanner', '--json', '--data', server.dataDir],
        server.env,
      );
      const { Secret: secret } = JSON.parse(added.stdout) as { Secret: string };
      const reported = await runCli(['scan', dir, '--report'], {
        ...env,
        RAMKEY_LEAK_REPORTER: 'ci-scanner',
        RAMKEY_LEAK_REPORTER_SECRET: secret,
      });
      expect(reported.code, reported.stderr).toBe(1);
      expect(reported.stderr).toContain('Reported 2 value(s)');
      expect(reported.stderr).toContain('2 named a live key, now restricted');
      const asKey = {
        ...env,
        RAMKEY_ACCESS_KEY_ID: key.AccessKeyId,
        RAMKEY_ACCESS_KEY_SECRET: key.AccessKeySecret,
      };
      expect((await runCli(['users', 'list'], asKey)).stderr).toContain('Forbidden');
      const listed = await runCli(['keys', 'list', '--user', 'deploy', '--json'], env);
      expect(JSON.parse(listed.stdout)).toEqual([
        expect.objectContaining({ LeakRestricted: true, LeakRestrictionReporter: 'leak-report:ci-scanner' }),
      ]);
      const wrong = await runCli(['scan', dir, '--report'], {
        ...env,
        RAMKEY_LEAK_REPORTER: 'ci-scanner',
        RAMKEY_LEAK_REPORTER_SECRET: 'not-the-secret',
      });
      expect(wrong.stderr).toContain('InvalidLeakReport.Signature');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rotates a key: a second key shown once, the old one disabled once idle, then into the recycle bin', async () => {
    const env = await adminEnv();
    expect((await runCli(['users', 'create', 'worker'], env)).code).toBe(0);
    const old = JSON.parse((await runCli(['keys', 'create', '--user', 'worker', '--json'], env)).stdout) as {
      AccessKeyId: string;
      AccessKeySecret: string;
    };
    const asOld = {
      ...env,
      RAMKEY_ACCESS_KEY_ID: old.AccessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: old.AccessKeySecret,
    };
    const t0 = Date.now();
    const rotating = runCli(
      [
        'keys',
        'rotate',
        old.AccessKeyId,
        '--user',
        'worker',
        '--disable-after-idle',
        '2s',
        '--delete',
        '--check-every',
        '200ms',
        '--json',
      ],
      env,
    );
    // The workload still uses the old key for a moment after the rotation starts.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await runCli(['whoami'], asOld)).code).toBe(0);
    const usedAt = Date.now();
    const rotated = await rotating;
    expect(rotated.code, rotated.stderr).toBe(0);
    // Disabled only once unused for 2 s after its last use.
    expect(Date.now() - usedAt).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2400);
    const created = JSON.parse(rotated.stdout) as {
      OldAccessKeyId: string;
      AccessKeyId: string;
      AccessKeySecret: string;
    };
    expect(created.OldAccessKeyId).toBe(old.AccessKeyId);
    expect(rotated.stderr).toContain(`disabled ${old.AccessKeyId}`);
    expect(rotated.stderr).toContain(`deleted ${old.AccessKeyId} into the recycle bin`);
    const asNew = {
      ...env,
      RAMKEY_ACCESS_KEY_ID: created.AccessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: created.AccessKeySecret,
    };
    expect((await runCli(['whoami'], asNew)).code).toBe(0);
    expect((await runCli(['whoami'], asOld)).stderr).toContain('InvalidAccessKeyId.NotFound');
    const bin = await runCli(['keys', 'recycle-bin', 'list', '--user', 'worker', '--json'], env);
    expect(bin.stdout).toContain(old.AccessKeyId);

    // With two live keys, rotation refuses to start and says what to do.
    expect((await runCli(['keys', 'create', '--user', 'worker'], env)).code).toBe(0);
    const refused = await runCli(['keys', 'rotate', created.AccessKeyId, '--user', 'worker'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already has 2 AccessKeys');
    expect((await runCli(['keys', 'rotate', created.AccessKeyId, '--delete'], env)).code).toBe(2);
  });

  it('contains a key in one step: pinned to addresses, its user denied identity actions; --status shows it', async () => {
    const env = await adminEnv();
    expect((await runCli(['users', 'create', 'legacy'], env)).code).toBe(0);
    const key = JSON.parse((await runCli(['keys', 'create', '--user', 'legacy', '--json'], env)).stdout) as {
      AccessKeyId: string;
      AccessKeySecret: string;
    };
    const asKey = {
      ...env,
      RAMKEY_ACCESS_KEY_ID: key.AccessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: key.AccessKeySecret,
    };
    expect((await runCli(['whoami'], asKey)).code).toBe(0);
    expect((await runCli(['keys', 'contain', key.AccessKeyId], env)).code).toBe(2);

    const contained = await runCli(
      ['keys', 'contain', key.AccessKeyId, '--allow-ip', '192.0.2.10', '198.51.100.0/24'],
      env,
    );
    expect(contained.code, contained.stderr).toBe(0);
    expect(contained.stdout).toContain(`Attached Contain-${key.AccessKeyId}`);
    // From here (127.0.0.1), outside the allowlist: refused.
    const refused = await runCli(['whoami'], asKey);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('InvalidAccessKeyId.AccessPolicyDenied');

    const status = await runCli(['keys', 'contain', key.AccessKeyId, '--status', '--json'], env);
    expect(JSON.parse(status.stdout)).toEqual({
      AccessKeyId: key.AccessKeyId,
      AccessKeyPolicy: expect.objectContaining({
        Status: 'Active',
        Statements: [expect.objectContaining({ IPList: ['192.0.2.10', '198.51.100.0/24'] })],
      }) as unknown,
      DenyPolicyName: `Contain-${key.AccessKeyId}`,
    });
    // Run again, allowing this address: nothing fails or doubles; the key works from here for what
    // its workload does, and the Deny on its user refuses identity changes.
    expect((await runCli(['keys', 'contain', key.AccessKeyId, '--allow-ip', '127.0.0.1'], env)).code).toBe(0);
    expect((await runCli(['whoami'], asKey)).code).toBe(0);
    const denied = await runCli(['users', 'list'], asKey);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('NoPermission');
    const policies = await runCli(['keys', 'contain', key.AccessKeyId, '--status'], env);
    expect(policies.stdout).toContain(`Contain-${key.AccessKeyId}`);
  });

  it('adds, lists and removes leak reporters on the data directory, the secret printed once', async () => {
    const data = ['--data', server.dataDir];
    const added = await runCli(['leak-reporters', 'add', 'partner', '--json', ...data], server.env);
    expect(added.code, added.stderr).toBe(0);
    const { Secret: secret } = JSON.parse(added.stdout) as { Secret: string };
    expect(secret).toMatch(/^[0-9A-Za-z]{40}$/);
    const listed = await runCli(['leak-reporters', 'list', '--json', ...data], server.env);
    expect(listed.stdout).not.toContain(secret);
    expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ ReporterName: 'partner' }));
    expect((await runCli(['leak-reporters', 'add', 'partner', ...data], server.env)).stderr).toContain(
      'already exists',
    );
    expect((await runCli(['leak-reporters', 'add', 'bad name', ...data], server.env)).code).toBe(1);

    // The running server accepts the reporter's signed reports.
    const body = '[]';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    const response = await fetch(`http://${server.endpoint}/leak-reports`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ramkey-reporter': 'partner',
        'x-ramkey-timestamp': timestamp,
        'x-ramkey-signature': `sha256=${signature}`,
      },
      body,
    });
    expect(response.status).toBe(200);

    expect((await runCli(['leak-reporters', 'remove', 'partner', ...data], server.env)).code).toBe(0);
    const gone = await runCli(['leak-reporters', 'remove', 'partner', ...data], server.env);
    expect(gone.stderr).toContain('No leak reporter named partner.');
  });
});
