// Scale-out benchmark: key lookup time as the installation grows (1, 10,000 and 1,000,000 keys, on SQLite
// and PostgreSQL), nonce-store latency percentiles (SQLite, PostgreSQL, Redis), and the server CPU per
// signed request of a node on PostgreSQL + Redis next to the same node on SQLite, all in one run.
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import pg from 'pg';
import { systemClock } from '../dist/core/clock.js';
import { cryptoRandom } from '../dist/core/random.js';
import { KeyCache } from '../dist/services/gate/key-cache.js';
import { DurableNonceStore } from '../dist/services/gate/nonce-store.js';
import { createRamkey } from '../dist/services/ramkey.js';
import { openRedis } from '../dist/services/scale/redis-connection.js';
import { RedisNonceStore } from '../dist/services/scale/redis-nonce-store.js';
import { createPostgresStore } from '../dist/store/postgres/postgres-store.js';
import { createSqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { generateMasterKeyText, parseMasterKeyRing, Sealer } from '../dist/store/sealer.js';
import { signedLoad, startServer } from './signed-load.js';

const POSTGRES_URL = process.env.RAMKEY_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.RAMKEY_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Installation sizes for the key-lookup section; BENCH_KEY_COUNTS overrides (comma-separated). */
const KEY_COUNTS = (process.env.BENCH_KEY_COUNTS ?? '1,10000,1000000').split(',').map(Number);
/** Real keys (sealed secrets) looked up; the rest of an installation is filler rows. */
const PROBE_KEYS = 200;
/** Cold lookups per round (probe keys repeated as needed). */
const LOOKUPS_PER_ROUND = 2000;
const LOOKUP_ROUNDS = 5;
/** Nonce-store section: remembers timed one at a time, then with this many in flight. */
const NONCE_SEQUENTIAL = 3000;
const NONCE_CONCURRENT = 20_000;
const NONCE_IN_FLIGHT = 64;
/** CPU section: paired rounds (SQLite node, then PostgreSQL + Redis node, alternating), seconds each. */
const CPU_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const CPU_SECONDS = 5;
const CPU_CONNECTIONS = 16;

const print = (line = '') => process.stdout.write(line + '\n');
const int = (n) => Math.round(n).toLocaleString('en-US');
const fixed = (n, digits = 1) => n.toFixed(digits);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const nowNs = () => process.hrtime.bigint();

// ---------------------------------------------------------------------------------------------------------
// Stores: a throw-away SQLite file, or a throw-away PostgreSQL schema

async function withStore(engine, work) {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ramkey-bench-scale-'));
    const file = join(dir, 'ramkey.db');
    const store = createSqliteStore({ file });
    try {
      await store.migrate();
      return await work(store, {
        fill: (accountId, count) => fillSqlite(file, accountId, count),
      });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const schema = `bench_scale_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const store = createPostgresStore({ url: POSTGRES_URL, schema });
  try {
    await store.migrate();
    return await work(store, { fill: (accountId, count) => fillPostgres(admin, schema, accountId, count) });
  } finally {
    await store.close();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
}

/** Filler keys: live, Active root keys of the account whose secrets are never opened (the probe keys are real). */
function fillSqlite(file, accountId, count) {
  const db = new BetterSqlite3(file);
  try {
    const now = Date.now();
    db.prepare(
      `insert into access_keys (access_key_id, account_id, user_id, status, state, sealed_secret, created_at, updated_at)
       with recursive c(n) as (select 1 union all select n + 1 from c where n < ?)
       select printf('LTAIF%019d', n), ?, null, 'Active', 'live', 'x', ?, ? from c`,
    ).run(count, accountId, now, now);
    db.exec('analyze');
  } finally {
    db.close();
  }
}

async function fillPostgres(client, schema, accountId, count) {
  const now = Date.now();
  await client.query(
    `insert into ${schema}.access_keys (access_key_id, account_id, user_id, status, state, sealed_secret, created_at, updated_at)
     select 'LTAIF' || lpad(n::text, 19, '0'), $1, null, 'Active', 'live', 'x', $2, $2
     from generate_series(1, $3) as n`,
    [accountId, now, count],
  );
  await client.query(`analyze ${schema}.access_keys`);
}

// ---------------------------------------------------------------------------------------------------------
// 1. Key lookup: the gate's cold path (a key not in the node's cache): record, owner, restrictions, the
//    secret opened and prepared. Flat is the target: an indexed primary-key read whatever the size.

async function keyLookup(engine, total) {
  return withStore(engine, async (store, { fill }) => {
    const sealer = new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom)));
    const ramkey = createRamkey({ store, sealer, nonces: { remember: () => true } });
    try {
      const { account } = await ramkey.identity.createAccount();
      const probes = Math.min(PROBE_KEYS, total);
      const ids = [];
      // A user has two live keys at most: a new user for each pair of probe keys.
      let owner;
      for (let i = 0; i < probes; i++) {
        if (i % 2 === 0)
          owner = await ramkey.identity.createUser(account.accountId, { userName: `bench-${i}` });
        const created = await ramkey.accessKeys.create({
          accountId: account.accountId,
          userId: owner.userId,
        });
        ids.push(created.key.accessKeyId);
      }
      if (total > probes) await fill(account.accountId, total - probes);
      const cache = new KeyCache(store, sealer, systemClock);
      // Warm the statement caches and the JIT, then time rounds of cold lookups.
      for (const id of ids) {
        cache.clear();
        await cache.get(id);
      }
      const perLookupUs = [];
      for (let round = 0; round < LOOKUP_ROUNDS; round++) {
        const t0 = nowNs();
        for (let i = 0; i < LOOKUPS_PER_ROUND; i++) {
          const id = ids[i % ids.length];
          cache.clear();
          if (!(await cache.get(id))) throw new Error(`probe key ${id} not found`);
        }
        perLookupUs.push(Number(nowNs() - t0) / 1000 / LOOKUPS_PER_ROUND);
      }
      return median(perLookupUs);
    } finally {
      await ramkey.close();
    }
  });
}

async function keyLookupSection(engines) {
  print('## Key lookup (cold: not in the node cache), µs per lookup, median of rounds');
  print();
  print(`| keys | ${engines.join(' | ')} |`);
  print(`|---:|${engines.map(() => '---:').join('|')}|`);
  const results = {};
  for (const total of KEY_COUNTS) {
    const row = [];
    for (const engine of engines) {
      const t0 = Date.now();
      const us = await keyLookup(engine, total);
      results[`${engine}:${total}`] = us;
      row.push(fixed(us));
      process.stderr.write(
        `  key lookup ${engine} ${int(total)} keys: ${fixed(us)} µs (${int(Date.now() - t0)} ms)\n`,
      );
    }
    print(`| ${int(total)} | ${row.join(' | ')} |`);
  }
  print();
  for (const engine of engines) {
    const first = results[`${engine}:${KEY_COUNTS[0]}`];
    const last = results[`${engine}:${KEY_COUNTS.at(-1)}`];
    print(`${engine}: ${int(KEY_COUNTS.at(-1))} keys vs ${int(KEY_COUNTS[0])}: ${fixed(last / first, 2)}x`);
  }
  print();
}

// ---------------------------------------------------------------------------------------------------------
// 2. Nonce store: the latency of remembering one nonce (what each signed call waits for), alone and with
//    others in flight, as percentiles.

function percentiles(samplesUs) {
  const s = Float64Array.from(samplesUs).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] };
}

async function timeNonces(nonces) {
  const window = 15 * 60_000;
  const keyId = 'LTAIbenchbenchbenchbench';
  let n = 0;
  const once = async () => {
    const t0 = nowNs();
    const now = Date.now();
    if (!(await nonces.remember(keyId, `nonce-${process.pid}-${n++}-${now}`, now + window, now))) {
      throw new Error('a fresh nonce was refused');
    }
    return Number(nowNs() - t0) / 1000;
  };
  for (let i = 0; i < 500; i++) await once();
  const sequential = [];
  for (let i = 0; i < NONCE_SEQUENTIAL; i++) sequential.push(await once());
  const concurrent = [];
  let started = 0;
  const worker = async () => {
    while (started++ < NONCE_CONCURRENT) concurrent.push(await once());
  };
  const t0 = nowNs();
  await Promise.all(Array.from({ length: NONCE_IN_FLIGHT }, worker));
  const seconds = Number(nowNs() - t0) / 1e9;
  return {
    sequential: percentiles(sequential),
    concurrent: percentiles(concurrent),
    rate: NONCE_CONCURRENT / seconds,
  };
}

async function nonceSection(engines, extra) {
  print(`## Nonce store: µs to remember one nonce (alone; then ${NONCE_IN_FLIGHT} in flight)`);
  print();
  print('| store | alone p50 | p90 | p99 | max | in flight p50 | p90 | p99 | max | nonces/s |');
  print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const row = (name, r) =>
    print(
      `| ${name} | ${[r.sequential.p50, r.sequential.p90, r.sequential.p99, r.sequential.max, r.concurrent.p50, r.concurrent.p90, r.concurrent.p99, r.concurrent.max].map((x) => int(x)).join(' | ')} | ${int(r.rate)} |`,
    );
  for (const engine of engines) {
    await withStore(engine, async (store) => {
      await store.claimNonces();
      const nonces = new DurableNonceStore(store, { clock: systemClock });
      try {
        row(`${engine} (durable, group commit)`, await timeNonces(nonces));
      } finally {
        await nonces.close();
      }
    });
  }
  for (const [name, open] of extra) {
    const { nonces, close } = await open();
    try {
      row(name, await timeNonces(nonces));
    } finally {
      await close();
    }
  }
  print();
}

// ---------------------------------------------------------------------------------------------------------
// 3. A node's CPU per signed request: on PostgreSQL + Redis (nonces SET NX in Redis, the change bus
//    subscribed) next to the same node on SQLite (durable nonces group-committed to the file).

async function cpuSection() {
  print(
    `## Server CPU per signed V1 GetCallerIdentity (${CPU_CONNECTIONS} connections, ${CPU_SECONDS} s runs)`,
  );
  print();
  const schema = `bench_node_${process.pid}_${Date.now()}`;
  const sqlite = await startServer({});
  const scaled = await startServer({
    RAMKEY_BENCH_POSTGRES_URL: POSTGRES_URL,
    RAMKEY_BENCH_POSTGRES_SCHEMA: schema,
    RAMKEY_BENCH_REDIS_URL: REDIS_URL,
    RAMKEY_BENCH_REDIS_PREFIX: `ramkey-bench-${process.pid}:`,
  });
  try {
    await signedLoad(sqlite, 2, CPU_CONNECTIONS); // warm-up: JIT, key cache
    await signedLoad(scaled, 2, CPU_CONNECTIONS);
    print('| round | SQLite req/s | µs CPU/req | PG + Redis req/s | µs CPU/req | CPU ratio | failed |');
    print('|---:|---:|---:|---:|---:|---:|---:|');
    const ratios = [];
    for (let round = 0; round < CPU_ROUNDS; round++) {
      const order = round % 2 === 0 ? [sqlite, scaled] : [scaled, sqlite];
      const runs = new Map();
      for (const server of order) runs.set(server, await signedLoad(server, CPU_SECONDS, CPU_CONNECTIONS));
      const [a, b] = [runs.get(sqlite), runs.get(scaled)];
      ratios.push(b.usPerReq / a.usPerReq);
      print(
        `| ${round + 1} | ${int(a.rps)} | ${fixed(a.usPerReq)} | ${int(b.rps)} | ${fixed(b.usPerReq)} | ${fixed(b.usPerReq / a.usPerReq, 2)} | ${a.failed + b.failed} |`,
      );
    }
    print();
    print(
      `median CPU per request, PostgreSQL + Redis / SQLite: ${fixed(median(ratios), 2)}x (target 1.3x at most)`,
    );
    print();
  } finally {
    await sqlite.stop();
    await scaled.stop();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
}

async function redisReachable() {
  const redis = openRedis(REDIS_URL, 'commands', 'ramkey-bench-probe:', () => undefined);
  try {
    return await new Promise((resolve) => {
      redis.once('ready', () => resolve(true));
      setTimeout(() => resolve(false), 3000).unref();
    });
  } finally {
    redis.disconnect();
  }
}

async function pgReachable() {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

const engines = (await pgReachable()) ? ['sqlite', 'postgres'] : ['sqlite'];
if (engines.length === 1) print(`(PostgreSQL at ${POSTGRES_URL} is not reachable: SQLite only)\n`);
print('# Ramkey scale-out benchmark');
print();
await keyLookupSection(engines);
await nonceSection(
  engines,
  !(await redisReachable())
    ? []
    : [
        [
          'redis (SET NX PX)',
          async () => {
            const prefix = `ramkey-bench-${process.pid}:`;
            const redis = openRedis(REDIS_URL, 'commands', prefix, () => undefined);
            await new Promise((resolve, reject) => {
              redis.once('ready', resolve);
              setTimeout(() => reject(new Error(`Redis at ${REDIS_URL} is not reachable`)), 5000).unref();
            });
            return {
              nonces: new RedisNonceStore(redis, {
                prefix,
                now: () => Date.now(),
                firstUse: () => Promise.resolve(true),
              }),
              async close() {
                // Leave nothing behind in a shared Redis.
                for (let cursor = '0'; ;) {
                  const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
                  if (keys.length > 0) await redis.del(...keys);
                  if ((cursor = next) === '0') break;
                }
                redis.disconnect();
              },
            };
          },
        ],
      ],
);
if (engines.includes('postgres') && (await redisReachable())) await cpuSection();
else print('(CPU section skipped: it needs PostgreSQL and Redis)');
