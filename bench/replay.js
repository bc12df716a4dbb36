// Replay protection benchmark: its server CPU per signed request (durable store vs off, same run), and
// sustained signed load at the server's maximum rate for longer than a shortened window, with its bytes per nonce.
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import process from 'node:process';
import { signedLoad, startServer } from './signed-load.js';

const CONNECTIONS = 50;
/** Paired cost runs (durable, then off, alternating the order), seconds each. */
const COST_ROUNDS = 4;
const COST_SECONDS = 5;
/** The shortened window and a sustained run well past it (and past the purge's 60 s grace + 30 s interval). */
const WINDOW_MS = 10_000;
const SUSTAINED_SECONDS = Number(process.env.RAMKEY_BENCH_SUSTAINED_SECONDS ?? 110);

const print = (line = '') => process.stdout.write(line + '\n');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const load = (server, seconds) => signedLoad(server, seconds, CONNECTIONS);

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
