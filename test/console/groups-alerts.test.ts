// The console's groups and policies and alerts pages against a real server: a policy refused for its
// document with the API's code and message beside the editor, then created and attached to a group;
// the simulator's verdict; a key restricted as leaked, shown on Alerts and rotated away step by step;
// and a RAM user without rights seeing the API's denial.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callAction, RamModule, sdkError } from '../support/sdk.js';
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

const BAD_DOCUMENT = JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Perhaps', Action: 'ram:GetUser', Resource: '*' }],
});
const READ_USERS = JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: ['ram:GetUser', 'ram:ListUsers'], Resource: '*' }],
});

describeWithChromium('console: groups, policies and alerts', { timeout: 120_000 }, () => {
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

  it('shows the API’s code and message for an invalid policy document, then creates the policy', async () => {
    const { page } = browser;
    // What the API itself answers for that document.
    const expected = await sdkError(
      server.ram.createPolicy(
        new RamModule.CreatePolicyRequest({ policyName: 'probe', policyDocument: BAD_DOCUMENT }),
      ),
    );
    const message = typeof expected.data?.Message === 'string' ? expected.data.Message : '';
    expect(message).not.toBe('');

    await page.goto(server.url('/groups-policies'));
    await page.getByRole('button', { name: 'Create policy' }).click();
    const form = page.getByRole('form', { name: 'Create a policy' });
    await form.getByLabel('Policy name').fill('read-users');
    await form.getByLabel('Policy document').fill(BAD_DOCUMENT);
    await form.getByRole('button', { name: 'Create policy' }).click();
    const result = form.getByTestId('document-result');
    await expect(result.locator('.error-code code').textContent()).resolves.toBe(expected.code);
    await expect(result.locator('.error-message').textContent()).resolves.toBe(message);
    await screenshot(page, 'policy-invalid');

    await form.getByLabel('Policy document').fill(READ_USERS);
    await expect(result.getByRole('alert').count()).resolves.toBe(0);
    await form.getByRole('button', { name: 'Create policy' }).click();
    await page.getByRole('heading', { level: 1, name: /read-users/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/policies/Custom/read-users');
    const stored = await server.ram.getPolicy(
      new RamModule.GetPolicyRequest({ policyName: 'read-users', policyType: 'Custom' }),
    );
    expect(JSON.parse(stored.body?.defaultPolicyVersion?.policyDocument ?? '{}')).toEqual(
      JSON.parse(READ_USERS),
    );
    await screenshot(page, 'policy-detail');

    // Editing: a refused version leaves the policy as it was; a good one becomes the default.
    const editor = page.getByLabel('Policy document (saved as a new default version)');
    await editor.fill(BAD_DOCUMENT);
    await page.getByRole('button', { name: 'Save new version' }).click();
    await expect(page.getByTestId('document-result').locator('.error-code code').textContent()).resolves.toBe(
      expected.code,
    );
    const widened = READ_USERS.replace('"ram:ListUsers"', '"ram:ListUsers","ram:ListGroups"');
    await editor.fill(widened);
    await page.getByRole('button', { name: 'Save new version' }).click();
    await page.getByText('Saved as v2, now the default.').waitFor();
    const edited = await server.ram.getPolicy(
      new RamModule.GetPolicyRequest({ policyName: 'read-users', policyType: 'Custom' }),
    );
    expect(edited.body?.policy?.defaultVersion).toBe('v2');
    expect(JSON.parse(edited.body?.defaultPolicyVersion?.policyDocument ?? '{}')).toEqual(
      JSON.parse(widened),
    );
  });

  it('creates a group, adds a member, attaches the policy, and the simulator answers', async () => {
    const { page } = browser;
    await server.ram.createUser(new RamModule.CreateUserRequest({ userName: 'analyst' }));

    await page.goto(server.url('/groups-policies'));
    await page.getByRole('button', { name: 'Create group' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a group' });
    await dialog.getByLabel('Group name').fill('readers');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { level: 1, name: 'readers' }).waitFor();

    await page.getByLabel('Add a member').selectOption('analyst');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('region', { name: 'Members' }).getByRole('link', { name: 'analyst' }).waitFor();
    await page.getByLabel('Attach a policy').selectOption({ label: 'read-users (Custom)' });
    await page.getByRole('button', { name: 'Attach policy' }).click();
    await page
      .getByRole('region', { name: 'Policies attached to the group' })
      .getByRole('link', { name: 'read-users' })
      .waitFor();
    const attached = await server.ram.listPoliciesForGroup(
      new RamModule.ListPoliciesForGroupRequest({ groupName: 'readers' }),
    );
    expect(attached.body?.policies?.policy?.map((p) => p.policyName)).toEqual(['read-users']);
    const members = await server.ram.listUsersForGroup(
      new RamModule.ListUsersForGroupRequest({ groupName: 'readers' }),
    );
    expect(members.body?.users?.user?.map((u) => u.userName)).toEqual(['analyst']);
    await screenshot(page, 'group-detail');

    // The simulator: allowed through the group's policy, naming the statement; refused otherwise.
    await page.goto(server.url('/groups-policies'));
    const simulator = page.getByRole('form', { name: 'Policy simulator' });
    await simulator.getByLabel('User').selectOption('analyst');
    await simulator.getByLabel('Action').fill('ram:GetUser');
    await simulator.getByRole('button', { name: 'Simulate' }).click();
    const verdict = simulator.getByTestId('simulation');
    await expect(verdict.textContent()).resolves.toMatch(
      /^Allowed ram:GetUser on \*\.Decided by statement 0 \(Allow\) of read-users/,
    );
    await simulator.getByLabel('Action').fill('ram:CreateUser');
    await simulator.getByRole('button', { name: 'Simulate' }).click();
    await expect(verdict.textContent()).resolves.toContain('Denied: no statement allows it');
    await screenshot(page, 'groups-policies');
    expect(browser.problems.filter((p) => !p.includes('status of 400'))).toEqual([]);
  });

  it('shows a leak-restricted key on Alerts and walks its rotation through to the end', async () => {
    const { page } = browser;
    await server.ram.createUser(new RamModule.CreateUserRequest({ userName: 'ci-bot' }));
    const created = await server.ram.createAccessKey(
      new RamModule.CreateAccessKeyRequest({ userName: 'ci-bot' }),
    );
    const oldId = created.body?.accessKey?.accessKeyId ?? '';
    await callAction(server.server.endpoint, server.adminKey, {
      action: 'RestrictAccessKey',
      version: '2019-08-15',
      query: {
        UserAccessKeyId: oldId,
        UserPrincipalName: `ci-bot@${server.admin.accountId}.onaliyun.com`,
        Reason: 'pasted in a public gist',
      },
    });

    await page.goto(server.url('/alerts'));
    const restricted = page.getByRole('region', { name: 'Leak-restricted AccessKeys' }).getByRole('row');
    await expect(restricted.filter({ hasText: oldId }).textContent()).resolves.toContain(
      'pasted in a public gist',
    );
    const alert = page.getByRole('region', { name: 'Alerts' }).getByRole('row').filter({ hasText: oldId });
    await expect(alert.textContent()).resolves.toContain('AccessKeyRestricted');
    await screenshot(page, 'alerts');

    await page.getByRole('link', { name: `Rotate ${oldId}` }).click();
    await page.getByRole('heading', { level: 1, name: `Rotate ${oldId}` }).waitFor();
    /** Waits until the walk-through's current step is the one titled `title`. */
    const atStep = (title: string) =>
      page.locator('.steps > li[aria-current="step"] h3', { hasText: title }).waitFor();
    await atStep('Create a new key');

    // 1. The new key, its secret shown once.
    await page.getByRole('button', { name: 'Create the new key' }).click();
    await page
      .getByRole('dialog', { name: 'Create an AccessKey' })
      .getByRole('button', { name: 'Create AccessKey' })
      .click();
    const shown = page.getByRole('dialog', { name: 'AccessKey created' });
    const newId = (await shown.getByTestId('new-key-id').textContent()) ?? '';
    expect(newId).toMatch(/^LTAI/);
    await shown.getByRole('button', { name: 'I have stored the secret' }).click();
    await atStep('Switch the application');
    await page.getByRole('link', { name: newId }).waitFor();
    await expect(page.getByTestId('old-last-use').textContent()).resolves.toBe('never used');
    await screenshot(page, 'rotate');

    // 2. The application moved; 3. the old key disabled; 4. deleted.
    await page.getByRole('button', { name: 'The application uses the new key' }).click();
    await page.getByRole('button', { name: 'Disable the old key' }).click();
    await atStep('Delete the old key');
    await page.getByRole('button', { name: 'Delete the old key' }).click();
    const confirm = page.getByRole('dialog', { name: `Delete AccessKey ${oldId}?` });
    await confirm.getByLabel(/to confirm/).fill(oldId);
    await confirm.getByRole('button', { name: 'Delete AccessKey' }).click();
    await page.getByText('Rotation done').waitFor();

    const keys = await server.ram.listAccessKeys(new RamModule.ListAccessKeysRequest({ userName: 'ci-bot' }));
    expect(keys.body?.accessKeys?.accessKey?.map((k) => [k.accessKeyId, k.status])).toEqual([
      [newId, 'Active'],
    ]);
    await page.goto(server.url('/alerts'));
    await page.getByRole('heading', { name: 'Restricted keys' }).waitFor();
    await page.locator('.loading').first().waitFor({ state: 'detached' });
    await expect(page.getByText('No key is restricted as leaked.').count()).resolves.toBe(1);

    // The alert webhook: its signing secret shown once, then never again.
    await page.getByLabel('Webhook URL').fill('http://127.0.0.1:9/ramkey-alerts');
    await page.getByRole('button', { name: 'Set webhook' }).click();
    const secret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[0-9A-Za-z]{40}$/);
    const hook = (await callAction(server.server.endpoint, server.adminKey, {
      action: 'GetNotificationWebhook',
      version: '2019-08-15',
    })) as { Webhook: { Url: string } };
    expect(hook.Webhook.Url).toBe('http://127.0.0.1:9/ramkey-alerts');
    await page.getByRole('button', { name: 'I have stored the secret' }).click();
    await page.reload();
    await page.getByText('http://127.0.0.1:9/ramkey-alerts').waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('button', { name: 'Delete webhook' }).click();
    await page
      .getByRole('dialog', { name: 'Delete the webhook?' })
      .getByRole('button', { name: 'Delete webhook' })
      .click();
    await page.getByText('No webhook: alerts are kept here only.').waitFor();
    expect(browser.problems.filter((p) => !p.includes('status of 400'))).toEqual([]);
  });

  it('shows a RAM user without rights the API’s denial on each page, and nothing breaks', async () => {
    const { page } = browser;
    const nobody = await createConsoleUser(server, 'no-rights');
    await signIn(browser, server, nobody.loginName, nobody.password, '/groups-policies');
    for (const route of ['/groups-policies', '/alerts', '/network-policies', '/audit']) {
      await page.goto(server.url(route));
      const denial = page.getByRole('alert').first();
      await expect(denial.locator('.error-code code').textContent()).resolves.toBe('NoPermission');
      await expect(denial.locator('.denied-detail').textContent()).resolves.toContain('AuthAction');
    }
    await page.goto(server.url('/groups-policies'));
    await page.getByRole('alert').first().waitFor();
    await screenshot(page, 'groups-policies-denied');
    expect(browser.problems).toEqual([]);
  });
});
