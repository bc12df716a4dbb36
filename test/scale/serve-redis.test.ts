// `ramkey serve` with RAMKEY_REDIS_URL (the built CLI): it serves signed calls with its nonces in
// Redis under RAMKEY_REDIS_PREFIX, never logs the URL's password, and stops cleanly; on PostgreSQL
// without Redis it refuses to start unless told it is the only node.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, type RunningServer } from '../support/ramkey-server.js';
import { adminRedis, describeScaleOut, testRedisUrl, uniqueRedisPrefix } from '../support/redis.js';
import { clients } from '../support/sdk.js';

describe('ramkey serve refuses a scale-out it cannot make safe', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ramkey-scale-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('on PostgreSQL without Redis, unless RAMKEY_SINGLE_NODE=1', async () => {
    // Refused before anything is opened: the database need not even exist.
    const env = { RAMKEY_DATABASE_URL: 'postgres://127.0.0.1:1/nowhere' };
    const res = await runCli(['serve', '--data', dir, '--port', '0'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('RAMKEY_REDIS_URL');
    expect(res.stderr).toContain('RAMKEY_SINGLE_NODE=1');
    const single = await runCli(['serve', '--data', dir, '--port', '0'], { ...env, RAMKEY_SINGLE_NODE: '1' });
    // Past that check: it stops only because there is no database there, and says so.
    expect(single.code).toBe(1);
    expect(single.stderr).not.toContain('RAMKEY_SINGLE_NODE');
    expect(single.stderr).toContain('Error: the database is unreachable (connect ECONNREFUSED');
  });

  it('with a RAMKEY_REDIS_URL that is not redis:// or rediss://, without repeating it', async () => {
    const res = await runCli(['serve', '--data', dir, '--port', '0'], {
      RAMKEY_REDIS_URL: 'http://user:hunter2-secret@127.0.0.1:6379',
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('Invalid RAMKEY_REDIS_URL');
    expect(res.stderr).not.toContain('hunter2-secret');
  });
});

await describeScaleOut('ramkey serve with RAMKEY_REDIS_URL', () => {
  const prefix = uniqueRedisPrefix();
  const redis = adminRedis();
  let server: RunningServer;
  // A password Redis does not ask for: the client sends it, and it must appear in no log line.
  const url = new URL(testRedisUrl);
  url.username = 'default';
  url.password = `pw-${randomUUID()}`;

  beforeAll(async () => {
    server = await startServer({
      engine: 'postgres',
      env: { RAMKEY_REDIS_URL: url.toString(), RAMKEY_REDIS_PREFIX: prefix },
    });
    await redis.connect();
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('keeps its nonces in Redis under the prefix, logs no password, and stops cleanly', async () => {
    const admin = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
    const deadline = Date.now() + 5000;
    while ((await fetch(`http://${server.endpoint}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('not ready within 5 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const who = await clients(server.endpoint, admin, 'v3').sts.getCallerIdentity();
    expect(who.body?.accountId).toBe(server.admin.accountId);
    expect(await redis.keys(`${prefix}nonce:*`)).toHaveLength(1);

    const code = await server.stop();
    expect(code).toBe(0);
    const logs = server.logs.join('\n');
    expect(logs).toContain('scale-out: nonces and the change bus in Redis');
    expect(logs).toContain(`"redis":"redis://${url.host}"`);
    expect(logs).not.toContain(url.password);
  });
});
