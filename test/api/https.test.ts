// Ramkey over HTTPS (RAMKEY_TLS_CERT / RAMKEY_TLS_KEY) with a certificate made for this test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Darabonba, sdkConfig, StsModule } from '../support/sdk.js';
import { runCli, startServer, type RunningServer } from '../support/ramkey-server.js';

const dir = mkdtempSync(join(tmpdir(), 'ramkey-tls-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
let server: RunningServer;

beforeAll(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  server = await startServer({ env: { RAMKEY_TLS_CERT: cert, RAMKEY_TLS_KEY: key } });
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTPS', () => {
  it('serves the CLI over TLS, verifying the certificate', async () => {
    const res = await runCli(['whoami', '--json'], {
      NODE_EXTRA_CA_CERTS: cert,
      RAMKEY_PROFILE_FILE: '/nonexistent',
      RAMKEY_ENDPOINT: `https://${server.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: server.admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: server.admin.accessKeySecret,
    });
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as Record<string, string>).IdentityType).toBe('RAMUser');
  });

  it('serves the official SDK over TLS', async () => {
    const sts = new StsModule.default(
      sdkConfig(
        server.endpoint,
        { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret },
        'v3',
        'https',
      ),
    );
    // The test certificate is self-signed; the CLI test above verifies it properly.
    const me = await sts.getCallerIdentityWithOptions(new Darabonba.RuntimeOptions({ ignoreSSL: true }));
    expect(me.body?.accountId).toBe(server.admin.accountId);
  });

  it('marks the console session cookie Secure', async () => {
    const body = JSON.stringify({ LoginName: server.admin.loginName, Password: server.admin.password });
    const answer = await new Promise<{ status: number; cookie: string[] }>((resolve, reject) => {
      const req = request(
        `https://${server.endpoint}/console/api/signin`,
        {
          method: 'POST',
          ca: readFileSync(cert),
          headers: { 'content-type': 'application/json', origin: `https://${server.endpoint}` },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, cookie: res.headers['set-cookie'] ?? [] });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(200);
    expect(answer.cookie[0]).toMatch(
      /^ramkey_console=[\w-]+; Path=\/console; HttpOnly; SameSite=Strict; Secure$/,
    );
  });

  it('does not answer plain HTTP on the TLS port', async () => {
    await expect(fetch(`http://${server.endpoint}/health`)).rejects.toThrow();
  });
});
