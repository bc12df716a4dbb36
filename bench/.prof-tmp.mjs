// temporary profiling driver (not committed)
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signV3 } from '../dist/core/signature/index.js';
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const child = fork(new URL('./server.js', import.meta.url).pathname, [dir], { execArgv: process.argv[2] === 'prof' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [] });
const ready = await new Promise((r) => child.on('message', (m) => m.type === 'ready' && r(m)));
const N = 60000;
const pool = [];
const wire = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
for (let i = 0; i < N; i++) {
  const s = signV3({ method: 'GET', host: `127.0.0.1:${ready.port}`, action: 'GetCallerIdentity', version: '2015-04-01', query: {}, body: '', date: wire(Date.now()), nonce: `n${i}-${Math.random()}`, accessKeyId: ready.accessKeyId, secret: ready.accessKeySecret });
  pool.push(s);
}
console.log(Object.keys(pool[0]));
let next = 0;
const r = await autocannon({ url: `http://127.0.0.1:${ready.port}`, connections: 50, amount: N, requests: [{ setupRequest: (req) => { const p = pool[next++]; req.method = 'GET'; req.path = '/' + (p.query ? '?' + p.query : ''); req.headers = p.headers; return req; } }] });
console.log('2xx', r['2xx'], 'non2xx', r.non2xx, 'rps', r.requests.average, 'lat max', r.latency.max, 'p99', r.latency.p99);
child.disconnect();
await new Promise((r) => setTimeout(r, 1500));
process.exit(0);
