// The background jobs' runner on a real store (SQLite and PostgreSQL), with a clock moved by hand: one
// node of several runs the jobs, keeps the lease by renewing it, stops at once when it loses it, and
// another node takes over when the runner dies (within the lease and one renewal) or shuts down (at
// its next renewal).
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { createPostgresStore } from '../store/postgres/postgres-store.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import {
  describeEachStore,
  type PostgresTestStore,
  type SqliteTestStore,
  type TestStore,
} from '../../test/support/test-stores.js';
import { JOBS_LEASE, JobScheduler, type Job, type JobLog } from './jobs.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const LEASE_MS = 30_000;
const RENEW_MS = 10_000;

interface Line {
  level: 'info' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** One node: its runner, what it logged, how many times each of its jobs started. */
interface Node {
  jobs: JobScheduler;
  lines: Line[];
  runs: Map<string, number>;
  /** The abort signals its runs got. */
  signals: AbortSignal[];
  /** Says whether the messages it logged include `message`. */
  logged(message: string): boolean;
}

await describeEachStore('background jobs runner', (makeStore) => {
  let handle: TestStore;
  let clock: ManualClock;
  const nodes: Node[] = [];
  const extraStores: Store[] = [];

  beforeEach(async () => {
    handle = await makeStore();
    clock = new ManualClock(T0);
  });

  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.jobs.stop();
    for (const store of extraStores.splice(0)) await store.close().catch(() => undefined);
    await handle.cleanup();
  });

  /** Another connection to the same database, as another process would have. */
  function ownConnection(): Store {
    const test = handle as SqliteTestStore | PostgresTestStore;
    const store =
      test.engine === 'sqlite'
        ? createSqliteStore({ file: test.file })
        : createPostgresStore({ url: test.url, schema: test.schema, maxConnections: 2 });
    extraStores.push(store);
    return store;
  }

  function node(nodeId: string, options: { store?: Store; jobs?: (node: Node) => Job[] } = {}): Node {
    const lines: Line[] = [];
    const log: JobLog = {
      info: (fields, message) => lines.push({ level: 'info', fields, message }),
      error: (fields, message) => lines.push({ level: 'error', fields, message }),
    };
    const made: Node = {
      lines,
      runs: new Map(),
      signals: [],
      logged: (message) => lines.some((l) => l.message === message),
      jobs: undefined as unknown as JobScheduler,
    };
    const counted = (name: string, intervalMs: number): Job => ({
      name,
      intervalMs,
      run(signal) {
        made.runs.set(name, (made.runs.get(name) ?? 0) + 1);
        made.signals.push(signal);
        return Promise.resolve();
      },
    });
    const jobs = options.jobs?.(made) ?? [counted('purge', 60_000), counted('deliver', 5_000)];
    made.jobs = new JobScheduler(options.store ?? handle.store, clock, jobs, {
      nodeId,
      leaseMs: LEASE_MS,
      renewMs: RENEW_MS,
      log,
    });
    nodes.push(made);
    return made;
  }

  /** Moves the clock `ms` on in steps of `step`, each node taking its step at every one. */
  async function elapse(ms: number, live: Node[], step = 1000): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      for (const n of live) await n.jobs.tick();
    }
  }

  const RUNS = 'this node runs the background jobs';
  const STOPPED = 'this node stopped running the background jobs';
  const STANDS_BY = 'another node runs the background jobs: this one stands by';

  it('gives the jobs to one node, which runs them at once and then on their intervals', async () => {
    const a = node('node-a');
    const b = node('node-b');
    await a.jobs.tick();
    await b.jobs.tick();
    expect([a.jobs.isLeader(), b.jobs.isLeader()]).toEqual([true, false]);
    expect(Object.fromEntries(a.runs)).toEqual({ purge: 1, deliver: 1 });
    expect(b.runs.size).toBe(0);
    expect(a.lines).toMatchObject([{ level: 'info', fields: { nodeId: 'node-a' }, message: RUNS }]);
    expect(b.lines).toEqual([{ level: 'info', fields: { nodeId: 'node-b' }, message: STANDS_BY }]);

    // Two minutes on: renewed all along, the jobs on their intervals, and only on node A.
    await elapse(120_000, [a, b]);
    expect([a.jobs.isLeader(), b.jobs.isLeader()]).toEqual([true, false]);
    expect(Object.fromEntries(a.runs)).toEqual({ purge: 3, deliver: 25 });
    expect(b.runs.size).toBe(0);
    expect(a.lines).toHaveLength(1);
    expect(b.lines).toHaveLength(1);
    const rows = await handle.raw
      .selectFrom('job_leases')
      .selectAll()
      .where('job_name', '=', JOBS_LEASE)
      .execute();
    expect(rows).toEqual([{ job_name: JOBS_LEASE, holder: 'node-a', expires_at: clock.now() + LEASE_MS }]);
  });

  it('hands the jobs to another node once the runner dies: within the lease and one renewal', async () => {
    const a = node('node-a');
    const b = node('node-b');
    await a.jobs.tick();
    await b.jobs.tick();
    await elapse(25_000, [a, b]);
    // Node A's last renewal was at 20 s: its lease runs until 50 s. Then it dies (no more steps).
    const renewedAt = T0 + 20_000;
    const expiry = renewedAt + LEASE_MS;
    while (clock.now() < expiry - 1000) {
      await elapse(1000, [b]);
      expect(b.jobs.isLeader()).toBe(false);
    }
    // A dead node's view, for /readyz and the like: no longer the runner once its lease ran out.
    expect(a.jobs.isLeader()).toBe(true);
    clock.set(expiry);
    expect(a.jobs.isLeader()).toBe(false);
    let took = 0;
    while (!b.jobs.isLeader()) {
      await elapse(1000, [b]);
      took += 1000;
    }
    expect(took).toBeLessThanOrEqual(RENEW_MS);
    expect(b.logged(RUNS)).toBe(true);
    expect(Object.fromEntries(b.runs)).toEqual({ purge: 1, deliver: 1 });
  });

  it('stops the jobs at once on a node that finds another holding the lease, and tells its runs', async () => {
    const a = node('node-a');
    const b = node('node-b');
    await a.jobs.tick();
    const signal = a.signals[0];
    expect(signal?.aborted).toBe(false);
    // Node A stalls (a long pause) past its lease; node B takes over meanwhile.
    clock.advance(LEASE_MS);
    await b.jobs.tick();
    expect(b.jobs.isLeader()).toBe(true);
    await a.jobs.tick();
    expect(a.jobs.isLeader()).toBe(false);
    expect(signal?.aborted).toBe(true);
    expect(a.lines.at(-1)).toEqual({
      level: 'info',
      fields: { nodeId: 'node-a', reason: 'another node holds its lease' },
      message: STOPPED,
    });
    const before = Object.fromEntries(a.runs);
    await elapse(60_000, [a, b]);
    expect(Object.fromEntries(a.runs)).toEqual(before);
    expect([a.jobs.isLeader(), b.jobs.isLeader()]).toEqual([false, true]);
  });

  it('stops the jobs at once when a renewal fails, and runs them again once renewing works', async () => {
    const store = ownConnection();
    const a = node('node-a', { store });
    await a.jobs.tick();
    expect(a.jobs.isLeader()).toBe(true);
    await store.close();
    await elapse(RENEW_MS, [a]);
    expect(a.jobs.isLeader()).toBe(false);
    expect(a.lines.map((l) => [l.level, l.message])).toEqual([
      ['info', RUNS],
      ['error', 'could not renew the background jobs lease'],
      ['info', STOPPED],
    ]);
    expect(a.signals.every((s) => s.aborted)).toBe(true);
    // A node on a working connection (node A after a restart) finds the lease still A's until it
    // expires, then takes it.
    const b = node('node-b');
    await b.jobs.tick();
    expect(b.jobs.isLeader()).toBe(false);
    await elapse(LEASE_MS, [b]);
    expect(b.jobs.isLeader()).toBe(true);
  });

  it('says a node no longer runs the jobs once its lease runs out unrenewed (a dead or stalled node)', async () => {
    const a = node('node-a');
    await a.jobs.tick();
    clock.advance(LEASE_MS - 1);
    expect(a.jobs.isLeader()).toBe(true);
    clock.advance(1);
    expect(a.jobs.isLeader()).toBe(false);
  });

  it('does not take the jobs with a lease that ran out before the statement came back', async () => {
    const a = node('node-a');
    const b = node('node-b');
    await a.jobs.tick();
    await b.jobs.tick();
    // Node A dies; its lease runs out at 30 s, when node B asks, and B's answer is slow to come.
    clock.set(T0 + LEASE_MS);
    const asking = b.jobs.tick();
    clock.advance(LEASE_MS);
    await asking;
    // The statement took the lease, but only until a moment already past: not the runner.
    expect(b.jobs.isLeader()).toBe(false);
    expect(b.runs.size).toBe(0);
    expect(b.lines.map((l) => l.message)).toEqual([STANDS_BY]);
    await elapse(RENEW_MS, [b]);
    expect(b.jobs.isLeader()).toBe(true);
    expect(b.lines.map((l) => l.message)).toEqual([STANDS_BY, RUNS]);
  });

  it('gives the lease up on stop, after the runs under way, so that another node takes over at its next renewal', async () => {
    let finish: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const order: string[] = [];
    const a = node('node-a', {
      jobs: (n) => [
        {
          name: 'slow',
          intervalMs: 60_000,
          async run(signal) {
            n.signals.push(signal);
            await slow;
            order.push('run finished');
          },
        },
      ],
    });
    const b = node('node-b');
    await a.jobs.tick();
    await b.jobs.tick();
    const stopped = a.jobs.stop().then(() => order.push('stopped'));
    // Told to stop, the run finishes its item; the lease is kept until then.
    expect(a.signals[0]?.aborted).toBe(true);
    expect(a.jobs.isLeader()).toBe(false);
    await elapse(RENEW_MS, [b]);
    expect(b.jobs.isLeader()).toBe(false);
    finish();
    await stopped;
    expect(order).toEqual(['run finished', 'stopped']);
    expect(a.lines.at(-1)).toEqual({
      level: 'info',
      fields: { nodeId: 'node-a', released: true },
      message: 'this node stopped running the background jobs (shutting down)',
    });
    await elapse(RENEW_MS, [b]);
    expect(b.jobs.isLeader()).toBe(true);
    // Stopped for good: its steps do nothing, and stopping again changes nothing.
    await a.jobs.tick();
    await a.jobs.stop();
    expect(a.jobs.isLeader()).toBe(false);
  });

  it('never overlaps two runs of one job: a run still going when its interval comes round is not doubled', async () => {
    let finish: () => void = () => undefined;
    let started = 0;
    const a = node('node-a', {
      jobs: () => [
        {
          name: 'long',
          intervalMs: 1000,
          async run() {
            started++;
            await new Promise<void>((resolve) => {
              finish = resolve;
            });
          },
        },
      ],
    });
    await a.jobs.tick();
    await elapse(5000, [a]);
    expect(started).toBe(1);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    await elapse(1000, [a]);
    expect(started).toBe(2);
    finish();
  });

  it('logs a failed run and keeps running the job on its interval', async () => {
    let calls = 0;
    const a = node('node-a', {
      jobs: () => [
        {
          name: 'failing',
          intervalMs: 1000,
          run() {
            calls++;
            throw new Error('database said no');
          },
        },
      ],
    });
    await a.jobs.tick();
    await new Promise((resolve) => setImmediate(resolve));
    await elapse(1000, [a]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(2);
    const failures = a.lines.filter((l) => l.message === 'background job failed');
    expect(failures).toHaveLength(2);
    expect(failures[0]?.fields).toMatchObject({ nodeId: 'node-a', job: 'failing' });
    expect(a.jobs.isLeader()).toBe(true);
  });
});
