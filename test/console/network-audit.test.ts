// The console's network policy and audit trail pages against a real server: an account-level policy set
// in Audit mode through the page after its dry run, the calls it would deny; a CLI call found in the audit
// trail with its source address, and exported as JSON and CSV.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../support/ramkey-server.js';
import { callAction, RamModule, sdkError } from '../support/sdk.js';
import {
  launchBrowser,
  screenshot,
  signIn,
  startConsoleServer,
  type ConsoleBrowser,
  type ConsoleServer,
  describeWithChromium,
} from './support.js';

const noProfile = { RAMKEY_PROFILE_FILE: '/nonexistent/ramkey-profiles.json' };

describeWithChromium('console: network policies and the audit trail', { timeout: 120_000 }, () => {
  let server: ConsoleServer;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startConsoleServer(), launchBrowser()]);
    await signIn(browser, server, server.admin.loginName, server.admin.password);
  });

  afterAll(async () => {
    await browser.close();
    await server.stop();
  });

  /** The CLI signing with `key`, as a program would. */
  function cli(args: string[], key: { id: string; secret: string }) {
    return runCli(args, {
      ...noProfile,
      RAMKEY_ENDPOINT: server.origin,
      RAMKEY_ACCESS_KEY_ID: key.id,
      RAMKEY_ACCESS_KEY_SECRET: key.secret,
    });
  }

  async function accountPolicy(): Promise<{ Status: string; Statements: unknown[] }> {
    const body = (await callAction(server.server.endpoint, server.adminKey, {
      action: 'GetAccessKeyPolicyForAccount',
      version: '2019-08-15',
    })) as { AccessKeyPolicy: string };
    return JSON.parse(body.AccessKeyPolicy) as { Status: string; Statements: unknown[] };
  }

  it('dry-runs an account-level policy, saves it in Audit mode, and lists the calls it would deny', async () => {
    const { page } = browser;
    // The admin key is used from 127.0.0.1: the dry run has an address to replay.
    expect((await cli(['users', 'list'], server.adminKey)).code).toBe(0);

    await page.goto(server.url('/network-policies'));
    const editor = page.getByLabel('Account-level policy document');
    await expect(editor.inputValue()).resolves.toContain('"Inactive"');

    // A malformed document: the API's own code and message, and nothing saved.
    const malformed = JSON.stringify({
      Version: 1,
      Status: 'Audit',
      Statements: [{ Type: 'ClassicWhiteList', IPList: ['10.1'] }],
    });
    const refusal = await sdkError(
      callAction(server.server.endpoint, server.adminKey, {
        action: 'SetAccessKeyPolicyForAccount',
        version: '2019-08-15',
        query: { AccessKeyPolicy: malformed },
      }),
    );
    await editor.fill(malformed);
    await page.getByRole('button', { name: 'Save account policy' }).click();
    const shown = page.getByRole('alert');
    await expect(shown.locator('.error-code code').textContent()).resolves.toBe(refusal.code);
    await expect(shown.locator('.error-message').textContent()).resolves.toContain('10.1');
    await shown.getByRole('button', { name: 'Dismiss' }).click();
    await editor.fill(
      JSON.stringify({
        Version: 1,
        Status: 'Active',
        Statements: [{ Type: 'ClassicWhiteList', IPList: ['198.51.100.0/24'] }],
      }),
    );
    await page.getByRole('button', { name: 'Dry run' }).click();
    const dryRun = page.getByTestId('account-dry-run');
    const adminRow = dryRun.getByRole('row').filter({ hasText: server.adminKey.id });
    await expect(adminRow.textContent()).resolves.toContain('127.0.0.1');
    // The dry run changed nothing.
    await expect(accountPolicy()).resolves.toMatchObject({ Status: 'Inactive' });

    // Audit mode through the mode selector: the document's Status changes, its addresses stay.
    await page.getByLabel('Mode').selectOption('Audit');
    await expect(editor.inputValue()).resolves.toContain('"Status": "Audit"');
    await page.getByRole('button', { name: 'Save account policy' }).click();
    await page.getByText('Saved in Audit mode').waitFor();
    await expect(accountPolicy()).resolves.toEqual({
      Version: 1,
      Status: 'Audit',
      Statements: [{ Type: 'ClassicWhiteList', IPList: ['198.51.100.0/24'] }],
    });

    // Audit mode refuses nothing; the call is recorded as one the policy would deny.
    const call = await cli(['users', 'list'], server.adminKey);
    expect(call.code, call.stderr).toBe(0);
    const wouldDeny = page.getByRole('region', { name: /would have denied/ });
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.getByRole('heading', { name: 'What Audit mode would have denied' }).waitFor();
          await page.locator('.loading').first().waitFor({ state: 'detached' });
          return wouldDeny.getByRole('row').filter({ hasText: 'ListUsers' }).count();
        },
        { timeout: 20_000 },
      )
      .toBeGreaterThan(0);
    await expect(
      wouldDeny.getByRole('row').filter({ hasText: 'ListUsers' }).first().textContent(),
    ).resolves.toContain('127.0.0.1');
    const keyRow = page
      .getByRole('region', { name: 'AccessKeys and their network policies' })
      .getByRole('row')
      .filter({ hasText: server.adminKey.id });
    await expect(keyRow.textContent()).resolves.toContain('None (any source)');
    await screenshot(page, 'network-policies');

    // The audit trail's "would deny" filter finds the same call, badged.
    await page.getByRole('link', { name: 'Open them in the audit trail' }).click();
    await page.getByTestId('event-count').waitFor();
    await expect(
      page.getByRole('region', { name: 'Audit events' }).getByText('Would deny').first().textContent(),
    ).resolves.toBe('Would deny');
    expect(browser.problems.filter((p) => !p.includes('status of 400'))).toEqual([]);
  });

  it('shows a CLI call in the audit trail with its source address, and exports it as JSON and CSV', async () => {
    const { page } = browser;
    await server.ram.createUser(new RamModule.CreateUserRequest({ userName: 'reporting' }));
    const created = await server.ram.createAccessKey(
      new RamModule.CreateAccessKeyRequest({ userName: 'reporting' }),
    );
    const key = {
      id: created.body?.accessKey?.accessKeyId ?? '',
      secret: created.body?.accessKey?.accessKeySecret ?? '',
    };
    // A denied call (the user has no policy) is recorded too, with its error code.
    const call = await cli(['users', 'list'], key);
    expect(call.code).toBe(1);

    await page.goto(server.url('/audit'));
    await page.getByLabel('AccessKey ID').fill(key.id);
    await page.getByLabel('Result').selectOption('failure');
    // From the keyboard: Enter in a field applies the filters.
    await page.getByLabel('AccessKey ID').press('Enter');
    expect(new URL(page.url()).search).toBe(`?key=${key.id}&result=failure`);

    // Read events reach the trail within a second: refresh until it is there.
    const events = page.getByRole('region', { name: 'Audit events' });
    const row = events.getByRole('row').filter({ hasText: 'ListUsers' });
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          await page.locator('.loading').first().waitFor({ state: 'detached' });
          return row.count();
        },
        { timeout: 15_000 },
      )
      .toBe(1);
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('127.0.0.1');
    expect(text).toContain('ApiCall');
    expect(text).toContain('reporting');
    expect(text).toContain('NoPermission');
    // The whole event opens from the keyboard too.
    await row.locator('summary').focus();
    await page.keyboard.press('Enter');
    await expect(row.locator('pre').textContent()).resolves.toContain('"userAgent"');
    await row.locator('pre').waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    await row.locator('pre').waitFor({ state: 'hidden' });
    await expect(
      page.getByRole('region', { name: `Every source address of ${key.id}` }).textContent(),
    ).resolves.toContain('127.0.0.1');
    await expect(
      page.getByRole('region', { name: 'Source addresses per key in these events' }).textContent(),
    ).resolves.toContain('127.0.0.1');
    await page.getByRole('img', { name: 'Calls over time' }).waitFor();
    await screenshot(page, 'audit-trail');

    const [json] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export JSON' }).click(),
    ]);
    expect(json.url()).toMatch(/^blob:/);
    expect(json.suggestedFilename()).toMatch(/^audit-events-.*\.json$/);
    const exported = JSON.parse(readFileSync(await json.path(), 'utf8')) as {
      eventName: string;
      sourceIpAddress: string;
      errorCode?: string;
      userIdentity: { accessKeyId: string };
    }[];
    expect(exported).toHaveLength(1);
    expect(exported[0]).toMatchObject({
      eventName: 'ListUsers',
      sourceIpAddress: '127.0.0.1',
      errorCode: 'NoPermission',
      userIdentity: { accessKeyId: key.id },
    });
    expect(JSON.stringify(exported)).not.toContain(key.secret);

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const lines = readFileSync(await csv.path(), 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      new RegExp(`,ApiCall,Ram,ListUsers,reporting,${key.id},127\\.0\\.0\\.1,NoPermission,`),
    );

    // The console's own changes are events of type ConsoleOperation.
    await page.goto(server.url('/audit?type=ConsoleOperation&action=SetAccessKeyPolicyForAccount'));
    await expect(
      page.getByRole('region', { name: 'Audit events' }).getByRole('row').nth(1).textContent(),
    ).resolves.toContain('ConsoleOperation');
    expect(browser.problems).toEqual([]);
  });
});
