// Forward-authentication benchmark: decisions per second at Ramkey's /forward-auth, and the latency
// nginx's auth_request adds in front of an API, against the same nginx and API without it, in one run.
//
// Processes: the audited Ramkey server (bench/server.js), a minimal upstream API (bench/upstream.js),
// Debian's nginx with the README's configuration plus a plain proxy server, and autocannon here.
// Every request is signed V3 with its own nonce (as @alicloud/openapi-client sends a ROA GET).
import autocannon from 'autocannon';
import OpenApi from '@alicloud/openapi-client';
import { fork, spawn, spawnSync } from 'node:child_process';
import console from 'node:console';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';
import { signV3 } from '../dist/core/signature/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DIRECT_REQUESTS = 20_000;
const GATEWAY_REQUESTS = 10_000;
const CONNECTIONS = [1, 16];
const ORDERS_VERSION = '2026-01-01';
const ORDERS = {
  Version: '1',
  PathPrefixes: ['/v1'],
  Actions: [
    {
      Name: 'GetOrder',
      Access: 'Read',
      Method: 'GET',
      Path: '/orders/{OrderId}',
      Resource: 'acs:orders:*:${AccountId}:order/${OrderId}',
    },
  ],
};

if (spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status !== 0) {
  console.log('forward-auth benchmark skipped: nginx is not installed (apt-get install nginx)');
  process.exit(0);
}

const cleanups = [];
const cleanup = () => {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      fn();
    } catch {
      // best effort on the way out
    }
  }
};
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

function forkReady(script, args) {
  const child = fork(fileURLToPath(import.meta.resolve(script)), args, {
    execArgv: ['--disable-warning=FSTDEP023'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  const pending = new Map();
  let nextId = 0;
  const ready = new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message.type === 'ready') resolve(message);
      else if (message.type === 'stats') {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
  });
  return {
    ready,
    stats: () =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ type: 'stats', id });
      }),
  };
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${port}`);
}

/** nginx with the README's server (auth_request) and a plain proxy to the same API. */
async function startNginx(ramkeyPort, apiPort) {
  const prefix = mkdtempSync(join(tmpdir(), 'ramkey-bench-nginx-'));
  cleanups.push(() => rmSync(prefix, { recursive: true, force: true }));
  mkdirSync(join(prefix, 'tmp'));
  const [authPort, plainPort] = [await freePort(), await freePort()];
  const example = readFileSync(new URL('../examples/nginx/ramkey-gateway.conf', import.meta.url), 'utf8');
  const site = example
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${ramkeyPort};`)
    .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${apiPort};`)
    .replace('listen 8000;', `listen ${authPort};`);
  const plain = `server {\n    listen ${plainPort};\n    location / {\n        proxy_http_version 1.1;\n        proxy_set_header Connection "";\n        proxy_pass http://your_api;\n    }\n}\n`;
  const tmp = join(prefix, 'tmp');
  writeFileSync(join(prefix, 'site.conf'), site + plain);
  writeFileSync(
    join(prefix, 'nginx.conf'),
    [
      process.getuid?.() === 0 ? 'user root;' : '',
      'worker_processes 1;',
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${tmp}/${t};`),
      `  include ${join(prefix, 'site.conf')};`,
      '}',
    ].join('\n'),
  );
  const child = spawn(
    'nginx',
    ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'],
    { stdio: 'inherit' },
  );
  // SIGTERM, not SIGKILL: the master then stops its worker too, even after this process is gone.
  cleanups.push(() => child.kill('SIGTERM'));
  await waitForPort(authPort);
  await waitForPort(plainPort);
  return { authPort, plainPort };
}

function wireDate(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** GetOrder requests signed V3 for `host`, each with its own nonce. */
function pool(size, host, key) {
  const requests = new Array(size);
  let date = '';
  for (let i = 0; i < size; i++) {
    if (i % 1024 === 0) date = wireDate(Date.now());
    const path = `/v1/orders/o-${i % 97}`;
    const { headers } = signV3({
      method: 'GET',
      host,
      path,
      action: 'GetOrder',
      version: ORDERS_VERSION,
      query: {},
      body: '',
      accessKeyId: key.accessKeyId,
      secret: key.accessKeySecret,
      nonce: randomUUID(),
      date,
    });
    headers.accept = 'application/json';
    requests[i] = { path, headers };
  }
  return requests;
}

/** Exactly `amount` requests from `requests` (each once) to `port`; rate (timed here) and latency. */
async function load(port, requests, amount, connections, shape) {
  let next = 0;
  let responses = 0;
  let end = 0n;
  const start = process.hrtime.bigint();
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount,
    timeout: 20,
    sampleInt: 200,
    requests: [
      {
        setupRequest: (req) => {
          const r = requests[next++];
          return shape(req, r);
        },
      },
    ],
  });
  instance.on('response', () => {
    if (++responses === amount) end = process.hrtime.bigint();
  });
  const result = await instance;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${result.non2xx} non-2xx responses and ${result.errors} errors at port ${port}`);
  }
  const seconds = Number((end === 0n ? process.hrtime.bigint() : end) - start) / 1e9;
  return { rps: amount / seconds, mean: result.latency.mean, p99: result.latency.p99 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// -------------------------------------------------------------------------------------------------------

const dataDir = mkdtempSync(join(tmpdir(), 'ramkey-bench-fa-'));
cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
const ramkey = forkReady('./server.js', [dataDir, 'audit']);
const upstream = forkReady('./upstream.js', []);
const [server, api] = await Promise.all([ramkey.ready, upstream.ready]);
const key = { accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret };

// The service, as `ramkey services create orders` registers it (a signed CreateService call).
{
  const client = new OpenApi.default(
    new OpenApi.Config({
      accessKeyId: key.accessKeyId,
      accessKeySecret: key.accessKeySecret,
      endpoint: `127.0.0.1:${server.port}`,
      protocol: 'http',
    }),
  );
  await client.callApi(
    new OpenApi.Params({
      action: 'CreateService',
      version: '2015-05-01',
      protocol: 'HTTP',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    }),
    new OpenApi.OpenApiRequest({ query: { ServiceName: 'orders', ServiceDocument: JSON.stringify(ORDERS) } }),
    { autoretry: false },
  );
}

const nginx = await startNginx(server.port, api.port);
console.log('\n## Forward authentication (V3, GetOrder on a custom service, audited)\n');

// 1. Decisions per second at /forward-auth directly, as the verification client asks.
const directRates = [];
const directCpu = [];
for (let round = 0; round <= ROUNDS; round++) {
  // Round 0 warms up (JIT, caches) and is not counted.
  const requests = pool(DIRECT_REQUESTS, 'api.example.com', key);
  const before = await ramkey.stats();
  const r = await load(server.port, requests, DIRECT_REQUESTS, 16, (req, q) => {
    req.method = 'GET';
    req.path = '/forward-auth';
    req.headers = {
      ...q.headers,
      'x-original-method': 'GET',
      'x-original-uri': q.path,
      'x-forwarded-host': 'api.example.com',
      'x-real-ip': '127.0.0.1',
    };
    return req;
  });
  const after = await ramkey.stats();
  if (round === 0) continue;
  directRates.push(r.rps);
  directCpu.push((after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / DIRECT_REQUESTS);
}
{
  const requests = pool(5_000, 'api.example.com', key);
  const one = await load(server.port, requests, 5_000, 1, (req, q) => {
    req.method = 'GET';
    req.path = '/forward-auth';
    req.headers = {
      ...q.headers,
      'x-original-method': 'GET',
      'x-original-uri': q.path,
      'x-forwarded-host': 'api.example.com',
      'x-real-ip': '127.0.0.1',
    };
    return req;
  });
  console.log(
    `one connection at /forward-auth: ${Math.round(one.rps)} decisions/s (${(1000 / one.rps).toFixed(2)} ms each)`,
  );
}
console.log(
  `decisions per second at /forward-auth (16 connections): ${Math.round(median(directRates))}` +
    ` (Ramkey CPU ${median(directCpu).toFixed(1)} us per decision)`,
);

// 2. Through nginx, with and without auth_request, alternating, same API.
// With one connection a request's time is 1/rate: the difference is what auth_request adds to each.
console.log(
  '\n| connections | req/s nginx alone | req/s nginx + auth_request | ratio | ms per request alone | ms per request with auth | p99 ms alone | p99 ms with auth |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const connections of CONNECTIONS) {
  const plain = [];
  const auth = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of round % 2 === 0 ? ['plain', 'auth'] : ['auth', 'plain']) {
      const port = which === 'plain' ? nginx.plainPort : nginx.authPort;
      const requests = pool(GATEWAY_REQUESTS, `127.0.0.1:${port}`, key);
      const r = await load(port, requests, GATEWAY_REQUESTS, connections, (req, q) => {
        req.method = 'GET';
        req.path = q.path;
        req.headers = q.headers;
        return req;
      });
      (which === 'plain' ? plain : auth).push(r);
    }
  }
  const m = (rs, f) => median(rs.map(f));
  const plainRps = m(plain, (r) => r.rps);
  const authRps = m(auth, (r) => r.rps);
  const row = [
    connections,
    Math.round(plainRps),
    Math.round(authRps),
    (authRps / plainRps).toFixed(2),
    ((1000 * connections) / plainRps).toFixed(2),
    ((1000 * connections) / authRps).toFixed(2),
    m(plain, (r) => r.p99),
    m(auth, (r) => r.p99),
  ];
  console.log(`| ${row.join(' | ')} |`);
}
cleanup();
process.exit(0);
