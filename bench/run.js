// Ramkey benchmark: signature verification in-process and the signed RPC path over HTTP, as same-run ratios.
import autocannon from 'autocannon';
import { Buffer } from 'node:buffer';
import { fork } from 'node:child_process';
import { createHash, createHmac, hash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { arch, cpus, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import {
  parseSignedRequest,
  prepareSigningKey,
  signRpcV1,
  signV3,
  verifySignature,
} from '../dist/core/signature/index.js';
import { compilePolicies, evaluate, parsePolicyDocument } from '../dist/core/policy/index.js';

// ---------------------------------------------------------------------------------------------------------
// Settings

const MICRO_ROUNDS = 11;
const MICRO_SAMPLE_MS = 50;
const CONNECTIONS = 50;
/** Load runs are short and many: each round pairs a /health run with a signed run, alternating the order. */
const ROUNDS = 5;
/**
 * Closed-loop tail-latency runs (section 3): signed calls only, for this long at each connection count.
 * Long enough to take in several audit flushes (one a second) and a few major GCs.
 */
const TAIL_SECONDS = 8;
const TAIL_CONNECTIONS = [16, 50];
/**
 * BENCH_SERVER_FLAGS: extra node flags for the audited server only (e.g. `--cpu-prof --trace-gc`), for
 * profiling it under the bench's load. BENCH_ONLY=tail: skip sections 1 and 2 (a profile of the
 * signed path alone); TAIL_SECONDS can then be raised with BENCH_TAIL_SECONDS. BENCH_ONLY=micro:
 * section 1 alone, no server started (a quick check of the in-process figures).
 */
const SERVER_FLAGS = (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean);
const ONLY_TAIL = process.env.BENCH_ONLY === 'tail';
const ONLY_MICRO = process.env.BENCH_ONLY === 'micro';
/** BENCH_SERVER_MODE=no-audit: with BENCH_ONLY=tail, the tail runs against the unaudited server instead. */
const SERVER_MODE = process.env.BENCH_SERVER_MODE ?? 'audit';
const tailSeconds = Number(process.env.BENCH_TAIL_SECONDS ?? TAIL_SECONDS);
/** Target length of one load run; request counts are sized from the previous round's rates. */
const RUN_SECONDS = 2;
const WARMUP_REQUESTS = 15_000;
/**
 * Each signed request costs the load generator a pre-signed pool entry (its nonce can be sent once):
 * keep the signed total bounded.
 */
const SIGNED_BUDGET = 900_000;
/** Of which the tail-latency runs may use at most this many. */
const TAIL_BUDGET = 300_000;
/** BENCH_STYLES=v3 limits the HTTP sections to one style (for a profile of it alone). */
const STYLES = (process.env.BENCH_STYLES ?? 'v3 v1').split(' ').filter(Boolean);
const STS_VERSION = '2015-04-01';
const ACTION = 'GetCallerIdentity';
const USER_AGENT = 'AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.8 TeaDSL/2';

// ---------------------------------------------------------------------------------------------------------
// Small helpers

const print = (line = '') => process.stdout.write(line + '\n');
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => undefined;
const nowNs = () => process.hrtime.bigint();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const int = (n) => Math.round(n).toLocaleString('en-US');
const fixed = (n, digits = 2) => n.toFixed(digits);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
/** The wire time format, `yyyy-MM-ddTHH:mm:ssZ`. */
const wireDate = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const [i, row] of rows.entries()) {
    print(row.map((cell, j) => (j === 0 ? pad(cell, widths[j]) : lpad(cell, widths[j]))).join('  '));
    if (i === 0) print(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

// ---------------------------------------------------------------------------------------------------------
// 1. Micro: in-process verification next to its raw crypto floor

/** An HMAC with its pads prepared and its message already in bytes: exactly two one-shot hashes. */
function preparedHmac(algorithm, key, message) {
  const digestSize = algorithm === 'sha1' ? 20 : 32;
  const k = Buffer.from(key, 'utf8');
  const inner = Buffer.alloc(64 + Buffer.byteLength(message), 0x36);
  const outer = Buffer.alloc(64 + digestSize, 0x5c);
  outer.fill(0, 64);
  for (let i = 0; i < k.length; i++) {
    inner[i] ^= k[i];
    outer[i] ^= k[i];
  }
  inner.write(message, 64, 'utf8');
  return (encoding) => {
    outer.write(hash(algorithm, inner, 'hex'), 64, 'hex');
    return hash(algorithm, outer, encoding);
  };
}

/**
 * A user with 10 custom policies of 10 statements each, as the authorizer holds them compiled. The
 * request is matched only by the last statement of the last policy, behind 99 that cover other
 * actions or resources, some with conditions, so most of the set is looked at.
 */
function policyCase() {
  const account = '1234567890123456';
  const docs = [];
  for (let p = 0; p < 10; p++) {
    const statements = [];
    for (let s = 0; s < 10; s++) {
      const last = p === 9 && s === 9;
      statements.push({
        Effect: 'Allow',
        Action: last ? ['ram:CreateAccessKey'] : [`ram:Get*`, `ims:List${String(p)}${String(s)}*`],
        Resource: last
          ? [`acs:ram:*:${account}:user/app-*`]
          : [`acs:ram:*:${account}:group/team-${String(s)}`],
        ...(s % 3 === 0 && {
          Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } },
        }),
      });
    }
    const parsed = parsePolicyDocument(JSON.stringify({ Version: '1', Statement: statements }));
    if (!parsed.ok) throw new Error(`bench policy does not parse: ${parsed.code}`);
    docs.push({ policyName: `P${String(p)}`, policyType: 'Custom', document: parsed.value });
  }
  const set = compilePolicies(docs);
  const request = {
    action: 'ram:CreateAccessKey',
    resource: `acs:ram:*:${account}:user/app-7`,
    context: {
      sourceIp: '10.1.2.3',
      currentTime: Date.now(),
      secureTransport: true,
      mfaPresent: false,
      userAgent: USER_AGENT,
      userName: 'ops',
    },
  };
  if (evaluate(set, request).effect !== 'allow') throw new Error('bench policy request is not allowed');
  return () => (evaluate(set, request).effect === 'allow' ? 1 : 0);
}

function microCases() {
  const accessKeyId = 'LTAI5tQbench7Xk2mNpq3Rs9';
  const secret = 'b7Xq2LmN9pR4sT6vW8yZ1aC3dE5fG7';
  const key = prepareSigningKey(secret);
  const timestamp = wireDate(Date.now());
  const host = 'sts.aliyuncs.com';

  // V1 as the classic RPC SDK (pop-core) sends it: everything in the query string of a GET.
  const v1 = signRpcV1({
    method: 'GET',
    params: { Format: 'JSON', RegionId: 'cn-hangzhou', Version: STS_VERSION, Action: ACTION },
    accessKeyId,
    secret,
    nonce: randomUUID(),
    timestamp,
  });
  const v1Parts = {
    method: 'GET',
    rawQuery: v1.query,
    headers: { host, 'user-agent': USER_AGENT, accept: 'application/json', 'x-sdk-client': 'node.js/2.0.0' },
    body: Buffer.alloc(0),
  };

  // V3 as the current SDK (openapi-core) sends it: POST, empty body, signing fields in headers.
  const v3 = signV3({
    method: 'POST',
    host,
    action: ACTION,
    version: STS_VERSION,
    query: {},
    body: '',
    accessKeyId,
    secret,
    nonce: randomUUID(),
    date: timestamp,
  });
  const v3Parts = {
    method: 'POST',
    rawQuery: v3.query,
    headers: { ...v3.headers, accept: 'application/json', 'user-agent': USER_AGENT },
    body: Buffer.alloc(0),
  };

  const parse = (parts) => {
    const parsed = parseSignedRequest(parts);
    if (!parsed.ok) throw new Error(`bench request does not parse: ${parsed.code}`);
    return parsed.value;
  };
  const v1Parsed = parse(v1Parts);
  const v3Parsed = parse(v3Parts);
  for (const parsed of [v1Parsed, v3Parsed]) {
    if (!verifySignature(parsed, key).ok) throw new Error(`bench ${parsed.style} request does not verify`);
  }

  // The floors: the hashes each algorithm cannot avoid, on inputs already in memory as bytes.
  const v1Hmac = preparedHmac('sha1', secret + '&', v1.stringToSign);
  const v3Hmac = preparedHmac('sha256', secret, v3.stringToSign);
  const emptyBody = Buffer.alloc(0);
  const canonicalRequest = Buffer.from(v3.canonicalRequest, 'utf8');
  if (v1Hmac('base64') !== v1.signature || v3Hmac('hex') !== v3.signature) {
    throw new Error('floor HMAC disagrees with the signer');
  }

  // Every case returns a positive number that is summed into a sink, so that nothing is optimised away.
  return {
    'policy.evaluate': policyCase(),
    'v1.verify': () => (verifySignature(parse(v1Parts), key).ok ? 1 : 0),
    'v1.parse': () => parse(v1Parts).nonce.length,
    'v1.check': () => (verifySignature(v1Parsed, key).ok ? 1 : 0),
    'v1.floor': () => v1Hmac('base64').length,
    'v1.classic': () =>
      createHmac('sha1', secret + '&')
        .update(v1.stringToSign)
        .digest('base64').length,
    'v3.verify': () => (verifySignature(parse(v3Parts), key).ok ? 1 : 0),
    'v3.parse': () => parse(v3Parts).nonce.length,
    'v3.check': () => (verifySignature(v3Parsed, key).ok ? 1 : 0),
    'v3.floor': () =>
      hash('sha256', emptyBody, 'hex').length +
      hash('sha256', canonicalRequest, 'hex').length +
      v3Hmac('hex').length,
    'v3.classic': () =>
      createHash('sha256').update(emptyBody).digest('hex').length +
      createHash('sha256').update(v3.canonicalRequest).digest('hex').length +
      createHmac('sha256', secret).update(v3.stringToSign).digest('hex').length,
  };
}

function timeLoop(fn, iterations) {
  let sink = 0;
  const t0 = nowNs();
  for (let i = 0; i < iterations; i++) sink += fn();
  const elapsed = Number(nowNs() - t0);
  if (!(sink >= iterations)) throw new Error('a benchmark case failed');
  return elapsed / iterations;
}

/** Median ns/op of each case. */
function runMicro() {
  const cases = Object.entries(microCases());
  // Warm-up (JIT) and calibration: iterations per sample so that one sample takes about MICRO_SAMPLE_MS.
  const iterations = new Map();
  for (const [name, fn] of cases) {
    timeLoop(fn, 20_000);
    const ns = timeLoop(fn, 20_000);
    iterations.set(name, Math.max(1000, Math.round((MICRO_SAMPLE_MS * 1e6) / ns)));
  }
  // Rounds interleave the cases, starting at a different one each time, so that drift hits them all alike.
  const samples = new Map(cases.map(([name]) => [name, []]));
  for (let round = 0; round < MICRO_ROUNDS; round++) {
    for (let j = 0; j < cases.length; j++) {
      const [name, fn] = cases[(round + j) % cases.length];
      gc();
      samples.get(name).push(timeLoop(fn, iterations.get(name)));
    }
  }
  return new Map([...samples].map(([name, xs]) => [name, median(xs)]));
}

// ---------------------------------------------------------------------------------------------------------
// 2. HTTP: the real server in a child process, autocannon in this one

function startServer(mode = 'audit', flags = []) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ramkey-bench-'));
  const child = fork(fileURLToPath(import.meta.resolve('./server.js')), [dataDir, mode], {
    // Fastify's notice about one of its own deprecated options would interleave with the report.
    execArgv: [...process.execArgv, '--disable-warning=FSTDEP023', ...flags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let stopping = false;
  const kill = () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  /** A normal exit (the IPC channel closes), so that --cpu-prof gets to write its profile. */
  const stop = () =>
    new Promise((resolve) => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(kill, 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        kill();
        resolve();
      });
      child.disconnect();
    });
  process.on('exit', kill);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      kill();
      process.exit(130);
    });
  }
  const pending = new Map();
  let nextId = 0;
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 60 s')), 60_000);
    child.on('message', (message) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'stats') {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${signal ?? code})`));
      if (stopping) return;
      // Mid-run, autocannon would keep reconnecting to a dead port for ever: a server death is fatal.
      process.stderr.write(`benchmark failed: the server exited unexpectedly (${signal ?? code})\n`);
      process.exit(1);
    });
  });
  return {
    ready,
    kill,
    stop,
    /** The server's cumulative CPU time and event-loop activity. */
    stats: () =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ type: 'stats', id });
      }),
  };
}

/**
 * SDK-shaped GetCallerIdentity requests, each signed with its own nonce: `{ method, query, headers }`.
 * V3 as openapi-core sends it (POST, empty body, signing fields in headers), V1 as pop-core does (GET, all
 * parameters in the query string).
 */
function makePool(style, size, server) {
  const pool = new Array(size);
  const host = `127.0.0.1:${server.port}`;
  let timestamp = '';
  for (let i = 0; i < size; i++) {
    if (i % 1024 === 0) timestamp = wireDate(Date.now());
    if (style === 'v3') {
      const { headers, query } = signV3({
        method: 'POST',
        host,
        action: ACTION,
        version: STS_VERSION,
        query: {},
        body: '',
        accessKeyId: server.accessKeyId,
        secret: server.accessKeySecret,
        nonce: randomUUID(),
        date: timestamp,
      });
      headers.accept = 'application/json';
      headers['user-agent'] = USER_AGENT;
      pool[i] = { method: 'POST', query: query === '' ? '' : '?' + query, headers };
    } else {
      const { query } = signRpcV1({
        method: 'GET',
        params: { Format: 'JSON', RegionId: 'cn-hangzhou', Version: STS_VERSION, Action: ACTION },
        accessKeyId: server.accessKeyId,
        secret: server.accessKeySecret,
        nonce: randomUUID(),
        timestamp,
      });
      const headers = {
        host,
        accept: 'application/json',
        'user-agent': USER_AGENT,
        'x-sdk-client': 'node.js/2.0.0',
      };
      pool[i] = { method: 'GET', query: '?' + query, headers };
    }
  }
  return pool;
}

/**
 * One load run: exactly `amount` requests, the i-th being pool[i] sent to `path` (autocannon calls
 * setupRequest once per request, so no pool entry goes out twice). Returns req/s (2xx only), the failure
 * counts, and the CPU time per request of the server and of this process (the load generator).
 */
async function loadRun(server, pool, path, amount, connections = CONNECTIONS) {
  if (amount > pool.length) throw new Error('pool smaller than the run');
  let next = 0;
  // autocannon hands over a fresh copy of its defaults each time: filling it in is the cheapest way.
  const setupRequest = (req) => {
    const r = pool[next++ % pool.length];
    req.method = r.method;
    req.path = path + r.query;
    req.headers = r.headers;
    return req;
  };
  gc();
  const before = await server.stats();
  const clientBefore = process.cpuUsage();
  const t0 = nowNs();
  let t1 = 0n;
  let responses = 0;
  const instance = autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections,
    pipelining: 1,
    amount,
    timeout: 20,
    // autocannon notices the end only at its next sample tick: the run is timed to its last response instead.
    sampleInt: 200,
    requests: [{ setupRequest }],
  });
  instance.on('response', () => {
    if (++responses === amount) t1 = nowNs();
  });
  const result = await instance;
  const seconds = Number((t1 === 0n ? nowNs() : t1) - t0) / 1e9;
  const client = process.cpuUsage(clientBefore);
  const after = await server.stats();
  if (next > pool.length) throw new Error(`pool reused: ${next} requests from a pool of ${pool.length}`);
  const completed = result['2xx'] + result.non2xx;
  const serverUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
  const active = after.elu.active - before.elu.active;
  const idle = after.elu.idle - before.elu.idle;
  return {
    rps: result['2xx'] / seconds,
    seconds,
    completed,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statusCodes: result.statusCodeStats,
    serverUsPerReq: serverUs / Math.max(1, completed),
    /** Of which in the kernel (socket reads and writes, waking the client, file writes). */
    serverSysUsPerReq: (after.cpu.system - before.cpu.system) / Math.max(1, completed),
    clientUsPerReq: (client.user + client.system) / Math.max(1, completed),
    busy: active / (active + idle),
    // autocannon's latencies are in ms; p99 and max over every request of the run.
    p99: result.latency.p99,
    maxLatency: result.latency.max,
    eld: after.eld,
    gc: after.gc,
    flushes: after.flushes,
    heapMb: after.heapMb,
  };
}

const RUN_HEADER =
  `${pad('run', 18)}${lpad('req/s', 8)}${lpad('requests', 10)}${lpad('seconds', 9)}` +
  `${lpad('server us/req', 15)}${lpad('of it kernel', 14)}${lpad('loop busy', 11)}${lpad('client us/req', 15)}` +
  `${lpad('failed', 8)}`;

function describeRun(label, run) {
  return (
    `${pad(label, 18)}${lpad(int(run.rps), 8)}${lpad(int(run.completed), 10)}${lpad(fixed(run.seconds, 1), 9)}` +
    `${lpad(fixed(run.serverUsPerReq, 1), 15)}${lpad(fixed(run.serverSysUsPerReq, 1), 14)}` +
    `${lpad(fixed(run.busy * 100, 0) + '%', 11)}` +
    `${lpad(fixed(run.clientUsPerReq, 1), 15)}${lpad(int(run.non2xx + run.errors), 8)}`
  );
}

async function runHttp(server, plain) {
  const out = Object.fromEntries(
    STYLES.map((style) => [
      style,
      {
        health: [],
        signed: [],
        plain: [],
        ratios: [],
        cpuRatios: [],
        cpuExtra: [],
        auditRatios: [],
        auditCpuRatios: [],
        auditExtra: [],
      },
    ]),
  );
  let signedUsed = 0;
  let signedRunsLeft = ROUNDS * STYLES.length;
  print(RUN_HEADER);

  // Warm-up: JIT both paths, load the key into the server's cache, and measure rates to size the runs.
  const rates = {};
  for (const style of STYLES) {
    const pool = makePool(style, WARMUP_REQUESTS, server);
    const health = await loadRun(server, pool, '/health', WARMUP_REQUESTS);
    const signed = await loadRun(server, pool, '/', WARMUP_REQUESTS);
    const unaudited = await loadRun(plain, makePool(style, WARMUP_REQUESTS, plain), '/', WARMUP_REQUESTS);
    signedUsed += WARMUP_REQUESTS;
    print(describeRun(`warm-up ${style} health`, health));
    print(describeRun(`warm-up ${style} signed`, signed));
    print(describeRun(`warm-up ${style} no-aud`, unaudited));
    if (signed.non2xx + signed.errors > 0) {
      throw new Error(`signed warm-up failed: ${JSON.stringify(signed.statusCodes)}`);
    }
    rates[style] = { health: health.rps, signed: signed.rps };
  }

  // Rounds take the styles in turn, so that both meet a nonce store of about the same size.
  for (let round = 0; round < ROUNDS; round++) {
    for (const style of STYLES) {
      const signedAmount = Math.max(
        CONNECTIONS,
        Math.min(
          Math.round(rates[style].signed * RUN_SECONDS),
          Math.floor((SIGNED_BUDGET - TAIL_BUDGET - signedUsed) / signedRunsLeft),
        ),
      );
      const healthAmount = Math.max(CONNECTIONS, Math.round(rates[style].health * RUN_SECONDS));
      // One pool serves both runs: /health ignores the signature, so only `/` ever sees a nonce.
      const pool = makePool(style, Math.max(signedAmount, healthAmount), server);
      const plainPool = makePool(style, signedAmount, plain);
      // Alternate the order, so that drift within a round favours none.
      const order = round % 2 === 0 ? ['health', 'signed', 'plain'] : ['plain', 'signed', 'health'];
      const runs = {};
      for (const kind of order) {
        runs[kind] =
          kind === 'health'
            ? await loadRun(server, pool, '/health', healthAmount)
            : kind === 'signed'
              ? await loadRun(server, pool, '/', signedAmount)
              : await loadRun(plain, plainPool, '/', signedAmount);
      }
      signedUsed += signedAmount;
      signedRunsLeft--;
      // The warm-up's rates are those of a cold server: size the next round from this one.
      rates[style] = { health: runs.health.rps, signed: runs.signed.rps };
      // Ratios are taken within a round, between runs seconds apart, and only then summarised.
      const ratio = runs.signed.rps / runs.health.rps;
      const cpuRatio = runs.health.serverUsPerReq / runs.signed.serverUsPerReq;
      out[style].health.push(runs.health);
      out[style].signed.push(runs.signed);
      out[style].ratios.push(ratio);
      out[style].cpuRatios.push(cpuRatio);
      out[style].cpuExtra.push(runs.signed.serverUsPerReq - runs.health.serverUsPerReq);
      out[style].plain.push(runs.plain);
      const auditRatio = runs.signed.rps / runs.plain.rps;
      const auditCpuRatio = runs.plain.serverUsPerReq / runs.signed.serverUsPerReq;
      out[style].auditRatios.push(auditRatio);
      out[style].auditCpuRatios.push(auditCpuRatio);
      out[style].auditExtra.push(runs.signed.serverUsPerReq - runs.plain.serverUsPerReq);
      print(describeRun(`${style} #${round + 1} health`, runs.health));
      print(
        describeRun(`${style} #${round + 1} signed`, runs.signed) +
          `  ratio ${fixed(ratio)}, CPU ${fixed(cpuRatio)}`,
      );
      print(
        describeRun(`${style} #${round + 1} no-aud`, runs.plain) +
          `  audited/unaudited ${fixed(auditRatio)}, CPU ${fixed(auditCpuRatio)}`,
      );
    }
  }
  return out;
}

/**
 * Closed-loop tail latency: each connection sends its next signed call as soon as the previous answer
 * arrives, for `seconds`. A server pause shows as the maximum latency; the server's own loop-delay
 * histogram and GC log over the same run say whether it was the event loop and whether a GC.
 */
async function runTail(server, rates, seconds, budget) {
  const rows = [];
  print(
    `${pad('run', 16)}${lpad('req/s', 8)}${lpad('requests', 10)}${lpad('p99 ms', 8)}${lpad('max ms', 8)}` +
      `${lpad('loop p50', 10)}${lpad('loop p99', 10)}${lpad('loop max', 10)}` +
      `${lpad('GCs', 6)}${lpad('major', 7)}${lpad('GC max ms', 14)}${lpad('flushes', 9)}${lpad('flush wall max', 20)}` +
      `${lpad('heap MB', 9)}${lpad('failed', 8)}`,
  );
  const runs = STYLES.flatMap((style) => TAIL_CONNECTIONS.map((connections) => ({ style, connections })));
  const each = Math.floor(budget / runs.length);
  for (const { style, connections } of runs) {
    const amount = Math.max(connections, Math.min(each, Math.round(rates[style] * seconds)));
    const run = await loadRun(server, makePool(style, amount, server), '/', amount, connections);
    rows.push({ style, connections, run });
    print(
      `${pad(`${style} signed x${connections}`, 16)}${lpad(int(run.rps), 8)}${lpad(int(run.completed), 10)}` +
        `${lpad(fixed(run.p99, 0), 8)}${lpad(fixed(run.maxLatency, 0), 8)}` +
        `${lpad(fixed(run.eld.p50, 1), 10)}${lpad(fixed(run.eld.p99, 1), 10)}${lpad(fixed(run.eld.max, 1), 10)}` +
        `${lpad(int(run.gc.count), 6)}${lpad(int(run.gc.major), 7)}` +
        `${lpad(`${fixed(run.gc.maxMs, 1)} ${run.gc.maxKind}`, 14)}${lpad(int(run.flushes.count), 9)}` +
        `${lpad(`${fixed(run.flushes.maxMs, 0)} ms (${int(run.flushes.maxEvents)} ev)`, 20)}${lpad(fixed(run.heapMb, 0), 9)}` +
        `${lpad(int(run.non2xx + run.errors), 8)}`,
    );
  }
  return rows;
}

/** Section 1: runs the micro cases, prints them, and returns the median ns/op of a case by name. */
function runAndPrintMicro() {
  print(`1. In-process verification (median of ${MICRO_ROUNDS} interleaved rounds, ns/op)`);
  const micro = runMicro();
  const ns = (name) => micro.get(name);
  for (const style of ['v1', 'v3']) {
    const label = style.toUpperCase();
    print(
      `${label} verify: ${int(ns(`${style}.verify`))} ns, floor ${int(ns(`${style}.floor`))} ns,` +
        ` ratio ${fixed(ns(`${style}.verify`) / ns(`${style}.floor`))}`,
    );
    print(
      `    = parse ${int(ns(`${style}.parse`))} ns + verifySignature ${int(ns(`${style}.check`))} ns;` +
        ` the floor with createHash/createHmac instead: ${int(ns(`${style}.classic`))} ns`,
    );
  }
  print(
    'Floors: V1 = HMAC-SHA1 of the string to sign; V3 = SHA-256 of the body + SHA-256 of the canonical request',
  );
  print(
    '+ HMAC-SHA256 of the string to sign; one-shot crypto.hash over bytes already in memory, HMAC pads prepared.',
  );

  print(
    `Policy evaluation, 10 policies x 10 statements: ${int(ns('policy.evaluate'))} ns,` +
      ` next to V3 verifySignature ${int(ns('v3.check'))} ns: ratio ${fixed(ns('policy.evaluate') / ns('v3.check'))}`,
  );

  return ns;
}

// ---------------------------------------------------------------------------------------------------------
// 4. Main

async function main() {
  const started = nowNs();
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, ${platform()} ${arch()}`;
  print(`Ramkey benchmark on ${machine}`);
  if (typeof globalThis.gc !== 'function')
    print('(run with --expose-gc, as `npm run bench` does, for steadier figures)');

  if (ONLY_MICRO) {
    print();
    runAndPrintMicro();
    return;
  }
  // The server boots first, so that its start-up (password hashing, migrations) does not disturb the micro run.
  const server = startServer(ONLY_TAIL ? SERVER_MODE : 'audit', SERVER_FLAGS);
  const credentials = await server.ready;
  if (ONLY_TAIL) {
    const rates = {};
    for (const style of STYLES) {
      const warm = await loadRun(
        { ...credentials, stats: server.stats },
        makePool(style, WARMUP_REQUESTS, credentials),
        '/',
        WARMUP_REQUESTS,
      );
      rates[style] = warm.rps;
    }
    print(`3. Tail latency, audited server, closed loop, ${tailSeconds} s per run`);
    await runTail(
      { ...credentials, stats: server.stats },
      rates,
      tailSeconds,
      SIGNED_BUDGET - 2 * WARMUP_REQUESTS,
    );
    await server.stop();
    return;
  }
  // The same server with audit events switched off: the baseline for the cost of auditing.
  const plainServer = startServer('no-audit');
  const plainCredentials = await plainServer.ready;

  print();
  const ns = runAndPrintMicro();

  print();
  print(
    `2. HTTP (autocannon, ${CONNECTIONS} connections, keep-alive, pipelining 1; server in a child process)`,
  );
  print('STS GetCallerIdentity, V3: POST, empty body, SDK headers; V1: GET, parameters in the query string.');
  print('"health": the identical requests sent to /health (no verification, dispatch or bookkeeping).');
  print('"no-aud": the signed requests sent to a second server with audit events switched off.');
  const http = await runHttp(
    { ...credentials, stats: server.stats },
    { ...plainCredentials, stats: plainServer.stats },
  );
  // The unaudited server goes first: section 3 is about the audited one alone.
  plainServer.kill();
  print();
  print(`3. Tail latency: audited server, signed calls, closed loop, ${tailSeconds} s per run`);
  print("p99/max: autocannon latency. loop: the server's event-loop delay (monitorEventLoopDelay), ms.");
  print('GCs: collections during the run, of which major (mark-compact); GC max: the longest one.');
  print('flush wall max: the longest usage-recorder flush, call to settling, and the events it wrote.');
  const tailRates = Object.fromEntries(
    STYLES.map((style) => [style, median(http[style].signed.map((run) => run.rps))]),
  );
  const tail = await runTail({ ...credentials, stats: server.stats }, tailRates, tailSeconds, TAIL_BUDGET);
  await server.stop();

  print();
  print('Summary');
  print(`machine: ${machine}`);
  print('Compare ratios only: absolute figures drift 30-55% between sittings on shared machines.');
  print();
  const rows = [['what', 'figure', 'baseline (same run)', 'ratio']];
  for (const style of ['v1', 'v3']) {
    const label = style.toUpperCase();
    rows.push([
      `${label} verify, in-process`,
      `${int(ns(`${style}.verify`))} ns`,
      `crypto floor ${int(ns(`${style}.floor`))} ns`,
      fixed(ns(`${style}.verify`) / ns(`${style}.floor`)),
    ]);
  }
  rows.push([
    'policy evaluation (10x10)',
    `${int(ns('policy.evaluate'))} ns`,
    `V3 verifySignature ${int(ns('v3.check'))} ns`,
    fixed(ns('policy.evaluate') / ns('v3.check')),
  ]);
  let failures = 0;
  const notes = [];
  for (const style of STYLES) {
    const label = style.toUpperCase();
    const r = http[style];
    const signedCpu = median(r.signed.map((run) => run.serverUsPerReq));
    const healthCpu = median(r.health.map((run) => run.serverUsPerReq));
    failures += [...r.signed, ...r.plain].reduce((n, run) => n + run.non2xx + run.errors, 0);
    rows.push([
      `${label} signed GetCallerIdentity`,
      `${int(median(r.signed.map((run) => run.rps)))} req/s`,
      `/health ${int(median(r.health.map((run) => run.rps)))} req/s`,
      fixed(median(r.ratios)),
    ]);
    rows.push([
      `${label} server CPU per request`,
      `${fixed(signedCpu, 1)} us`,
      `/health ${fixed(healthCpu, 1)} us`,
      fixed(median(r.cpuRatios)),
    ]);
    const plainCpu = median(r.plain.map((run) => run.serverUsPerReq));
    rows.push([
      `${label} signed, audited`,
      `${int(median(r.signed.map((run) => run.rps)))} req/s`,
      `unaudited ${int(median(r.plain.map((run) => run.rps)))} req/s`,
      fixed(median(r.auditRatios)),
    ]);
    rows.push([
      `${label} CPU per request, audited`,
      `${fixed(signedCpu, 1)} us`,
      `unaudited ${fixed(plainCpu, 1)} us`,
      fixed(median(r.auditCpuRatios)),
    ]);
    rows.push([
      `${label} audit cost per request`,
      `${fixed(median(r.auditExtra), 1)} us`,
      'audited - unaudited CPU',
      '',
    ]);
    notes.push(
      `${label}: auditing (one event per call, flushed in batches) costs ${fixed(median(r.auditExtra), 1)} us of server CPU` +
        ' per request (median of the per-round differences).',
    );
    notes.push(
      `${label}: a signed request costs the server ${fixed(median(r.cpuExtra), 1)} us of CPU more than /health;` +
        ` parsing and verifying it in-process take ${fixed(ns(`${style}.verify`) / 1000, 1)} us.`,
    );
    const busy = median(r.health.map((run) => run.busy));
    const clientCpu = median(r.health.map((run) => run.clientUsPerReq));
    if (busy < 0.85) {
      notes.push(
        `${label}: on /health the server was only ${fixed(busy * 100, 0)}% busy and autocannon spent` +
          ` ${fixed(clientCpu, 1)} us per request:\n    the load generator set the pace there, so the req/s ratio` +
          ' understates the cost of the gate; the CPU ratio does not.',
      );
    }
  }
  for (const { style, connections, run } of tail) {
    failures += run.non2xx + run.errors;
    rows.push([
      `${style.toUpperCase()} x${connections} max (p99) latency`,
      `${fixed(run.maxLatency, 0)} ms (${fixed(run.p99, 0)})`,
      `loop delay p50/p99/max ms`,
      `${fixed(run.eld.p50, 1)}/${fixed(run.eld.p99, 1)}/${fixed(run.eld.max, 0)}`,
    ]);
  }
  printTable(rows);
  print();
  print(`Ratios are medians of the per-round ratios (${ROUNDS} rounds per style); figures are medians too.`);
  print('req/s ratio: signed over /health. CPU ratio: /health CPU per request over signed CPU per request,');
  print(
    'the throughput ratio of a saturated server. "audited" rows: the same signed requests, audited server over',
  );
  print('unaudited one (req/s ratio), and unaudited CPU per request over audited (CPU ratio).');
  for (const note of notes) print(note);
  print(`Failed or non-2xx signed requests in the measured runs: ${failures}`);
  print(`Total time ${fixed(Number(nowNs() - started) / 1e9, 0)} s`);
  if (failures > 0) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`benchmark failed: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
  process.exit();
});
