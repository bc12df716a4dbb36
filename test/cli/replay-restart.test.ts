// End-to-end replay protection: a real `ramkey serve` answers a captured signed call once, and refuses
// it after a graceful restart and after kill -9, on SQLite and PostgreSQL.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1 } from '../../src/core/signature/index.js';
import { startServer, type RunningServer, type StartOptions } from '../support/ramkey-server.js';
import { storeSelected } from '../support/test-stores.js';

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

async function send(server: RunningServer, query: string): Promise<Answer> {
  const res = await fetch(`http://${server.endpoint}/?${query}`);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A V1-signed GET with the admin key, as captured on the wire by whoever would replay it. */
function capture(server: RunningServer, params: Record<string, string>): string {
  return signRpcV1({
    method: 'GET',
    params: { Format: 'JSON', ...params },
    accessKeyId: server.admin.accessKeyId,
    secret: server.admin.accessKeySecret,
    nonce: randomUUID(),
    timestamp: toWireDate(Date.now()),
  }).query;
}

const engines = (['sqlite', 'postgres'] as const).filter((e) => storeSelected(e));

describe.each(engines)('replays across restarts, on %s', (engine) => {
  let server: RunningServer | undefined;
  /** The first server of the test: its stop() removes the data (directory or PostgreSQL database). */
  let original: RunningServer | undefined;

  afterEach(async () => {
    await server?.stop({ keepData: true });
    await original?.stop();
    server = original = undefined;
  });

  /** Stops the server (gracefully or with SIGKILL) and starts another on the same data. */
  async function restart(how: 'SIGTERM' | 'SIGKILL'): Promise<RunningServer> {
    const old = server as RunningServer;
    if (how === 'SIGKILL') old.process.kill('SIGKILL');
    await old.stop({ keepData: true });
    const reuse: StartOptions['reuse'] = { dataDir: old.dataDir, admin: old.admin };
    // The same database: the PostgreSQL URL travels in the environment, SQLite in the data directory.
    server = await startServer({ reuse, env: old.env });
    return server;
  }

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    // Security: the adversarial review's replay. A captured CreateAccessKey must never hand out a
    // second secret, whatever happened to the server in between.
    'refuses a captured CreateAccessKey after %s and a restart',
    async (how) => {
      server = original = await startServer({ engine });
      const userName = `replay-${how.toLowerCase()}`;
      const created = await send(
        server,
        capture(server, { Action: 'CreateUser', Version: '2015-05-01', UserName: userName }),
      );
      expect(created.status, JSON.stringify(created.json)).toBe(200);

      const createKey = capture(server, {
        Action: 'CreateAccessKey',
        Version: '2015-05-01',
        UserName: userName,
      });
      const first = await send(server, createKey);
      expect(first.status, JSON.stringify(first.json)).toBe(200);
      const listKeys = () =>
        capture(server as RunningServer, {
          Action: 'ListAccessKeys',
          Version: '2015-05-01',
          UserName: userName,
        });

      const after = await restart(how);
      const replay = await send(after, createKey);
      expect(replay.status).toBe(400);
      expect(replay.json.Code).toBe('SignatureNonceUsed');
      // Still the one key: the replay created nothing (a user may hold two, so it could have).
      const keys = await send(after, listKeys());
      expect(keys.status).toBe(200);
      expect(JSON.stringify(keys.json).match(/"AccessKeyId"/g)).toHaveLength(1);
    },
  );

  it('refuses a replayed GetCallerIdentity after kill -9, and answers a fresh one', async () => {
    server = original = await startServer({ engine });
    const whoAmI = capture(server, { Action: 'GetCallerIdentity', Version: '2015-04-01' });
    expect((await send(server, whoAmI)).status).toBe(200);
    const after = await restart('SIGKILL');
    expect((await send(after, whoAmI)).json.Code).toBe('SignatureNonceUsed');
    expect(
      (await send(after, capture(after, { Action: 'GetCallerIdentity', Version: '2015-04-01' }))).status,
    ).toBe(200);
  });
});

describe.runIf(storeSelected('sqlite'))('one server per SQLite installation', () => {
  let first: RunningServer | undefined;

  afterEach(async () => {
    await first?.stop();
    first = undefined;
  });

  it('refuses to start a second server on the same data directory, and the first keeps serving', async () => {
    first = await startServer();
    const reuse: StartOptions['reuse'] = { dataDir: first.dataDir, admin: first.admin };
    // Its nonces would live in another process's memory, where the first could not see them.
    await expect(startServer({ reuse })).rejects.toThrow(/another Ramkey server is using this database/);
    const whoAmI = capture(first, { Action: 'GetCallerIdentity', Version: '2015-04-01' });
    expect((await send(first, whoAmI)).status).toBe(200);
    expect((await send(first, whoAmI)).json.Code).toBe('SignatureNonceUsed');
  });
});
