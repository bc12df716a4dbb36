import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { splitCsvRecords } from '../core/csv.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { makeSqliteTestStore, type TestStore } from '../../test/support/test-stores.js';
import type { AccessKeySummary, CredentialReportSource } from '../store/store.js';
import {
  buildCredentialReport,
  credentialReportHeader,
  CredentialReportService,
} from './credential-report.js';
import { defaultQuotas } from './quotas.js';
import { UsageRecorder } from './usage-recorder.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const ACCOUNT = '1234567890123456';

function key(id: string, userId: string | null, createdAt: number, extra: Partial<AccessKeySummary> = {}) {
  return {
    accessKeyId: id,
    accountId: ACCOUNT,
    userId,
    status: 'Active' as const,
    createdAt,
    updatedAt: createdAt,
    lastUsedAt: null,
    lastUsedService: null,
    lastUsedIp: null,
    deletedAt: null,
    ...extra,
  };
}

function user(userId: string, userName: string, createdAt: number) {
  return {
    accountId: ACCOUNT,
    userId,
    userName,
    displayName: '',
    email: '',
    mobilePhone: '',
    comments: '',
    createdAt,
    updatedAt: createdAt,
  };
}

/** Parses the report the simple way its fields allow (none of these needs quoting). */
function rows(csv: string): Record<string, string>[] {
  const [header = [], ...data] = splitCsvRecords(csv).map((r) => r.split(','));
  return data.map((fields) => Object.fromEntries(header.map((h, i) => [h, fields[i] ?? ''])));
}

describe('buildCredentialReport', () => {
  const now = T0 + 10 * DAY + DAY / 2;
  const source: CredentialReportSource = {
    accountId: ACCOUNT,
    accountCreatedAt: T0,
    users: [user('u-amy', 'amy', T0 + DAY), user('u-bob', 'bob', T0 + 2 * DAY)],
    accessKeys: [
      key('LTAIroot', null, T0),
      key('LTAIamy1', 'u-amy', T0 + 3 * DAY, {
        status: 'Inactive',
        lastUsedAt: T0 + 4 * DAY + 1000,
        lastUsedService: 'Ims',
        lastUsedIp: '192.0.2.7',
      }),
      key('LTAIamy2', 'u-amy', T0 + 9 * DAY),
      // A user created after the users were read: its key is left out with it.
      key('LTAIlate', 'u-late', T0),
    ],
  };

  it('has the documented columns, two key groups by default', () => {
    const csv = buildCredentialReport(source, { now, keysPerPrincipal: 2 });
    const header = splitCsvRecords(csv)[0]?.split(',');
    expect(header).toEqual(credentialReportHeader(2));
    expect(header?.slice(0, 12)).toEqual([
      'user',
      'user_id',
      'user_principal_name',
      'user_creation_time',
      'access_key_1_id',
      'access_key_1_status',
      'access_key_1_created',
      'access_key_1_age_days',
      'access_key_1_last_used',
      'access_key_1_last_used_service',
      'access_key_1_last_used_ip',
      'access_key_1_leak_restricted',
    ]);
    expect(header).toHaveLength(4 + 2 * 8);
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('lists root first, then users, with keys oldest first and empty columns for missing keys', () => {
    const [root, amy, bob, ...rest] = rows(
      buildCredentialReport(source, { now, keysPerPrincipal: 2, restricted: new Set(['LTAIamy2']) }),
    );
    expect(rest).toEqual([]);
    expect(root).toMatchObject({
      user: '<root>',
      user_id: ACCOUNT,
      user_principal_name: '',
      user_creation_time: '2026-01-01T00:00:00Z',
      access_key_1_id: 'LTAIroot',
      access_key_1_status: 'Active',
      access_key_1_created: '2026-01-01T00:00:00Z',
      access_key_1_age_days: '10',
      access_key_1_last_used: '',
      access_key_1_last_used_service: '',
      access_key_1_last_used_ip: '',
      access_key_1_leak_restricted: 'false',
      access_key_2_id: '',
      access_key_2_age_days: '',
      access_key_2_leak_restricted: '',
    });
    expect(amy).toMatchObject({
      user: 'amy',
      user_id: 'u-amy',
      user_principal_name: `amy@${ACCOUNT}.onaliyun.com`,
      user_creation_time: '2026-01-02T00:00:00Z',
      access_key_1_id: 'LTAIamy1',
      access_key_1_status: 'Inactive',
      access_key_1_age_days: '7',
      access_key_1_last_used: '2026-01-05T00:00:01Z',
      access_key_1_last_used_service: 'Ims',
      access_key_1_last_used_ip: '192.0.2.7',
      access_key_1_leak_restricted: 'false',
      access_key_2_id: 'LTAIamy2',
      access_key_2_age_days: '1',
      access_key_2_leak_restricted: 'true',
    });
    expect(Object.values(bob ?? {}).slice(4)).toEqual(Array<string>(16).fill(''));
    expect(bob?.user).toBe('bob');
  });

  it('follows the configured key limit, and widens rather than hide a live key', () => {
    expect(splitCsvRecords(buildCredentialReport(source, { now, keysPerPrincipal: 3 }))[0]).toBe(
      credentialReportHeader(3).join(','),
    );
    const [, amy] = rows(buildCredentialReport(source, { now, keysPerPrincipal: 1 }));
    expect(amy?.access_key_2_id).toBe('LTAIamy2');
  });

  it('counts whole days from the clock, never negative', () => {
    const young = { ...source, users: [], accessKeys: [key('LTAInew', null, now - 1)] };
    expect(rows(buildCredentialReport(young, { now, keysPerPrincipal: 2 }))[0]?.access_key_1_age_days).toBe(
      '0',
    );
    const ahead = { ...source, users: [], accessKeys: [key('LTAIfuture', null, now + DAY)] };
    expect(rows(buildCredentialReport(ahead, { now, keysPerPrincipal: 2 }))[0]?.access_key_1_age_days).toBe(
      '0',
    );
  });
});

describe('CredentialReportService', () => {
  let handle: TestStore;
  let service: CredentialReportService;
  let usage: UsageRecorder;
  const clock = new ManualClock(T0);
  const accountId = ACCOUNT;

  beforeEach(async () => {
    clock.set(T0);
    handle = await makeSqliteTestStore();
    await handle.store.createAccount({ accountId, loginName: 'root', passwordHash: 'x', createdAt: T0 });
    for (const name of ['u1', 'u2', 'u3']) await handle.store.createUser(user(`id-${name}`, name, T0));
    usage = new UsageRecorder(handle.store, { flushIntervalMs: 60_000 });
    service = new CredentialReportService(handle.store, usage, clock, defaultQuotas);
  });

  afterEach(async () => {
    await usage.close();
    await handle.cleanup();
  });

  async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
    const error: unknown = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RamkeyError);
    expect((error as RamkeyError).code).toBe(code);
  }

  it('refuses a page before any report was generated', async () => {
    await expectCode(service.page(accountId, { maxItems: 10 }), 'EntityNotExist.CredentialReport');
  });

  it('stores the report at the clock time and includes last use still pending in memory', async () => {
    await handle.store.createAccessKey({ ...key('LTAIused', null, T0), sealedSecret: 'v1.x.y' }, 2);
    clock.advance(5000);
    usage.recordUse({
      accessKeyId: 'LTAIused',
      accountId,
      service: 'Sts',
      eventName: 'GetCallerIdentity',
      sourceIp: '198.51.100.4',
      eventId: 'event-1',
      at: clock.now(),
    });
    clock.advance(DAY);
    expect(await service.generate(accountId)).toBe(T0 + DAY + 5000);
    const page = await service.page(accountId, { maxItems: 3501 });
    expect(page.generatedAt).toBe(T0 + DAY + 5000);
    expect(page.nextToken).toBeUndefined();
    expect(rows(page.content)[0]).toMatchObject({
      access_key_1_id: 'LTAIused',
      access_key_1_age_days: '1',
      access_key_1_last_used: '2026-01-01T00:00:05Z',
      access_key_1_last_used_service: 'Sts',
      access_key_1_last_used_ip: '198.51.100.4',
    });
    expect(page.content).not.toContain('v1.x.y');
  });

  it('pages data rows with the header on the first page only, and concatenated pages equal the report', async () => {
    await service.generate(accountId);
    const full = (await service.page(accountId, { maxItems: 3501 })).content;
    const pages: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await service.page(accountId, { maxItems: 2, nextToken });
      pages.push(page.content);
      nextToken = page.nextToken;
    } while (nextToken !== undefined && pages.length < 10);
    expect(pages).toHaveLength(2); // 4 data rows (root, u1, u2, u3) by 2
    expect(splitCsvRecords(pages[0] ?? '')).toHaveLength(3);
    expect(splitCsvRecords(pages[1] ?? '')[0]).toMatch(/^u2,/);
    expect(pages.join('')).toBe(full);
  });

  it('refuses a token it did not hand out, or one from a report since replaced', async () => {
    await service.generate(accountId);
    const first = await service.page(accountId, { maxItems: 1 });
    const token = first.nextToken ?? '';
    expect(token).not.toBe('');
    expect((await service.page(accountId, { maxItems: 1, nextToken: token })).content).toMatch(/^u1,/);
    const forged = Buffer.from(
      Buffer.from(token, 'base64url').toString('utf8').replace(/^\d+/, '9'),
      'utf8',
    ).toString('base64url');
    for (const bad of ['garbage', 'not base64!', `${token}A`, forged]) {
      await expectCode(
        service.page(accountId, { maxItems: 1, nextToken: bad }),
        'InvalidParameter.NextToken',
      );
    }
    clock.advance(1000);
    await service.generate(accountId);
    await expectCode(
      service.page(accountId, { maxItems: 1, nextToken: token }),
      'InvalidParameter.NextToken',
    );
  });

  it('refuses a token from a report regenerated within the same millisecond but different', async () => {
    await service.generate(accountId);
    const token = (await service.page(accountId, { maxItems: 1 })).nextToken;
    await handle.store.createUser(user('id-u4', 'u4', T0));
    await service.generate(accountId);
    await expectCode(
      service.page(accountId, { maxItems: 1, nextToken: token }),
      'InvalidParameter.NextToken',
    );
  });
});
