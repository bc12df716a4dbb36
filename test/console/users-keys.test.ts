// The console's user and key pages against a real server: create a user and a key (the secret shown
// once), disable and delete it with the warning, restore it from the recycle bin, find its owner by ID,
// and see a CLI call of the key with its source address.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../support/ramkey-server.js';
import { callAction, RamModule } from '../support/sdk.js';
import {
  launchBrowser,
  screenshot,
  signIn,
  startConsoleServer,
  type ConsoleBrowser,
  type ConsoleServer,
  describeWithChromium,
} from './support.js';

describeWithChromium('console: users and keys', { timeout: 90_000 }, () => {
  let server: ConsoleServer;
  let browser: ConsoleBrowser;

  // Starting a server and a browser takes seconds; more on a busy machine running the whole suite.
  beforeAll(async () => {
    [server, browser] = await Promise.all([startConsoleServer(), launchBrowser()]);
    await signIn(browser, server, server.admin.loginName, server.admin.password);
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await server.stop();
  });

  /** Creates `name` through the Users page and lands on its detail page. */
  async function createUser(name: string) {
    const { page } = browser;
    await page.goto(server.url('/users'));
    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a user' });
    await dialog.getByLabel('User name').fill(name);
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }

  /** Creates a key on the user detail page; returns its ID and secret as the dialog showed them. */
  async function createKey() {
    const { page } = browser;
    await page.getByRole('button', { name: 'Create AccessKey' }).click();
    await page
      .getByRole('dialog', { name: 'Create an AccessKey' })
      .getByRole('button', { name: 'Create AccessKey' })
      .click();
    const shown = page.getByRole('dialog', { name: 'AccessKey created' });
    const id = (await shown.getByTestId('new-key-id').textContent()) ?? '';
    const secret = (await shown.getByTestId('new-key-secret').textContent()) ?? '';
    return { id, secret, dialog: shown };
  }

  it('creates a user and a key whose secret is shown once, and never again after a reload', async () => {
    const { page } = browser;
    await createUser('console-app');
    const { id, secret, dialog } = await createKey();
    expect(id).toMatch(/^LTAI[0-9A-Za-z]{20}$/);
    expect(secret).toMatch(/^[0-9A-Za-z]{30}$/);
    await expect(dialog.getByText('It will not be shown again', { exact: false }).count()).resolves.toBe(1);
    await screenshot(page, 'create-key');

    // The CSV download carries the pair; the address it came from does not.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.url()).not.toContain(secret);
    const path = await download.path();
    expect(readFileSync(path, 'utf8')).toBe(`AccessKey ID,AccessKey Secret\r\n${id},${secret}\r\n`);

    await dialog.getByRole('button', { name: 'I have stored the secret' }).click();
    await page.getByRole('link', { name: id }).waitFor();
    expect(await page.content()).not.toContain(secret);

    await page.reload();
    await page.getByRole('link', { name: id }).waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(page.url()).not.toContain(secret);
    // Nothing of the session or the key is kept in the browser's storage.
    // (A string: the test code is compiled without the DOM's types.)
    const stored = await page.evaluate<string>(
      'JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })',
    );
    expect(stored).toBe('{}{}');
    await screenshot(page, 'user-detail');
  });

  it('disables a key, deletes it after the warning with its last use, and restores it from the bin', async () => {
    const { page } = browser;
    await createUser('rotating-app');
    const { id, secret, dialog } = await createKey();
    await dialog.getByRole('button', { name: 'I have stored the secret' }).click();
    // One call with the key, so the warning has a last use to show.
    const used = await runCli(['users', 'list'], {
      HOME: '/nonexistent',
      RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
      RAMKEY_ENDPOINT: server.origin,
      RAMKEY_ACCESS_KEY_ID: id,
      RAMKEY_ACCESS_KEY_SECRET: secret,
    });
    expect(used.code).not.toBe(-1);
    await page.reload();

    // Delete is offered only once the key is disabled.
    await expect(page.getByRole('button', { name: `Delete ${id}` }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: `Disable ${id}` }).click();
    await page.getByRole('button', { name: `Delete ${id}` }).click();
    const confirm = page.getByRole('dialog', { name: `Delete AccessKey ${id}?` });
    await expect(confirm.getByTestId('last-use').textContent()).resolves.toMatch(
      /Last used .* from 127\.0\.0\.1/,
    );
    const button = confirm.getByRole('button', { name: 'Delete AccessKey' });
    expect(await button.isDisabled()).toBe(true);
    await confirm.getByLabel(`Type ${id} to confirm`).fill(id.slice(0, -1));
    expect(await button.isDisabled()).toBe(true);
    await confirm.getByLabel(`Type ${id} to confirm`).fill(id);
    await screenshot(page, 'delete-key');
    await button.click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByText('No AccessKeys.').waitFor();

    await page.getByRole('link', { name: 'Recycle bin' }).click();
    await page.getByRole('button', { name: `Restore ${id}` }).click();
    await page.getByText(`${id} restored`, { exact: false }).waitFor();
    await screenshot(page, 'recycle-bin');
    const owner = await server.ram.listAccessKeys(
      new RamModule.ListAccessKeysRequest({ userName: 'rotating-app' }),
    );
    expect(owner.body?.accessKeys?.accessKey?.map((k) => [k.accessKeyId, k.status])).toEqual([
      [id, 'Inactive'],
    ]);
  });

  it('renames a user, deletes it into the recycle bin and restores it, from the keyboard where it counts', async () => {
    const { page } = browser;
    await createUser('old-name');
    await page.getByRole('button', { name: 'Rename' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename old-name' });
    // The dialog takes the focus, and Esc closes it, giving the focus back to the button.
    expect(await rename.getByLabel('New user name').and(page.locator(':focus')).count()).toBe(1);
    await page.keyboard.press('Escape');
    await rename.waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: 'Rename' }).and(page.locator(':focus')).count()).toBe(1);
    await page.keyboard.press('Enter');
    await rename.getByLabel('New user name').fill('new-name');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'new-name' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/users/new-name');

    await page.getByRole('button', { name: 'Delete user' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete user new-name?' });
    await confirm.getByLabel('Type new-name to confirm').fill('new-name');
    await confirm.getByRole('button', { name: 'Delete user' }).click();
    await page.getByRole('heading', { level: 1, name: 'Recycle bin' }).waitFor();
    const upn = `new-name@${server.admin.accountId}.onaliyun.com`;
    await page.getByRole('button', { name: `Restore ${upn}` }).click();
    await page.getByText(`${upn} restored`, { exact: false }).waitFor();
    const user = await server.ram.getUser(new RamModule.GetUserRequest({ userName: 'new-name' }));
    expect(user.body?.user?.userName).toBe('new-name');
  });

  it("finds a key's owner by its ID, and shows the key's CLI call with its source address", async () => {
    const { page } = browser;
    await createUser('audited-app');
    const { id, secret, dialog } = await createKey();
    await dialog.getByRole('button', { name: 'I have stored the secret' }).click();

    await page.goto(server.url('/users'));
    // The name filter narrows the list as it is typed.
    await page.getByRole('link', { name: 'admin', exact: true }).waitFor();
    await page.getByLabel('Filter by name').fill('audited');
    await expect(
      page.getByRole('region', { name: 'Users' }).getByRole('link').allTextContents(),
    ).resolves.toEqual(['audited-app']);
    await page.getByLabel('Find the owner of an AccessKey ID').fill(id);
    await page.getByRole('button', { name: 'Find owner' }).click();
    const owner = page.getByTestId('key-owner');
    await expect(owner.textContent()).resolves.toContain('audited-app');
    await screenshot(page, 'users');

    const call = await runCli(['users', 'get', 'audited-app', '--json'], {
      HOME: '/nonexistent',
      RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
      RAMKEY_ENDPOINT: server.origin,
      RAMKEY_ACCESS_KEY_ID: id,
      RAMKEY_ACCESS_KEY_SECRET: secret,
    });
    // The new user has no policy: the call is refused, and audited all the same.
    expect(call.stderr).toContain('NoPermission');

    await owner.getByRole('link', { name: 'Open the key' }).click();
    const events = page.getByRole('region', { name: 'Audit events of this key' });
    // The event is written within moments of the call; the page shows it once it is there.
    for (let attempt = 0; (await events.getByText('GetUser').count()) === 0; attempt++) {
      if (attempt === 20) expect.fail('the CLI call never appeared among the key events');
      await page.waitForTimeout(500);
      await page.reload();
      await page.getByRole('heading', { name: 'Audit events' }).waitFor();
      await page.locator('.loading').first().waitFor({ state: 'detached' });
    }
    const row = events.getByRole('row').filter({ hasText: 'GetUser' });
    await expect(row.textContent()).resolves.toMatch(/127\.0\.0\.1.*NoPermission/);
    await screenshot(page, 'key-detail');
    expect(browser.problems).toEqual([]);
  });

  it("shows the account's posture on the overview, each finding linking to its fix", async () => {
    const { page } = browser;
    await server.ram.createUser(new RamModule.CreateUserRequest({ userName: 'two-keys' }));
    for (let i = 0; i < 2; i++) {
      await server.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'two-keys' }));
    }
    await page.goto(server.url('/'));
    const rootKeys = page.getByRole('region', { name: 'Root AccessKeys' });
    // `ramkey init --root-access-key` gave the account a key of its own.
    await rootKeys.getByRole('link', { name: server.admin.rootAccessKeyId ?? '' }).waitFor();
    const twoKeys = page.getByRole('region', { name: 'Users with 2 active keys' });
    await twoKeys.getByRole('link', { name: 'two-keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'two-keys' }).waitFor();
    await page.goBack();
    const unprotected = page.getByRole('region', { name: 'Keys without a network policy' });
    await unprotected.getByRole('link', { name: server.admin.accessKeyId }).waitFor();
    await screenshot(page, 'overview-findings');
  });

  it("dry-runs and saves a key's network policy on its page, showing the API's validation message", async () => {
    const { page } = browser;
    await server.ram.createUser(new RamModule.CreateUserRequest({ userName: 'pinned-app' }));
    const created = await server.ram.createAccessKey(
      new RamModule.CreateAccessKeyRequest({ userName: 'pinned-app' }),
    );
    const id = created.body?.accessKey?.accessKeyId ?? '';
    const used = await runCli(['whoami'], {
      HOME: '/nonexistent',
      RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
      RAMKEY_ENDPOINT: server.origin,
      RAMKEY_ACCESS_KEY_ID: id,
      RAMKEY_ACCESS_KEY_SECRET: created.body?.accessKey?.accessKeySecret ?? '',
    });
    expect(used.code, used.stderr).toBe(0);

    await page.goto(server.url(`/keys/${id}`));
    const document = page.getByLabel('Policy document (Status: Active, Inactive or Audit)');
    await document.fill(
      '{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["10.1"]}]}',
    );
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expect(page.getByRole('alert').locator('.error-code code').textContent()).resolves.toBe(
      'InvalidParameter.AccessKeyPolicy.IPList',
    );

    const policy =
      '{"Version":1,"Status":"Audit","Statements":[{"Type":"ClassicWhiteList","IPList":["10.0.0.0/8"]}]}';
    await document.fill(policy);
    await page.getByRole('button', { name: 'Dry run' }).click();
    // The key was used from 127.0.0.1 only, which the draft does not allow.
    const dryRun = page.getByTestId('dry-run');
    await expect(dryRun.locator('p').textContent()).resolves.toMatch(
      /of 1 source address seen, 1 would be denied/,
    );
    await dryRun.getByRole('cell', { name: '127.0.0.1' }).waitFor();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText("Saved: in force from the key's next call.").waitFor();
    const saved = (await callAction(server.server.endpoint, server.adminKey, {
      action: 'GetAccessKeyPolicy',
      version: '2019-08-15',
      query: { UserAccessKeyId: id, UserPrincipalName: `pinned-app@${server.admin.accountId}.onaliyun.com` },
    })) as { AccessKeyPolicy?: string };
    expect(JSON.parse(saved.AccessKeyPolicy ?? '{}')).toMatchObject({ Status: 'Audit' });
  });
});
