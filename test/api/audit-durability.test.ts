// No change without its event: write actions commit their audit event in the same transaction as
// the change, so even `kill -9` in the middle of a burst of writes leaves every change recorded.
import { expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { AuditEventRecord, Store } from '../../src/store/store.js';
import { startServer } from '../support/ramkey-server.js';
import { PopRpcClient } from '../support/sdk.js';
import { describePostgres, describeSqlite, type Engine } from '../support/test-stores.js';

const WRITES = 160;
const KILL_AFTER = 40;

async function allUserNames(store: Store, accountId: string): Promise<string[]> {
  const names: string[] = [];
  let after: string | undefined;
  do {
    const page = await store.listUsers(accountId, { limit: 100, ...(after !== undefined && { after }) });
    names.push(...page.items.map((u) => u.userName));
    after = page.nextMarker;
  } while (after !== undefined);
  return names;
}

async function createUserEvents(store: Store, accountId: string): Promise<AuditEventRecord[]> {
  const found: AuditEventRecord[] = [];
  let after: { eventTime: number; eventId: string } | undefined;
  for (;;) {
    const page = await store.lookupAuditEvents({
      accountId,
      startTime: 0,
      endTime: Date.now() + 60_000,
      eventName: 'CreateUser',
      direction: 'FORWARD',
      limit: 100,
      ...(after && { after }),
    });
    found.push(...page.events);
    if (page.next === undefined) return found;
    after = page.next;
  }
}

function durabilitySuite(engine: Engine) {
  it(`keeps an event for every change after kill -9 in the middle of ${String(WRITES)} writes`, async () => {
    const server = await startServer({ engine });
    const ram = new PopRpcClient({
      endpoint: `http://${server.endpoint}`,
      apiVersion: '2015-05-01',
      accessKeyId: server.admin.accessKeyId,
      accessKeySecret: server.admin.accessKeySecret,
    });
    const answered: string[] = [];
    let killed = false;
    const calls = Array.from({ length: WRITES }, (_, i) => {
      const userName = `durable-${String(i)}`;
      return ram.request('CreateUser', { UserName: userName }, { method: 'POST', timeout: 10_000 }).then(
        () => {
          answered.push(userName);
          if (answered.length === KILL_AFTER && !killed) {
            killed = true;
            server.process.kill('SIGKILL');
          }
        },
        () => undefined,
      );
    });
    await Promise.all(calls);
    expect(killed).toBe(true);
    expect(await server.stop({ keepData: true })).toBeNull();

    const store = await openStore({ dataDir: server.dataDir, databaseUrl: server.env.RAMKEY_DATABASE_URL });
    try {
      await store.migrate();
      const accountId = server.admin.accountId;
      const users = (await allUserNames(store, accountId)).filter((n) => n.startsWith('durable-'));
      const events = await createUserEvents(store, accountId);
      const audited = new Set(
        events.filter((e) => e.errorCode === '').map((e) => e.requestParameters.UserName),
      );
      // The kill came mid-burst: some writes landed, not all.
      expect(users.length).toBeGreaterThanOrEqual(KILL_AFTER);
      expect(users.length).toBeLessThan(WRITES);
      // Every user that exists has its successful CreateUser event; every answered call too.
      expect(users.filter((name) => !audited.has(name))).toEqual([]);
      expect(answered.filter((name) => !audited.has(name))).toEqual([]);
      // And no event claims a change that is not there.
      expect([...audited].filter((name) => name !== undefined && !users.includes(name))).toEqual([]);
    } finally {
      await store.close();
      await server.stop();
    }
  });
}

describeSqlite('audit durability on SQLite', () => {
  durabilitySuite('sqlite');
});

await describePostgres('audit durability on PostgreSQL', () => {
  durabilitySuite('postgres');
});
