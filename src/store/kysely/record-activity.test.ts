// recordActivity writes a flush in a few multi-row statements, not one per key or usage slot.
import { Kysely, SqliteDialect } from 'kysely';
import { expect, it } from 'vitest';
import type { Database } from '../database.js';
import { openSqliteDatabase, sqliteEngineAdapter } from '../sqlite/sqlite-store.js';
import { createKyselyStore } from './kysely-store.js';

it('writes 1,000 last uses and 1,000 usage slots (5,000 usage groups) in fourteen statements', async () => {
  const statements: string[] = [];
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: openSqliteDatabase({ file: ':memory:' }) }),
    log: (event) => {
      if (event.level === 'query') statements.push(event.query.sql);
    },
  });
  const store = createKyselyStore(db, sqliteEngineAdapter);
  try {
    await store.migrate();
    const ids = Array.from({ length: 1000 }, (_, i) => `LTAIbatch${String(i).padStart(6, '0')}`);
    statements.length = 0;
    await store.recordActivity({
      events: [],
      lastUsed: ids.map((accessKeyId, i) => ({
        accessKeyId,
        lastUsedAt: i,
        lastUsedService: 'Ram',
        lastUsedIp: '192.0.2.1',
      })),
      keyUsage: ids.map((accessKeyId, i) => ({
        accessKeyId,
        accountId: 'a1',
        serviceName: 'Ram',
        eventName: 'ListUsers',
        sourceIp: '192.0.2.1',
        firstUsedAt: i,
        lastUsedAt: i,
        callCount: 1,
        lastEventId: `e${i}`,
      })),
    });
    const writes = statements.filter((text) => /^\s*(with|insert|update)\b/i.test(text));
    // Two of last uses, two of slots, and ten of the groups (500 rows each): by IP and by action for
    // every service and for Ram, and by service.
    expect(writes).toHaveLength(14);
  } finally {
    await store.close();
  }
});
