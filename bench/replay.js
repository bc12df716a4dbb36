// Replay protection benchmark: its server CPU per signed request (durable store vs off, same run), and
// sustained signed load at the server's maximum rate for longer than a shortened window, with its bytes per nonce.
import autocannon from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { signRpcV1 } from '../dist/core/signature/index.js';

const CONNECTIONS = 50;
/** Paired cost runs (durable, then off, alternating the order), seconds each. */
const COST_ROUNDS = 4;
const COST_SECONDS = 5;
/** The shortened window and a sustained run well past it (and past the purge's 60 s grace + 30 s interval). */
const WINDOW_MS = 10_000;
const SUSTAINED_SECONDS = Number(process.env.RAMKEY_BENCH_SUSTAINED_SECONDS ?? 110);

const print = (line = '') => process.stdout.write(line + '\n');
const wireDate = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function startServer(env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ramkey-bench-replay-'));
  const child = fork(fileURLToPath(new URL('./server.js', import.meta.url)), [dataDir], {
    env: { ...process.env, ...env },
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
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Signed V1 GetCallerIdentity calls for `seconds`, each signed when sent (fresh timestamp and nonce). */
async function load(server, seconds) {
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
    connections: CONNECTIONS,
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
  };
}

const describe = (label, r) =>
  `${label.padEnd(22)}${Math.round(r.rps).toLocaleString('en-US').padStart(8)} req/s` +
  `${r.usPerReq.toFixed(1).padStart(8)} us CPU/req${String(r.failed).padStart(8)} failed`;

// 1. The cost of replay protection: server CPU per signed request, durable store vs none.
print('Replay protection: server CPU per signed V1 GetCallerIdentity (50 connections)');
const durable = await startServer({});
const off = await startServer({ RAMKEY_BENCH_NONCES: 'off' });
await load(durable, 2); // warm-up: JIT, key cache
await load(off, 2);
const costs = [];
for (let round = 0; round < COST_ROUNDS; round++) {
  const order = round % 2 === 0 ? [durable, off] : [off, durable];
  const runs = new Map();
  for (const server of order) runs.set(server, await load(server, COST_SECONDS));
  const [d, o] = [runs.get(durable), runs.get(off)];
  print(describe(`#${round + 1} durable nonces`, d));
  print(describe(`#${round + 1} no replay check`, o));
  costs.push({ extraUs: d.usPerReq - o.usPerReq, rate: d.rps / o.rps, cpu: o.usPerReq / d.usPerReq });
}
print(
  `median: replay protection costs ${median(costs.map((c) => c.extraUs)).toFixed(1)} us of server CPU per request; ` +
    `durable/off: req/s ${median(costs.map((c) => c.rate)).toFixed(2)}, CPU ${median(costs.map((c) => c.cpu)).toFixed(2)}`,
);
await durable.stop();
await off.stop();

// 2. Sustained load past a shortened window: no ServiceUnavailable, the table bounded by rate x window.
print();
print(
  `Sustained: ${SUSTAINED_SECONDS} s at full rate, window ${WINDOW_MS / 1000} s (rows live window + 60 s grace)`,
);
const sustained = await startServer({ RAMKEY_BENCH_WINDOW_MS: String(WINDOW_MS) });
const run = await load(sustained, SUSTAINED_SECONDS);
print(describe('sustained', run) + `  status codes ${JSON.stringify(run.codes)}`);
const db = new BetterSqlite3(join(sustained.dataDir, 'ramkey.db'), { readonly: true });
const rows = db.prepare('select count(*) as n from nonces').get().n;
const bytes = db.prepare("select sum(pgsize) as b from dbstat where name = 'nonces'").get().b ?? 0;
db.close();
print(
  `nonces table: ${rows.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(1)} MB, ` +
    `${rows ? (bytes / rows).toFixed(1) : '-'} bytes per remembered nonce on disk`,
);
await sustained.stop();
if (run.failed > 0) {
  print('FAILED: refusals under sustained load');
  process.exitCode = 1;
}
