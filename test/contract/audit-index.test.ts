// With 1,000,000 events in the table, the queries LookupEvents issues by key and by time are served
// by their indexes on both engines (checked on the database's own plan for the store's own query),
// and still return the right rows.
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lookupQuery } from '../../src/store/kysely/audit-queries.js';
import type { AuditEventQuery } from '../../src/store/store.js';
import { describeEachStore, type TestStore } from '../support/test-stores.js';

const EVENTS = 1_000_000;
const ACCOUNTS = 10;
const KEYS = 5000;
const T0 = 1_700_000_000_000;

/** 1M events spread over 10 accounts and 5,000 keys, one second apart; generated inside the database. */
async function fill(handle: TestStore): Promise<void> {
  const { raw } = handle;
  const columns = sql`(event_id, event_time, account_id, access_key_id, principal_type, principal_id, user_name,
    event_name, event_rw, service_name, api_version, event_source, request_id, source_ip, user_agent,
    error_code, error_message, request_parameters)`;
  if (handle.engine === 'sqlite') {
    await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${EVENTS - 1})
      insert into audit_events ${columns}
      select printf('ev-%07d', i), ${sql.lit(T0)} + i * 1000, 'acct-' || (i % ${sql.lit(ACCOUNTS)}),
        'key-' || (i % ${sql.lit(KEYS)}), 'ram-user', 'u', 'app', 'ListUsers', 'Read', 'Ram', '2015-05-01', 'h',
        'r', '127.0.0.1', 'ua', '', '', '{}'
      from n`.execute(raw);
    await sql`analyze`.execute(raw);
  } else {
    await sql`insert into audit_events ${columns}
      select 'ev-' || lpad(i::text, 7, '0'), ${T0}::bigint + i * 1000, 'acct-' || (i % ${ACCOUNTS}),
        'key-' || (i % ${KEYS}), 'ram-user', 'u', 'app', 'ListUsers', 'Read', 'Ram', '2015-05-01', 'h',
        'r', '127.0.0.1', 'ua', '', '', '{}'
      from generate_series(0, ${EVENTS - 1}) as i`.execute(raw);
    await sql`analyze audit_events`.execute(raw);
  }
}

/** The engine's plan for the store's query, as one string. */
async function plan(handle: TestStore, query: AuditEventQuery): Promise<string> {
  const compiled = lookupQuery(handle.raw, query).compile();
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

const byKey: AuditEventQuery = {
  accountId: 'acct-3',
  accessKeyId: 'key-4243',
  startTime: 0,
  endTime: T0 * 2,
  direction: 'BACKWARD',
  limit: 51,
};

await describeEachStore('audit indexes with 1,000,000 events', (makeStore, engine) => {
  let handle: TestStore;

  beforeAll(async () => {
    handle = await makeStore();
    await fill(handle);
  }, 180_000);

  afterAll(async () => {
    await handle.cleanup();
  });

  it('looks up by key with the (account, key, time) index', async () => {
    const text = await plan(handle, byKey);
    if (engine === 'sqlite') {
      expect(text).toMatch(/SEARCH audit_events USING INDEX audit_events_account_key_time/);
      expect(text).not.toMatch(/SCAN audit_events|TEMP B-TREE/);
    } else {
      // PostgreSQL may walk the index in order, or collect the key's few rows by bitmap and sort them.
      expect(text).toMatch(/(Index|Bitmap Index) Scan( Backward)? (using|on) audit_events_account_key_time/);
      expect(text).not.toMatch(/Seq Scan/);
    }
    // The right rows, newest first: key-4243 of acct-3 is every 5,000th event from i = 4,243.
    const rows = await lookupQuery(handle.raw, byKey).execute();
    expect(rows).toHaveLength(51);
    expect(rows.every((r) => r.access_key_id === 'key-4243' && r.account_id === 'acct-3')).toBe(true);
    expect(rows[0]?.event_time).toBe(T0 + (EVENTS - KEYS + 4243) * 1000);
    expect(rows[1]?.event_time).toBe(T0 + (EVENTS - 2 * KEYS + 4243) * 1000);
  });

  it('looks up a time range of an account with the (account, time) index', async () => {
    const text = await plan(handle, {
      accountId: 'acct-7',
      startTime: T0 + 500_000_000,
      endTime: T0 + 600_000_000,
      direction: 'FORWARD',
      limit: 51,
    });
    if (engine === 'sqlite') {
      expect(text).toMatch(/SEARCH audit_events USING INDEX audit_events_account_time/);
      expect(text).not.toMatch(/SCAN audit_events|TEMP B-TREE/);
    } else {
      // Either time index serves it; the planner picks by selectivity.
      expect(text).toMatch(/Index Scan( Backward)? using audit_events_(account_)?time/);
      expect(text).not.toMatch(/Seq Scan/);
    }
  });

  it('purges the oldest events by the time index, a batch at a time', async () => {
    expect(await handle.store.purgeAuditEvents(T0 + 10_000 * 1000, 4000)).toBe(4000);
    expect(await handle.store.purgeAuditEvents(T0 + 10_000 * 1000, 10_000)).toBe(6000);
    const left = await handle.raw
      .selectFrom('audit_events')
      .select((eb) => eb.fn.min('event_time').as('oldest'))
      .executeTakeFirstOrThrow();
    expect(left.oldest).toBe(T0 + 10_000 * 1000);
  });
});
