// `ramkey services` (signed API calls) and `ramkey global-services` (operator commands on the data
// directory) as users run them: the built command against a server in this process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';
import { runCli } from '../support/ramkey-server.js';
import { ORDERS_DOCUMENT } from '../support/service-documents.js';
import { describeSqlite } from '../support/test-stores.js';

describeSqlite('ramkey services and global-services', () => {
  let app: RunningApp;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'ramkey-services-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  };
  const services = (...args: string[]) => runCli(['services', ...args], env);
  const global = (...args: string[]) => runCli(['global-services', ...args, '--data', app.dataDir], app.env);

  beforeAll(async () => {
    app = await startApp();
    env = {
      RAMKEY_PROFILE_FILE: '/nonexistent/profiles.json',
      RAMKEY_ACCESS_KEY_ID: app.admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: app.admin.accessKeySecret,
      RAMKEY_ENDPOINT: `http://${app.endpoint}`,
    };
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, shows, lists, updates and deletes a service of the account', async () => {
    const orders = file('orders.json', ORDERS_DOCUMENT);
    const created = await services('create', 'orders', '--document', orders, '--description', 'Orders API');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(
      /^Service: +orders\nScope: +Account\nDescription: +Orders API\nCreated: +\S+Z\nUpdated: +\S+Z\n$/,
    );

    const shown = await services('get', 'orders');
    expect(shown.code, shown.stderr).toBe(0);
    // The document follows the fields, pretty-printed.
    expect(shown.stdout).toContain('\n\n{\n  "Version": "1",\n  "Hosts": [\n    "orders.example.com",');
    const asJson = JSON.parse((await services('get', 'orders', '--json')).stdout) as Record<string, unknown>;
    expect(asJson).toMatchObject({ ServiceName: 'orders', Scope: 'Account', Description: 'Orders API' });
    expect(JSON.parse(String(asJson.ServiceDocument))).toEqual(ORDERS_DOCUMENT);

    // From standard input, the document as typed.
    const billing = JSON.stringify({
      Version: '1',
      PathPrefixes: ['/billing'],
      Actions: [{ Name: 'Pay', Access: 'Write' }],
    });
    const piped = await runCli(['services', 'create', 'billing', '--document', '-', '--json'], env, billing);
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ ServiceName: 'billing', ServiceDocument: billing });

    const listed = await services('list');
    expect(listed.stdout.split('\n')[0]).toMatch(/^SERVICE +SCOPE +DESCRIPTION +UPDATED$/);
    expect(listed.stdout).toMatch(/\nbilling +Account +\S+Z\norders +Account +Orders API +\S+Z\n$/);

    const renamed = await services('update', 'orders', '--description', 'Orders, v2', '--json');
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(JSON.parse(renamed.stdout)).toMatchObject({
      Description: 'Orders, v2',
      ServiceDocument: JSON.stringify(ORDERS_DOCUMENT, null, 2),
    });

    const deleted = await services('delete', 'billing');
    expect(deleted).toMatchObject({ code: 0, stdout: 'Deleted the service billing.\n' });
    expect(JSON.parse((await services('list', '--json')).stdout)).toEqual([
      expect.objectContaining({ ServiceName: 'orders' }),
    ]);
  });

  it("says what is wrong: the server's error, an unreadable file, a missing option", async () => {
    const bad = file('bad.json', {
      Version: '1',
      Hosts: ['Orders.example.com'],
      Actions: [{ Name: 'A', Access: 'Read' }],
    });
    const malformed = await services('create', 'shop', '--document', bad);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(
      /^Error: MalformedServiceDocument: The service document is malformed: Hosts\[0\] "Orders.example.com" must be lower case\. \(HTTP 400, RequestId [0-9A-F-]+\)\n$/,
    );
    const missing = await services('get', 'nothing');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error: EntityNotExist.Service: The service does not exist. (HTTP 404');
    const unreadable = await services('create', 'shop', '--document', join(dir, 'absent.json'));
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain(`Error: Cannot read ${join(dir, 'absent.json')}`);
    const nothing = await services('update', 'orders');
    expect(nothing).toMatchObject({
      code: 2,
      stderr: 'Error: Give --document FILE, --description TEXT, or both.\n',
    });
    const noDocument = await services('create', 'shop');
    expect(noDocument.code).toBe(2);
    expect(noDocument.stderr).toContain("required option '--document <file>' not specified");
  });

  it('manages global services on the data directory, which every account then sees', async () => {
    const payments = file('payments.json', {
      Version: '1',
      Hosts: ['pay.example.com'],
      Actions: [{ Name: 'Pay', Access: 'Write', Risk: 'High' }],
    });
    const created = await global('create', 'payments', '--document', payments, '--description', 'Payments');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^Service: +payments\nScope: +Global\nDescription: +Payments\n/);

    const seen = JSON.parse((await services('list', '--json')).stdout) as {
      ServiceName: string;
      Scope: string;
    }[];
    expect(seen).toContainEqual(expect.objectContaining({ ServiceName: 'payments', Scope: 'Global' }));
    // Read-only through the API, with the way to change it in the message.
    const refused = await services('delete', 'payments');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'Error: InvalidParameter.ServiceName.Global: The service "payments" is a global service of the installation: only its operator can change it (ramkey global-services).',
    );

    const updated = await global('update', 'payments', '--description', 'Payments for all', '--json');
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      ServiceName: 'payments',
      Scope: 'Global',
      Description: 'Payments for all',
    });
    const listed = await global('list');
    expect(listed.stdout).toMatch(/\npayments +Global +Payments for all +\S+Z\n$/);
    const shown = await global('get', 'payments', '--json');
    const shownService = JSON.parse(shown.stdout) as { ServiceDocument: string };
    expect(JSON.parse(shownService.ServiceDocument)).toMatchObject({
      Hosts: ['pay.example.com'],
    });

    // The operator's errors read like the API's.
    const clash = await global('create', 'payments-two', '--document', payments);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toBe(
      'Error: EntityAlreadyExists.Service.Route: The service "payments" already claims the host "pay.example.com" with the path prefix "" ("" is any): a request there would match both.\n',
    );
    const reserved = await global('create', 'ram', '--document', payments);
    expect(reserved.stderr).toContain('Error: InvalidParameter.ServiceName.Reserved');

    const deleted = await global('delete', 'payments', '--json');
    expect(JSON.parse(deleted.stdout)).toEqual({ ServiceName: 'payments', Deleted: true });
    const gone = await global('get', 'payments');
    expect(gone).toMatchObject({
      code: 1,
      stderr: 'Error: EntityNotExist.Service: The service does not exist.\n',
    });
    const noInstallation = await runCli(['global-services', 'list', '--data', join(dir, 'none')]);
    expect(noInstallation.code).toBe(1);
    expect(noInstallation.stderr).toContain('No Ramkey installation in');
  });
});
