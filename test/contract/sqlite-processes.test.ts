// SQLite with several processes on one file: the limits hold across processes, not just within one.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateAccountId, generateUserId, randomBase62 } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import { describeSqlite, makeSqliteTestStore, type SqliteTestStore } from '../support/test-stores.js';

const WORKER = join(import.meta.dirname, '..', 'support', 'sqlite-create-key-worker.ts');
const JOIN_GROUP_WORKER = join(import.meta.dirname, 'sqlite-join-group-worker.ts');
const PROCESSES = 5;

interface Worker {
  ready: Promise<void>;
  /** Everything after "ready": "created" or a RamkeyError code. */
  outcome: Promise<string>;
}

function startWorker(script: string, args: readonly string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    if (out.startsWith('ready\n')) markReady();
  });
  const outcome = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(out.replace(/^ready\n/, '').trim());
      else reject(new Error(`worker exited with ${code}: ${out}`));
    });
  });
  return { ready: Promise.race([ready, outcome.then(() => undefined)]), outcome };
}

describeSqlite('sqlite store across processes', () => {
  let handle: SqliteTestStore;

  beforeAll(async () => {
    handle = await makeSqliteTestStore();
  });

  afterAll(async () => {
    await handle.cleanup();
  });

  // The store's write-first transactions rely on SQLite's one-writer lock, which spans processes;
  // a read-then-write transaction could let two processes both see room, or fail with SQLITE_BUSY.
  it('lets exactly maxLiveKeys of concurrent creates from separate processes succeed', async () => {
    const accountId = generateAccountId(cryptoRandom);
    await handle.store.createAccount({ accountId, loginName: 'root', passwordHash: 'x', createdAt: 1 });
    const goFile = join(handle.dir, 'go');
    const workers = Array.from({ length: PROCESSES }, () =>
      startWorker(WORKER, [handle.file, accountId, goFile]),
    );
    // Release them together, once every one has its connection open.
    await Promise.all(workers.map((w) => w.ready));
    writeFileSync(goFile, '');
    const outputs = (await Promise.all(workers.map((w) => w.outcome))).sort();
    expect(outputs).toEqual([
      'LimitExceeded.User.AccessKey',
      'LimitExceeded.User.AccessKey',
      'LimitExceeded.User.AccessKey',
      'created',
      'created',
    ]);
    expect(await handle.store.listAccessKeys(accountId, null)).toHaveLength(2);
  });

  // The same write-first discipline guards the newer limits, e.g. groups per user.
  it('lets exactly maxGroupsPerUser of concurrent joins from separate processes succeed', async () => {
    const { store } = handle;
    const accountId = generateAccountId(cryptoRandom);
    await store.createAccount({ accountId, loginName: 'root', passwordHash: 'x', createdAt: 1 });
    const userId = generateUserId(cryptoRandom);
    await store.createUser({
      accountId,
      userId,
      userName: 'joiner',
      displayName: '',
      email: '',
      mobilePhone: '',
      comments: '',
      createdAt: 1,
      updatedAt: 1,
    });
    const groupIds: string[] = [];
    for (let i = 0; i < PROCESSES; i++) {
      const groupId = `g-${randomBase62(cryptoRandom, 16)}`;
      await store.createGroup(
        { accountId, groupId, groupName: `group-${i}`, comments: '', createdAt: 1, updatedAt: 1 },
        300,
      );
      groupIds.push(groupId);
    }
    const goFile = join(handle.dir, 'go-join');
    const workers = groupIds.map((groupId) =>
      startWorker(JOIN_GROUP_WORKER, [handle.file, accountId, userId, groupId, goFile]),
    );
    await Promise.all(workers.map((w) => w.ready));
    writeFileSync(goFile, '');
    const outputs = (await Promise.all(workers.map((w) => w.outcome))).sort();
    expect(outputs).toEqual([
      'LimitExceeded.User.Group',
      'LimitExceeded.User.Group',
      'LimitExceeded.User.Group',
      'joined',
      'joined',
    ]);
    expect(await store.listGroupsForUser(accountId, userId)).toHaveLength(2);
  });
});
