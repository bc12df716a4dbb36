// Benchmark server (forked by bench/run.js): a throw-away installation on 127.0.0.1, credentials sent over IPC.
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import process from 'node:process';
import { buildApp } from '../dist/api/app.js';
import { cryptoRandom } from '../dist/core/random.js';
import { bootstrapAccount } from '../dist/services/installation.js';
import { createRamkey } from '../dist/services/ramkey.js';
import { openStore } from '../dist/store/open-store.js';
import { createPostgresStore } from '../dist/store/postgres/postgres-store.js';
import { generateMasterKeyText, parseMasterKeyRing, Sealer } from '../dist/store/sealer.js';

if (!process.send)
  throw new Error('bench/server.js is meant to be forked by bench/run.js (it needs an IPC channel)');

// The parent creates the data directory and removes it (even when it has to SIGKILL this process).
const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: server.js <empty data directory> [no-audit]');
/** The baseline for the cost of auditing: no audit events at all (last use is still recorded). */
const auditing = process.argv[3] !== 'no-audit';
// The parent going away (even killed) closes the IPC channel: never outlive it.
process.on('disconnect', () => process.exit(0));

// Replay section (bench/replay.js) only: RAMKEY_BENCH_NONCES=off turns replay protection off (the
// baseline for its cost); RAMKEY_BENCH_WINDOW_MS shortens the time window, to outlast it in a run.
const replayOff = process.env.RAMKEY_BENCH_NONCES === 'off';
const windowMs = Number(process.env.RAMKEY_BENCH_WINDOW_MS ?? '') || undefined;

// Scale section (bench/scale.js) only: RAMKEY_BENCH_POSTGRES_URL + RAMKEY_BENCH_POSTGRES_SCHEMA put the
// installation in that (throw-away) PostgreSQL schema; RAMKEY_BENCH_REDIS_URL (+ _PREFIX) puts nonces and
// the change bus in Redis, as `ramkey serve` does with RAMKEY_REDIS_URL.
const postgresUrl = process.env.RAMKEY_BENCH_POSTGRES_URL;
const redisUrl = process.env.RAMKEY_BENCH_REDIS_URL;
const store = postgresUrl
  ? createPostgresStore({ url: postgresUrl, schema: process.env.RAMKEY_BENCH_POSTGRES_SCHEMA })
  : await openStore({ dataDir });
await store.migrate();
const sealer = new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom)));
const ramkey = createRamkey({
  store,
  sealer,
  ...(replayOff && { nonces: { remember: () => true } }),
  ...(windowMs !== undefined && { maxClockSkewMs: windowMs }),
  ...(redisUrl && {
    redis: { url: redisUrl, prefix: process.env.RAMKEY_BENCH_REDIS_PREFIX ?? 'ramkey-bench:' },
  }),
});
if (!auditing) {
  // Every call still counts as use of its key (countUse is private in TypeScript, not in JavaScript);
  // no event is built, queued or committed with a change.
  const countUse = ramkey.audit.countUse.bind(ramkey.audit);
  ramkey.audit.record = (call) => {
    countUse(call, call.requestId);
    return Promise.resolve();
  };
  ramkey.audit.commitWith = async (_call, work) => {
    try {
      return { ok: true, value: await work(), committedEventId: undefined };
    } catch (error) {
      return { ok: false, error, committedEventId: undefined };
    }
  };
}
// The usage recorder's flush, timed from the call to its settling (wall time, waits included). The
// store is synchronous underneath (better-sqlite3) and its driver's promises settle as microtasks, so
// a flush holds the event loop for long stretches of this: a loop pause next to a long flush is it.
let flushWindow = { count: 0, maxMs: 0, maxEvents: 0, totalMs: 0 };
const recordActivity = store.recordActivity.bind(store);
store.recordActivity = async (batch) => {
  const t0 = performance.now();
  try {
    return await recordActivity(batch);
  } finally {
    const took = performance.now() - t0;
    flushWindow.count++;
    flushWindow.totalMs += took;
    if (took > flushWindow.maxMs) {
      flushWindow.maxMs = took;
      flushWindow.maxEvents = batch.events.length;
    }
  }
};
const { accessKeyId, accessKeySecret } = await bootstrapAccount(ramkey);
// As `ramkey serve` does: claim the nonce store (and, on SQLite, start the checkpoint worker).
await ramkey.start();
const app = buildApp({ ramkey });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('unexpected listen address');

// Pauses of the event loop, measured here rather than guessed from client latency: the delay
// histogram (a 1 ms libuv timer in C++, no JavaScript per tick) and every garbage collection with
// its duration, so that a long pause can be matched to a GC or not.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
let gcWindow = { count: 0, totalMs: 0, maxMs: 0, maxKind: '', major: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = GC_KINDS[entry.detail?.kind] ?? 'other';
    gcWindow.count++;
    gcWindow.totalMs += entry.duration;
    if (kind === 'major') gcWindow.major++;
    if (entry.duration > gcWindow.maxMs) {
      gcWindow.maxMs = entry.duration;
      gcWindow.maxKind = kind;
    }
  }
}).observe({ entryTypes: ['gc'] });

// The parent asks for this process's CPU time, event-loop utilisation, and the loop delays and GCs
// since its previous question (both are reset on each answer, so a run's "after" covers the run).
process.on('message', (message) => {
  if (message?.type !== 'stats') return;
  const { idle, active } = performance.eventLoopUtilization();
  const ms = (ns) => ns / 1e6;
  const eld = {
    p50: ms(loopDelay.percentile(50)),
    p99: ms(loopDelay.percentile(99)),
    max: ms(loopDelay.max),
    count: loopDelay.count,
  };
  loopDelay.reset();
  const gcStats = gcWindow;
  gcWindow = { count: 0, totalMs: 0, maxMs: 0, maxKind: '', major: 0 };
  const flushes = flushWindow;
  flushWindow = { count: 0, maxMs: 0, maxEvents: 0, totalMs: 0 };
  process.send({
    type: 'stats',
    id: message.id,
    cpu: process.cpuUsage(),
    elu: { idle, active },
    eld,
    gc: gcStats,
    flushes,
    heapMb: process.memoryUsage().heapUsed / 2 ** 20,
  });
});

// SIGTERM: close the server, then the installation (a PostgreSQL schema can only be dropped once its
// connections are gone).
process.once('SIGTERM', () => {
  app
    .close()
    .then(() => ramkey.close())
    .then(() => store.close())
    .finally(() => process.exit(0));
});

process.send({ type: 'ready', port: address.port, accessKeyId, accessKeySecret });
