// Shared by the replay and scale benchmarks: a forked bench server (bench/server.js) and signed load on it.
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { URL, fileURLToPath } from 'node:url';
import { signRpcV1 } from '../dist/core/signature/index.js';

const wireDate = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Forks bench/server.js on a fresh data directory with `env` added; resolves once it listens. */
export async function startServer(env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ramkey-bench-'));
  const child = fork(fileURLToPath(new URL('./server.js', import.meta.url)), [dataDir], {
    env: { ...process.env, ...env },
    // BENCH_SERVER_FLAGS: node flags for the servers (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
    execArgv: (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  let nextId = 0;
  const pending = new Map();
  child.on('message', (m) => {
    if (m?.type === 'stats') pending.get(m.id)?.(m);
  });
  return {
    ...ready,
    dataDir,
    stats: () =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ type: 'stats', id });
      }),
    async stop() {
      // SIGTERM first: a server on PostgreSQL and Redis closes its connections (and its schema can be dropped).
      child.kill('SIGTERM');
      const exited = new Promise((resolve) =>
        child.exitCode === null ? child.once('exit', resolve) : resolve(),
      );
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Signed V1 GetCallerIdentity calls for `seconds` over `connections`, each signed when sent (fresh
 * timestamp and nonce); the server's CPU per completed request from its own process.cpuUsage().
 */
export async function signedLoad(server, seconds, connections) {
  let stamp = '';
  let stampedAt = 0;
  const setupRequest = (req) => {
    const now = Date.now();
    if (now - stampedAt >= 1000) [stamp, stampedAt] = [wireDate(now), now];
    const { query } = signRpcV1({
      method: 'GET',
      params: { Format: 'JSON', Version: '2015-04-01', Action: 'GetCallerIdentity' },
      accessKeyId: server.accessKeyId,
      secret: server.accessKeySecret,
      nonce: randomUUID(),
      timestamp: stamp,
    });
    req.method = 'GET';
    req.path = '/?' + query;
    return req;
  };
  const before = await server.stats();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections,
    duration: seconds,
    timeout: 20,
    requests: [{ setupRequest }],
  });
  const after = await server.stats();
  const completed = result['2xx'] + result.non2xx;
  const cpuUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
  return {
    rps: result['2xx'] / seconds,
    completed,
    failed: result.non2xx + result.errors + result.timeouts,
    codes: result.statusCodeStats,
    usPerReq: cpuUs / Math.max(1, completed),
    latency: result.latency,
  };
}
