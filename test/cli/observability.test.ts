// `ramkey serve` as operators watch it: RAMKEY_LOG_FORMAT=pretty prints lines for people, with the
// request IDs and without secrets; /metrics answers with Ramkey's and the process's metrics; malformed
// settings stop it before it serves.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from '../support/prometheus.js';
import { runCli, startServer, type RunningServer } from '../support/ramkey-server.js';
import { clients, RamModule, sdkError, type Key } from '../support/sdk.js';

let server: RunningServer;
let admin: Key;

beforeAll(async () => {
  server = await startServer({ env: { RAMKEY_LOG_FORMAT: 'pretty' } });
  admin = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
}, 60_000);
afterAll(async () => {
  await server.stop();
});

function get(path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: server.port, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
        });
      })
      .on('error', reject);
  });
}

describe('ramkey serve with RAMKEY_LOG_FORMAT=pretty', () => {
  it('logs lines for people, with request IDs and without secrets', async () => {
    const ram = clients(server.endpoint, admin, 'v3').ram;
    await ram.createUser(new RamModule.CreateUserRequest({ userName: 'pretty-logs' }));
    const made = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'pretty-logs' }));
    const newSecret = made.body?.accessKey?.accessKeySecret ?? '';
    expect(newSecret).toHaveLength(30);
    const wrong = clients(server.endpoint, { id: admin.id, secret: 'w'.repeat(30) }, 'v3').ram;
    const refused = await sdkError(wrong.listUsers(new RamModule.ListUsersRequest({})));
    expect(refused.code).toBe('SignatureDoesNotMatch');
    const requestId = String(refused.data?.RequestId);

    await expect.poll(() => server.logs.join('\n')).toContain(`reqId: "${requestId}"`);
    const logs = server.logs.join('\n');
    expect(logs).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: Ramkey is serving$/m);
    expect(logs).toContain(
      `] DEBUG: request refused\n    reqId: "${requestId}"\n    code: "SignatureDoesNotMatch"`,
    );
    expect(server.logs.some((line) => line.startsWith('{'))).toBe(false);
    for (const secret of [newSecret, admin.secret, server.admin.password]) expect(logs).not.toContain(secret);
  });

  it('serves /metrics to a local scraper, with the process metrics', async () => {
    const answer = await get('/metrics');
    expect(answer.status).toBe(200);
    const names = new Set(parseSamples(answer.text).map((s) => s.name));
    for (const name of [
      'ramkey_requests_total',
      'ramkey_gate_latency_seconds_bucket',
      'ramkey_nonce_store_latency_seconds_count',
      'ramkey_cache_lookups_total',
      'ramkey_audit_queue_events',
      'ramkey_audit_flush_lag_seconds',
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(names).toContain(name);
    }
    expect(
      sampleValue(answer.text, 'ramkey_requests_total', {
        route: 'rpc',
        action: 'ram:CreateAccessKey',
        code: 'Success',
      }),
    ).toBe(1);
    expect(answer.text).not.toContain(admin.id);
  });
});

describe('ramkey serve refuses malformed settings', () => {
  it('stops on an unknown RAMKEY_LOG_FORMAT or a malformed RAMKEY_METRICS_FROM', async () => {
    const format = await runCli(['serve', '--data', server.dataDir, '--port', '0'], {
      RAMKEY_LOG_FORMAT: 'yaml',
    });
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('RAMKEY_LOG_FORMAT');
    const from = await runCli(['serve', '--data', server.dataDir, '--port', '0'], {
      RAMKEY_METRICS_FROM: '10.0.0.0/8,prometheus.internal',
    });
    expect(from.code).toBe(2);
    expect(from.stderr).toContain('RAMKEY_METRICS_FROM');
    expect(from.stderr).toContain('prometheus.internal');
  });
});
