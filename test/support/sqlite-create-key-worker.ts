// A separate process that creates one AccessKey in a shared SQLite file, for the multi-process limit test.
//
// Usage: node --import tsx sqlite-create-key-worker.ts <db file> <account ID> <go file>
// Prints "ready" once its connection is open, waits until <go file> exists (so that all workers start
// together), then prints "created" or the RamkeyError code.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RamkeyError } from '../../src/core/errors/ramkey-error.js';
import { generateAccessKeyId } from '../../src/core/keys/key-id.js';
import { cryptoRandom } from '../../src/core/random.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const [file, accountId, goFile] = process.argv.slice(2);
if (file === undefined || accountId === undefined || goFile === undefined)
  throw new Error('usage: <file> <account> <go>');

const store = createSqliteStore({ file, busyTimeoutMs: 10_000 });
// A first query opens the connection before the start line.
await store.countAccounts();
process.stdout.write('ready\n');
while (!existsSync(goFile)) await sleep(2);
const accessKeyId = generateAccessKeyId(cryptoRandom);
try {
  await store.createAccessKey(
    {
      accessKeyId,
      accountId,
      userId: null,
      status: 'Active',
      sealedSecret: `v1.worker.${accessKeyId}`,
      createdAt: 1,
      updatedAt: 1,
      lastUsedAt: null,
      lastUsedService: null,
      lastUsedIp: null,
      deletedAt: null,
    },
    2,
  );
  process.stdout.write('created\n');
} catch (error) {
  process.stdout.write(`${error instanceof RamkeyError ? error.code : String(error)}\n`);
} finally {
  await store.close();
}
