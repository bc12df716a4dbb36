// Who sees and does what in the console: a RAM user signs in with its logon name and gets exactly its
// policies' rights (read-only here: every change refused with the API's message), and another account's
// users and keys are invisible.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RamModule } from '../support/sdk.js';
import {
  createConsoleUser,
  launchBrowser,
  screenshot,
  signIn,
  startConsoleServer,
  type ConsoleBrowser,
  type ConsoleServer,
  describeWithChromium,
} from './support.js';

describeWithChromium('console: permissions and tenancy', { timeout: 90_000 }, () => {
  let server: ConsoleServer;
  let browser: ConsoleBrowser;

  // Starting a server and a browser takes seconds; more on a busy machine running the whole suite.
  beforeAll(async () => {
    [server, browser] = await Promise.all([startConsoleServer(), launchBrowser()]);
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await server.stop();
  });

  it('signs a read-only RAM user in; it sees the users but every change is refused with the API message', async () => {
    const { page } = browser;
    await server.ram.createUser(new RamModule.CreateUserRequest({ userName: 'payroll' }));
    const key = await server.ram.createAccessKey(
      new RamModule.CreateAccessKeyRequest({ userName: 'payroll' }),
    );
    const keyId = key.body?.accessKey?.accessKeyId ?? '';
    const reader = await createConsoleUser(server, 'auditor', { policy: 'ReadOnlyAccess' });

    await signIn(browser, server, reader.loginName, reader.password, '/users');
    await expect(page.locator('.who-name').textContent()).resolves.toBe(reader.loginName);
    await expect(page.locator('.who .badge').textContent()).resolves.toBe('RAM user');
    await page.getByRole('link', { name: 'payroll' }).waitFor();

    // Creating a user: refused by the API, its code and message shown as they came.
    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a user' });
    await dialog.getByLabel('User name').fill('intruder');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    const refusal = dialog.getByRole('alert');
    await expect(refusal.locator('.error-code code').textContent()).resolves.toBe('NoPermission');
    await expect(refusal.textContent()).resolves.toContain('ram:CreateUser');
    await screenshot(page, 'read-only-refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // Disabling another user's key: refused too, and the key stays Active.
    await page.getByRole('link', { name: 'payroll' }).click();
    await page.getByRole('button', { name: `Disable ${keyId}` }).click();
    await expect(page.getByRole('alert').locator('.error-code code').textContent()).resolves.toBe(
      'NoPermission',
    );
    const keys = await server.ram.listAccessKeys(
      new RamModule.ListAccessKeysRequest({ userName: 'payroll' }),
    );
    expect(keys.body?.accessKeys?.accessKey?.[0]?.status).toBe('Active');
    const users = await server.ram.listUsers(new RamModule.ListUsersRequest({}));
    expect(users.body?.users?.user?.map((u) => u.userName)).not.toContain('intruder');
  });

  it("keeps another account's users and keys invisible", async () => {
    const { page } = browser;
    await server.ram.createUser(new RamModule.CreateUserRequest({ userName: 'first-only' }));
    const key = await server.ram.createAccessKey(
      new RamModule.CreateAccessKeyRequest({ userName: 'first-only' }),
    );
    const keyId = key.body?.accessKey?.accessKeyId ?? '';
    const other = await server.createAccount();

    await signIn(browser, server, other.loginName, other.password, '/users');
    await expect(page.locator('.who-name').textContent()).resolves.toBe(other.loginName);
    await page.locator('.loading').first().waitFor({ state: 'detached' });
    await expect(page.getByRole('link', { name: 'first-only' }).count()).resolves.toBe(0);

    await page.getByLabel('Find the owner of an AccessKey ID').fill(keyId);
    await page.getByRole('button', { name: 'Find owner' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('NotFound');
    await expect(page.getByTestId('key-owner').count()).resolves.toBe(0);

    await page.goto(server.url('/users/first-only'));
    await expect(page.getByRole('alert').first().locator('.error-code code').textContent()).resolves.toBe(
      'EntityNotExist.User',
    );
    await page.goto(server.url(`/keys/${keyId}`));
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain('NotFound');
    expect(browser.problems).toEqual([]);
  });
});
