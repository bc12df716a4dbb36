// A lookup whose filter no index serves (here User) finds a handful of events scattered among 20,000:
// paging on `next` returns exactly them, in order, none skipped or repeated, on both engines, and
// no statement it issues covers more events than the scan bound (counted on the database itself).
import { CompiledQuery, type KyselyPlugin, type Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lookupAuditEvents, type ScanBounds } from '../../src/store/kysely/audit-queries.js';
import type { Database } from '../../src/store/database.js';
import type {
  AuditEventPage,
  AuditEventQuery,
  AuditEventRecord,
  AuditPosition,
} from '../../src/store/store.js';
import { describeEachStore, type TestStore } from '../support/test-stores.js';

const EVENTS = 20_000;
const T0 = 4_102_444_800_000;
/** Where the needles are: both ends, a pair sharing an instant, and a few in between. */
const NEEDLES = new Set([0, 1, 2, 4998, 4999, 12_345, 17_000, 19_999]);

function event(accountId: string, i: number): AuditEventRecord {
  return {
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    // Two events per instant: the scan's positions must tell them apart by ID.
    eventTime: T0 + Math.floor(i / 2) * 1000,
    accountId,
    accessKeyId: 'LTAI5tScanTestKey00000000',
    principalType: 'ram-user',
    principalId: 'u',
    userName: NEEDLES.has(i) && accountId === 'acct-scan' ? 'needle' : 'hay',
    eventName: 'ListUsers',
    eventRw: 'Read',
    serviceName: 'Ram',
    apiVersion: '2015-05-01',
    eventSource: 'h',
    requestId: 'r',
    sourceIp: '127.0.0.1',
    userAgent: 'ua',
    errorCode: '',
    errorMessage: '',
    requestParameters: {},
  };
}

const query: AuditEventQuery = {
  accountId: 'acct-scan',
  userName: 'needle',
  startTime: 0,
  endTime: T0 * 2,
  direction: 'FORWARD',
  limit: 2,
};

/** Every page of the lookup, following `next` until the range is exhausted. */
async function pages(lookup: (q: AuditEventQuery) => Promise<AuditEventPage>, q: AuditEventQuery) {
  const all: AuditEventPage[] = [];
  let after: AuditPosition | undefined;
  do {
    const page = await lookup({ ...q, ...(after && { after }) });
    all.push(page);
    after = page.next;
    expect(all.length).toBeLessThan(1000);
  } while (after !== undefined);
  return all;
}

function needleIds(direction: 'FORWARD' | 'BACKWARD'): string[] {
  const ids = [...NEEDLES].sort((a, b) => a - b).map((i) => event('acct-scan', i).eventId);
  return direction === 'FORWARD' ? ids : ids.reverse();
}

await describeEachStore('bounded audit scans over 20,000 events', (makeStore, engine) => {
  let handle: TestStore;

  beforeAll(async () => {
    handle = await makeStore();
    // Another account's events at the same instants, which no scan of this account may count.
    const events = Array.from({ length: EVENTS }, (_, i) => event('acct-scan', i));
    const others = Array.from({ length: 4000 }, (_, i) => ({
      ...event('acct-other', i),
      eventId: `11111111-0000-4000-8000-${String(i).padStart(12, '0')}`,
    }));
    await handle.store.recordActivity({ events: [...events, ...others], lastUsed: [], keyUsage: [] });
  }, 120_000);

  afterAll(async () => {
    await handle.cleanup();
  });

  it('pages through the store to exactly the matching events, in order, each once', async () => {
    for (const direction of ['FORWARD', 'BACKWARD'] as const) {
      const found = (await pages((q) => handle.store.lookupAuditEvents(q), { ...query, direction })).flatMap(
        (p) => p.events.map((e) => e.eventId),
      );
      expect(found).toEqual(needleIds(direction));
    }
  });

  it('stops a call on its budget with the last position examined, and the next call goes on from there', async () => {
    const bounds: ScanBounds = { rows: 500, chunks: 3, ms: Number.POSITIVE_INFINITY };
    const statements: CompiledQuery[] = [];
    const recorder: KyselyPlugin = {
      transformQuery(args) {
        statements.push(handle.raw.getExecutor().compileQuery(args.node, args.queryId));
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    const db = handle.raw.withPlugin(recorder);
    for (const direction of ['FORWARD', 'BACKWARD'] as const) {
      statements.length = 0;
      let calls = 0;
      const all = await pages(
        (q) => {
          calls += 1;
          return lookupAuditEvents(db, q, bounds);
        },
        { ...query, direction },
      );
      expect(all.flatMap((p) => p.events.map((e) => e.eventId))).toEqual(needleIds(direction));
      // 20,000 events at 1,500 a call: short pages (empty ones too) that still say where to go on.
      expect(calls).toBeGreaterThanOrEqual(EVENTS / (bounds.rows * bounds.chunks));
      expect(all.filter((p) => p.events.length === 0 && p.next !== undefined).length).toBeGreaterThan(0);
      expect(statements.length).toBeLessThanOrEqual(calls * bounds.chunks * 2);
      for (const statement of statements) {
        expect(await covered(handle, statement)).toBeLessThanOrEqual(bounds.rows);
        if (engine === 'sqlite') {
          expect(await sqlitePlan(handle.raw, statement)).toMatch(
            /^SEARCH audit_events USING .*INDEX audit_events_account_time/,
          );
          expect(await sqlitePlan(handle.raw, statement)).not.toMatch(/SCAN|TEMP B-TREE/);
          // A position seeks the index: checked row by row instead, every chunk walks from the top.
          if (statement.sql.includes('("event_time", "event_id")')) {
            expect(await sqlitePlan(handle.raw, statement)).toMatch(/USING .*\(event_time,event_id\)[<>]/);
          }
        }
      }
    }
  });
});

/**
 * How many events a statement's index range holds: the statement itself without the User filter,
 * its ORDER BY and LIMIT/OFFSET, counted; an OFFSET walk stops at OFFSET + 1 rows.
 */
async function covered(handle: TestStore, statement: CompiledQuery): Promise<number> {
  const params = [...statement.parameters];
  let text = statement.sql;
  const filter = text.indexOf(' and "user_name" = ');
  if (filter >= 0) {
    const before = text.slice(0, filter).split(/\?|\$\d+/).length - 1;
    params.splice(before, 1);
    text = text.slice(0, filter) + text.slice(text.indexOf(' ', filter + ' and "user_name" = '.length + 1));
  }
  const paging = /\s+order by .*?limit (\?|\$\d+)(\s+offset (\?|\$\d+))?$/.exec(text);
  expect(paging).not.toBeNull();
  const offset = paging?.[2] === undefined ? undefined : Number(params.at(-1));
  params.splice(params.length - (offset === undefined ? 1 : 2));
  text = text.slice(0, paging?.index).replace(/^select .*? from /, 'select count(*) as n from ');
  if (handle.engine === 'postgres') {
    let n = 0;
    text = text.replace(/\$\d+/g, () => `$${String(++n)}`);
  }
  const result = await handle.raw.executeQuery<{ n: number | string }>(CompiledQuery.raw(text, params));
  const count = Number(result.rows[0]?.n);
  return offset === undefined ? count : Math.min(count, offset + 1);
}

async function sqlitePlan(raw: Kysely<Database>, statement: CompiledQuery): Promise<string> {
  const result = await raw.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${statement.sql}`, [...statement.parameters]),
  );
  return result.rows.map((r) => r.detail).join('\n');
}
