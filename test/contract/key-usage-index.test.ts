// With a key used from 10,000 source IPs, every statement that lists its usage groups is one range of
// the access_key_usage_groups_recent index, read in order up to its LIMIT (checked on the database's
// own plan for the store's own statements): no statement reads more rows than a page, on both engines.
import { CompiledQuery, sql, type Compilable } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keyUsagePageQueries, type UsageDimension } from '../../src/store/kysely/audit-queries.js';
import type { KeyUsageGroupQuery, KeyUsageUpdate } from '../../src/store/store.js';
import { describeEachStore, type TestStore } from '../support/test-stores.js';

const IPS = 10_000;
const T0 = 4_102_444_800_000;
const ACCOUNT = 'acct-plan';
const KEY = 'LTAI5tPlanTestKey000000000';

function use(accessKeyId: string, i: number): KeyUsageUpdate {
  return {
    accessKeyId,
    accountId: ACCOUNT,
    serviceName: ['Ram', 'Ims', 'Sts'][i % 3] ?? 'Ram',
    eventName: `Action${String(i % 40)}`,
    sourceIp: `10.${String(Math.floor(i / 65_536))}.${String(Math.floor(i / 256) % 256)}.${String(i % 256)}`,
    firstUsedAt: T0 + i,
    lastUsedAt: T0 + i,
    callCount: 1,
    lastEventId: `e${String(i)}`,
  };
}

/** The engine's plan for a statement, as one string. */
async function plan(handle: TestStore, query: Compilable): Promise<string> {
  const compiled = query.compile();
  const explain = handle.engine === 'sqlite' ? 'explain query plan ' : 'explain ';
  const result = await handle.raw.executeQuery(
    CompiledQuery.raw(explain + compiled.sql, [...compiled.parameters]),
  );
  return result.rows
    .map((row) =>
      Object.values(row as Record<string, unknown>)
        .map(String)
        .join(' '),
    )
    .join('\n');
}

const DIMENSIONS: UsageDimension[] = ['ip', 'event', 'service'];
const QUERIES: KeyUsageGroupQuery[] = [
  { limit: 21 },
  { limit: 21, serviceName: 'Ram' },
  { limit: 21, after: { lastUsedAt: T0 + 5000, name: '10.0.19.136' } },
  { limit: 101, serviceName: 'Sts', after: { lastUsedAt: T0 + 5000, name: '10.0.19.136' } },
];

await describeEachStore('key usage groups of a key used from 10,000 source IPs', (makeStore, engine) => {
  let handle: TestStore;

  beforeAll(async () => {
    handle = await makeStore();
    // Another key's usage around it in the same index.
    const updates = Array.from({ length: IPS }, (_, i) => use(KEY, i));
    const other = Array.from({ length: 2000 }, (_, i) => use('LTAI5tPlanTestKeyOther0000', i));
    await handle.store.recordActivity({ events: [], lastUsed: [], keyUsage: [...updates, ...other] });
    await sql`analyze`.execute(handle.raw);
  }, 120_000);

  afterAll(async () => {
    await handle.cleanup();
  });

  it('reads each page as an index range in order, never the whole key nor a sort', async () => {
    for (const dimension of DIMENSIONS) {
      for (const query of QUERIES) {
        const q = dimension === 'service' ? { ...query, serviceName: undefined } : query;
        const { sameInstant, before } = keyUsagePageQueries(handle.raw, ACCOUNT, KEY, dimension, q);
        for (const statement of [before(q.limit), ...(sameInstant ? [sameInstant] : [])]) {
          const text = await plan(handle, statement);
          if (engine === 'sqlite') {
            expect(text).toMatch(/SEARCH access_key_usage_groups USING INDEX access_key_usage_groups_recent/);
            expect(text).not.toMatch(/SCAN|TEMP B-TREE/);
          } else {
            expect(text).toMatch(/Index Scan using access_key_usage_groups_recent/);
            expect(text).not.toMatch(/Seq Scan|Sort/);
          }
        }
      }
    }
  });

  it('answers the first page and the one after a cursor with the right groups', async () => {
    const first = await handle.store.keyUsageByIp(ACCOUNT, KEY, { limit: 3 });
    expect(first.map((g) => [g.name, g.lastUsedAt])).toEqual([
      [use(KEY, 9999).sourceIp, T0 + 9999],
      [use(KEY, 9998).sourceIp, T0 + 9998],
      [use(KEY, 9997).sourceIp, T0 + 9997],
    ]);
    const after = { lastUsedAt: T0 + 9997, name: use(KEY, 9997).sourceIp };
    const next = await handle.store.keyUsageByIp(ACCOUNT, KEY, { limit: 2, serviceName: 'Ram', after });
    // Ram is every third use, from i = 0.
    expect(next.map((g) => g.lastEventId)).toEqual(['e9996', 'e9993']);
  });
});
