// Signing in to the console: the account with its login name, the API's message for a wrong password,
// AccessKeys refused (in the form before sending, and by the server for a request that skips the form),
// the route kept across sign-in, and signing out.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RamModule } from '../support/sdk.js';
import {
  createConsoleUser,
  launchBrowser,
  screenshot,
  signIn,
  startConsoleServer,
  type ConsoleBrowser,
  totpCode,
  totpStep,
  type ConsoleServer,
  describeWithChromium,
} from './support.js';

describeWithChromium('console: sign-in', { timeout: 90_000 }, () => {
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

  it('signs the account in by its login name, back to the page asked for, and out again', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    await page.goto(server.url('/recycle-bin'));
    await page.getByRole('heading', { name: 'Sign in to Ramkey' }).waitFor();
    await screenshot(page, 'signin');
    await page.getByLabel('Login name').fill(server.admin.loginName);
    await page.getByLabel('Password').fill(server.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Recycle bin' }).waitFor();
    await expect(page.locator('.who-name').textContent()).resolves.toBe(server.admin.loginName);
    expect(new URL(page.url()).pathname).toBe('/console/recycle-bin');

    // A reload keeps the session (the cookie) and finds the CSRF token again (GET /console/api/session).
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Recycle bin' }).waitFor();

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await screenshot(page, 'overview');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Ramkey' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Ramkey' }).waitFor();
  });

  it("shows the API's message for a wrong password", async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    await page.goto(server.url('/'));
    await page.getByLabel('Login name').fill(server.admin.loginName);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').locator('.error-code code').textContent()).resolves.toBe(
      'SigninFailed',
    );
    await expect(page.getByRole('button', { name: 'Sign out' }).count()).resolves.toBe(0);
  });

  it('refuses an AccessKey typed into the form, before it is sent, and at the server', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    await page.goto(server.url('/'));
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/console/api/signin')) sent.push(request.postData() ?? '');
    });
    await page.getByLabel('Login name').fill(server.adminKey.id);
    await page.getByLabel('Password').fill(server.adminKey.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refusal = page.getByRole('alert');
    await expect(refusal.locator('.error-code code').textContent()).resolves.toBe(
      'InvalidParameter.SigninWithAccessKey',
    );
    await expect(refusal.textContent()).resolves.toContain('AccessKeys are for programs, not for signing in');
    await screenshot(page, 'signin-accesskey-refused');
    expect(sent).toEqual([]);

    // The server refuses them too, for a client that does not check.
    const answer = await page.evaluate(
      async ([loginName, password]) => {
        const response = await fetch('/console/api/signin', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ LoginName: loginName, Password: password }),
        });
        return {
          status: response.status,
          body: (await response.json()) as { Code: string; Message: string },
        };
      },
      [server.adminKey.id, server.adminKey.secret],
    );
    expect(answer.status).toBe(400);
    expect(answer.body.Code).toBe('InvalidParameter.SigninWithAccessKey');
  });

  it('signs a RAM user in by its logon name', async () => {
    const { page } = browser;
    const user = await createConsoleUser(server, 'operator', { policy: 'AdministratorAccess' });
    await signIn(browser, server, user.loginName, user.password, '/users');
    await expect(page.locator('.who-name').textContent()).resolves.toBe(user.loginName);
    await page.getByRole('link', { name: 'operator' }).waitFor();
  });

  it('asks for a new password first when the login profile requires a reset, and nothing else until done', async () => {
    const { page } = browser;
    const userName = 'newcomer';
    await server.ram.createUser(new RamModule.CreateUserRequest({ userName }));
    await server.ram.createLoginProfile(
      new RamModule.CreateLoginProfileRequest({
        userName,
        password: 'First-Pass-1!',
        passwordResetRequired: true,
      }),
    );
    await browser.context.clearCookies();
    await page.goto(server.url('/users'));
    await page.getByLabel('Login name').fill(`${userName}@${server.admin.accountId}.onaliyun.com`);
    await page.getByLabel('Password').fill('First-Pass-1!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Change your password' }).waitFor();
    await expect(page.getByRole('navigation').count()).resolves.toBe(0);
    await screenshot(page, 'change-password');

    await page.getByLabel('Current password').fill('First-Pass-1!');
    await page.getByLabel('New password', { exact: true }).fill('Second-Pass-2!');
    await page.getByLabel('New password, again').fill('Second-Pass-2?');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The two new passwords differ.').waitFor();

    await page.getByLabel('New password, again').fill('Second-Pass-2!');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    const profile = await server.ram.getLoginProfile(new RamModule.GetLoginProfileRequest({ userName }));
    expect(profile.body?.loginProfile?.passwordResetRequired).toBe(false);
    await signIn(browser, server, `${userName}@${server.admin.accountId}.onaliyun.com`, 'Second-Pass-2!');
  });

  it('brings the sign-in form back when the session ends under a page, and returns to that page', async () => {
    const { page } = browser;
    await signIn(browser, server, server.admin.loginName, server.admin.password, '/users');
    await page.getByRole('link', { name: 'admin' }).waitFor();
    // The session ends (as after an idle timeout): the next request answers ConsoleSessionRequired.
    await browser.context.clearCookies();
    await page.getByRole('link', { name: 'Recycle bin' }).click();
    await page.getByText('Your session has ended. Sign in again to continue.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/recycle-bin');
    await page.getByLabel('Login name').fill(server.admin.loginName);
    await page.getByLabel('Password').fill(server.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Recycle bin' }).waitFor();
  });

  it('asks a RAM user with an MFA device for its code after the password, refuses a wrong one, and remembers the browser when asked', async () => {
    const { page } = browser;
    const user = await createConsoleUser(server, 'guarded', { policy: 'ReadOnlyAccess' });
    const created = await server.ram.createVirtualMFADevice(
      new RamModule.CreateVirtualMFADeviceRequest({ virtualMFADeviceName: 'guarded-phone' }),
    );
    const device = created.body?.virtualMFADevice;
    const seed = device?.base32StringSeed ?? '';
    const bound = totpStep(Date.now());
    await server.ram.bindMFADevice(
      new RamModule.BindMFADeviceRequest({
        userName: 'guarded',
        serialNumber: device?.serialNumber ?? '',
        authenticationCode1: totpCode(seed, bound - 1),
        authenticationCode2: totpCode(seed, bound),
      }),
    );

    // The account lets browsers remember MFA for 7 days (EnableSaveMFATicket): the page offers it.
    await server.ram.setSecurityPreference(
      new RamModule.SetSecurityPreferenceRequest({ enableSaveMFATicket: true }),
    );
    await browser.context.clearCookies();
    const passwordStep = async () => {
      await page.goto(server.url('/'));
      await page.getByLabel('Login name').fill(user.loginName);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    };
    await passwordStep();
    const code = page.getByLabel('MFA code');
    await code.waitFor();
    const remember = page.getByLabel('Remember this browser for 7 days', { exact: false });
    await remember.check();
    await screenshot(page, 'signin-mfa');
    // A code of a step long past is wrong now.
    await code.fill(totpCode(seed, bound - 100));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('alert').locator('.error-code code').textContent()).resolves.toBe(
      'InvalidMFACode',
    );
    // The binding used the codes up to `bound`: the next step's code is fresh.
    await code.fill(totpCode(seed, Math.max(totpStep(Date.now()), bound) + 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await expect(page.locator('.who-name').textContent()).resolves.toBe(user.loginName);

    // Signed out and in again, this browser is not asked for a code: its HttpOnly ticket stands in.
    const ticket = (await browser.context.cookies()).find((c) => c.name === 'ramkey_mfa_ticket');
    expect(ticket).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console/api/signin' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await passwordStep();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await expect(page.locator('.who-name').textContent()).resolves.toBe(user.loginName);

    // Switched off, the code is asked for again, and the box is not offered.
    await server.ram.setSecurityPreference(
      new RamModule.SetSecurityPreferenceRequest({ enableSaveMFATicket: false }),
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    await passwordStep();
    await code.waitFor();
    await expect(remember.count()).resolves.toBe(0);
  });

  it('picks up a session that a sign-in in another tab put in place, refusing the change made meanwhile', async () => {
    const { page } = browser;
    const operator = await createConsoleUser(server, 'second-tab', { policy: 'AdministratorAccess' });
    await signIn(browser, server, server.admin.loginName, server.admin.password, '/users');
    await page.getByRole('button', { name: 'Create user' }).click();

    // Another tab signs out and in as someone else: the cookie is now that session's.
    const other = await browser.context.newPage();
    await other.goto(server.url('/'));
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.getByLabel('Login name').fill(operator.loginName);
    await other.getByLabel('Password').fill(operator.password);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('button', { name: 'Sign out' }).waitFor();
    await other.close();

    const dialog = page.getByRole('dialog', { name: 'Create a user' });
    await dialog.getByLabel('User name').fill('made-in-first-tab');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await expect(dialog.getByRole('alert').locator('.error-code code').textContent()).resolves.toBe(
      'InvalidCsrfToken',
    );
    // The first tab now shows who is signed in, and acts as them once asked again.
    await page.locator('.who-name').filter({ hasText: operator.loginName }).waitFor();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { level: 1, name: 'made-in-first-tab' }).waitFor();
  });
});
