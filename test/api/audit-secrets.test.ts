// After a full scenario (users, keys, good and bad calls, secrets sent where they do not belong), no
// secret, password or signature appears in any stored event, in the database files, in the
// exported trail, or in a log line (debug level). In process; the export goes through the CLI.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1, signV3 } from '../../src/core/signature/index.js';
import { startApp } from '../support/in-process-server.js';
import { runCli } from '../support/ramkey-server.js';
import { clients, RamModule, type Key } from '../support/sdk.js';
import { describeSqlite } from '../support/test-stores.js';

/** Sends a raw signed request and returns its status; the signature is remembered for the scan. */
async function send(endpoint: string, url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(`http://${endpoint}${url}`, init);
  await res.text();
  return res.status;
}

describeSqlite('secrets in the audit trail and logs', () => {
  it('keeps every secret, password and signature out of events, database files, export and logs', async () => {
    const server = await startApp();
    const admin: Key = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
    const secrets: string[] = [server.admin.accessKeySecret, server.admin.password];
    if (server.admin.rootAccessKeySecret) secrets.push(server.admin.rootAccessKeySecret);
    const signatures: string[] = [];
    try {
      const ram = clients(server.endpoint, admin, 'v3').ram;
      await ram.createUser(new RamModule.CreateUserRequest({ userName: 'scan' }));
      const made = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'scan' }));
      const user: Key = {
        id: made.body?.accessKey?.accessKeyId ?? '',
        secret: made.body?.accessKey?.accessKeySecret ?? '',
      };
      secrets.push(user.secret);
      await clients(server.endpoint, user, 'v2').sts.getCallerIdentity();

      // V1 calls whose signatures we know: a good one, one with a secret in parameters where it does
      // not belong (refused as unknown to the action, but audited), and one with a wrong secret.
      const v1 = (key: Key, params: Record<string, string>) => {
        const signed = signRpcV1({
          method: 'GET',
          params: { Version: '2015-05-01', Format: 'JSON', ...params },
          accessKeyId: key.id,
          secret: key.secret,
          nonce: randomUUID(),
          timestamp: toWireDate(server.clock.now()),
        });
        signatures.push(signed.signature);
        return send(server.endpoint, `/?${signed.query}`);
      };
      expect(await v1(admin, { Action: 'ListUsers' })).toBe(200);
      await v1(admin, {
        Action: 'CreateUser',
        UserName: 'leaky',
        Password: server.admin.password,
        AccessKeySecret: user.secret,
        NewPassword: server.admin.password,
      });
      expect(await v1({ id: user.id, secret: 'w'.repeat(30) }, { Action: 'ListUsers' })).toBe(400);
      // A wrong secret with secrets in the parameters: the refusal's string to sign holds every
      // signed value, so the event must not keep it.
      expect(
        await v1(
          { id: user.id, secret: 'w'.repeat(30) },
          { Action: 'ListUsers', AccessKeySecret: user.secret, Password: server.admin.password },
        ),
      ).toBe(400);
      // A secret pasted into the AccessKeyId field.
      expect(await v1({ id: user.secret, secret: user.secret }, { Action: 'ListUsers' })).toBe(404);

      // A V3 call (its signature travels in the Authorization header).
      const host = server.endpoint;
      const v3 = signV3({
        method: 'POST',
        host,
        action: 'GetUser',
        version: '2015-05-01',
        query: { UserName: 'scan' },
        body: '',
        accessKeyId: user.id,
        secret: user.secret,
        nonce: randomUUID(),
        date: toWireDate(server.clock.now()),
      });
      signatures.push(v3.signature);
      await send(server.endpoint, `/?${new URLSearchParams(v3.query).toString()}`, {
        method: 'POST',
        headers: v3.headers,
      });

      await server.flush();
      const exported = await runCli(['audit', 'export', '--since', '1h', '--until', '0s'], {
        RAMKEY_ACCESS_KEY_ID: admin.id,
        RAMKEY_ACCESS_KEY_SECRET: admin.secret,
        RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      });
      expect(exported.code, exported.stderr).toBe(0);
      const events = exported.stdout.trim().split('\n');
      // The scenario really is in the trail: the leaky CreateUser with its harmless parameter kept.
      const leaky = events
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((e) => {
          const params = e.requestParameters as Record<string, string>;
          return params.UserName === 'leaky';
        });
      expect(leaky?.requestParameters).toEqual({ Format: 'JSON', UserName: 'leaky' });
      // Eight calls named a key of the account; the one with a secret for an ID is no one's.
      expect(events).toHaveLength(8);

      // Everything is written: what is not in the database file is in its write-ahead log.
      const files = ['ramkey.db', 'ramkey.db-wal']
        .map((f) => join(server.dataDir, f))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f).toString('latin1'));
      const haystacks: [string, string][] = [
        ['exported events', exported.stdout],
        ['server logs', server.logs.join('\n')],
        ...files.map((text, i): [string, string] => [`database file ${String(i)}`, text]),
      ];
      expect(server.logs.some((l) => l.includes('"level":20'))).toBe(true);
      for (const [where, text] of haystacks) {
        for (const needle of [...secrets, ...signatures]) {
          expect(text.includes(needle), `${where} contains a secret, password or signature`).toBe(false);
        }
      }
    } finally {
      await server.stop();
    }
  });
});

describeSqlite('source addresses behind a trusted proxy', () => {
  it('records the address a trusted proxy names, and "(invalid)" for anything that is not one', async () => {
    const server = await startApp({ trustProxy: ['127.0.0.1'] });
    const admin: Key = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
    try {
      for (const forwarded of ['203.0.113.9', '=HYPERLINK("http://x")', '2001:db8::7']) {
        const signed = signRpcV1({
          method: 'GET',
          params: { Version: '2015-04-01', Format: 'JSON', Action: 'GetCallerIdentity' },
          accessKeyId: admin.id,
          secret: admin.secret,
          nonce: randomUUID(),
          timestamp: toWireDate(server.clock.now()),
        });
        expect(
          await send(server.endpoint, `/?${signed.query}`, { headers: { 'x-forwarded-for': forwarded } }),
        ).toBe(200);
      }
      await server.flush();
      const ips = await runCli(['keys', 'ips', admin.id, '--json'], {
        RAMKEY_ACCESS_KEY_ID: admin.id,
        RAMKEY_ACCESS_KEY_SECRET: admin.secret,
        RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      });
      expect(ips.code, ips.stderr).toBe(0);
      // The CLI's own call came straight from 127.0.0.1, and is not counted before the flush.
      expect((JSON.parse(ips.stdout) as { Ip: string }[]).map((r) => r.Ip).sort()).toEqual(
        ['(invalid)', '2001:db8::7', '203.0.113.9'].sort(),
      );
    } finally {
      await server.stop();
    }
  });
});
