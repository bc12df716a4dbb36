// A live AccessKey secret sent where it does not belong (as UserAccessKeyId, as an arbitrary
// parameter, as the key ID, the action, in the user agent, inside a resource name) is masked in
// every event: LookupEvents, the CLI export, the raw SQLite database and the debug log never hold it,
// while an honest 30-character value next to it is kept as sent.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { REDACTED_PATHS } from '../../src/cli/logger.js';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1 } from '../../src/core/signature/index.js';
import { makeGateFixture, type GateFixture, type Key } from '../support/gate-fixture.js';
import { runCli } from '../support/ramkey-server.js';
import { callAction } from '../support/sdk.js';
import { describeSqlite } from '../support/test-stores.js';

type Json = Record<string, unknown>;

describeSqlite('secrets sent where they do not belong', () => {
  let fixture: GateFixture;
  let app: ReturnType<typeof buildApp>;
  let endpoint: string;
  const logs: string[] = [];
  /** A live key's secret: the one that goes astray. */
  let leaked: Key;
  /** A RAM user without policies: its refusals name the resource, built from the parameters. */
  let nobody: Key;
  /** 30 base62 characters that are no secret: must be kept as sent. */
  const honest = 'HonestUserNameOfThirtyChars012';

  beforeAll(async () => {
    fixture = await makeGateFixture();
    fixture.clock.set(Date.now());
    leaked = await fixture.userWithKey('leaky');
    nobody = await fixture.userWithKey('nobody');
    await fixture.ramkey.secretIndex.load();
    const logger = pino(
      { level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } },
      { write: (line: string) => logs.push(line) },
    );
    app = buildApp({ ramkey: fixture.ramkey, logger });
    await app.listen({ host: '127.0.0.1', port: 0 });
    endpoint = `127.0.0.1:${String((app.server.address() as AddressInfo).port)}`;
  });

  afterAll(async () => {
    await app.close();
    await fixture.close();
  });

  /** A V1-signed GET; returns the status. */
  async function call(key: Key, params: Record<string, string>, headers: Record<string, string> = {}) {
    const signed = signRpcV1({
      method: 'GET',
      params: { Version: '2015-05-01', Format: 'JSON', ...params },
      accessKeyId: key.id,
      secret: key.secret,
      nonce: randomUUID(),
      timestamp: toWireDate(Date.now()),
    });
    const res = await fetch(`http://${endpoint}/?${signed.query}`, { headers });
    await res.text();
    return res.status;
  }

  async function lookupEvents(key: Key): Promise<Json> {
    return (await callAction(endpoint, key, {
      action: 'LookupEvents',
      version: '2020-07-06',
      query: { LookupAttribute: [{ Key: 'EventAccessKeyId', Value: key.id }], MaxResults: 50 },
    })) as Json;
  }

  it('masks the secret in LookupEvents, the export, the database and the log, and keeps the rest', async () => {
    const root = fixture.root;
    const secret = leaked.secret;
    // The reviewer's two cases: the secret as the key to act on, and in a parameter of any name.
    expect(
      await call(root, {
        Action: 'UpdateAccessKey',
        UserName: 'leaky',
        UserAccessKeyId: secret,
        Status: 'Inactive',
      }),
    ).toBe(404);
    await call(root, { Action: 'ListUsers', AccessKey: secret, Comments: honest });
    // In the user agent, as the action, and as the key ID.
    expect(await call(root, { Action: 'ListUsers' }, { 'user-agent': `curl/8 (${secret})` })).toBe(200);
    await call(root, { Action: secret });
    await call({ id: secret, secret }, { Action: 'ListUsers' });
    // Refused for lack of permission: the resource the refusal names comes from UserName.
    expect(await call(nobody, { Action: 'GetUser', UserName: secret })).toBe(403);

    await fixture.ramkey.usage.flush();
    const found = await lookupEvents(root);
    const text = JSON.stringify(found);
    const events = (found.Events as Json[] | undefined) ?? [];
    expect(events.length).toBe(3);
    // The events are there, with the secret masked and the honest value whole.
    expect(text).toContain('****');
    expect(text).toContain(honest);
    expect(text).toContain('curl/8 (****)');
    expect(text.includes(secret), 'LookupEvents holds the secret').toBe(false);

    const exported = await runCli(['audit', 'export', '--since', '1h', '--until', '0s'], {
      RAMKEY_ACCESS_KEY_ID: root.id,
      RAMKEY_ACCESS_KEY_SECRET: root.secret,
      RAMKEY_ENDPOINT: `http://${endpoint}`,
    });
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    const params = lines.map((e) => e.requestParameters as Record<string, string>);
    expect(params).toContainEqual(
      expect.objectContaining({ UserAccessKeyId: '****', UserName: 'leaky', Status: 'Inactive' }),
    );
    expect(params).toContainEqual(expect.objectContaining({ AccessKey: '****', Comments: honest }));
    expect(exported.stdout.includes(secret), 'the export holds the secret').toBe(false);

    // The call that named the secret as its key ID is no one's: only the database holds its event.
    const byId = await fixture.handle.raw
      .selectFrom('audit_events')
      .select(['access_key_id', 'event_name'])
      .where('account_id', 'is', null)
      .execute();
    expect(byId).toContainEqual({ access_key_id: '****', event_name: 'ListUsers' });
    const nameless = await fixture.handle.raw
      .selectFrom('audit_events')
      .select('event_name')
      .where('access_key_id', '=', root.id)
      .where('error_code', '!=', '')
      .execute();
    expect(nameless.map((e) => e.event_name)).toContain('(invalid)');

    const files = [fixture.handle.file, `${fixture.handle.file}-wal`].filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(readFileSync(file).toString('latin1').includes(secret), `${file} holds the secret`).toBe(false);
    }
    expect(logs.some((l) => l.includes('request refused'))).toBe(true);
    expect(
      logs.filter((l) => l.includes(secret)),
      'the log holds the secret',
    ).toEqual([]);
  });
});
