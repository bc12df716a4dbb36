// A separate process that adds one user to one group in a shared SQLite file, for the multi-process
// membership limit test.
//
// Usage: node --import tsx sqlite-join-group-worker.ts <db file> <account ID> <user ID> <group ID> <go file>
// Prints "ready" once its connection is open, waits until <go file> exists (so that all workers start
// together), then prints "joined" or the RamkeyError code.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RamkeyError } from '../../src/core/errors/ramkey-error.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const [file, accountId, userId, groupId, goFile] = process.argv.slice(2);
if (
  file === undefined ||
  accountId === undefined ||
  userId === undefined ||
  groupId === undefined ||
  goFile === undefined
) {
  throw new Error('usage: <file> <account> <user> <group> <go>');
}

const store = createSqliteStore({ file, busyTimeoutMs: 10_000 });
// A first query opens the connection before the start line.
await store.countAccounts();
process.stdout.write('ready\n');
while (!existsSync(goFile)) await sleep(2);
try {
  await store.addUserToGroup({ accountId, userId, groupId, joinedAt: 1 }, 2);
  process.stdout.write('joined\n');
} catch (error) {
  process.stdout.write(`${error instanceof RamkeyError ? error.code : String(error)}\n`);
} finally {
  await store.close();
}
