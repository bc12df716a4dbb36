// Benchmark server (forked by bench/run.js): a throw-away installation on 127.0.0.1, credentials sent over IPC.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { buildApp } from '../dist/api/app.js';
import { cryptoRandom } from '../dist/core/random.js';
import { bootstrapAccount } from '../dist/services/installation.js';
import { createRamkey } from '../dist/services/ramkey.js';
import { openStore } from '../dist/store/open-store.js';
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

const store = await openStore({ dataDir });
await store.migrate();
const sealer = new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom)));
const ramkey = createRamkey({
  store,
  sealer,
  ...(replayOff && { nonces: { remember: () => true } }),
  ...(windowMs !== undefined && { maxClockSkewMs: windowMs }),
});
if (!auditing) {
  ramkey.audit.describe = () => undefined;
  ramkey.audit.write = (_call, work) => work();
  ramkey.usage.recordEvent = () => undefined;
}
const { accessKeyId, accessKeySecret } = await bootstrapAccount(ramkey);
const app = buildApp({ ramkey });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('unexpected listen address');

// The parent asks for this process's CPU time and event-loop utilisation around each load run.
process.on('message', (message) => {
  if (message?.type !== 'stats') return;
  const { idle, active } = performance.eventLoopUtilization();
  process.send({ type: 'stats', id: message.id, cpu: process.cpuUsage(), elu: { idle, active } });
});

process.send({ type: 'ready', port: address.port, accessKeyId, accessKeySecret });
