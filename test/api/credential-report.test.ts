// The IMS credential report through the official SDK: GenerateCredentialReport, then
// GetCredentialReport paged and decoded, in process on both engines, each test in an account of its own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clients, ImsModule, RamModule, sdkError, type Key } from '../support/sdk.js';
import { startApp, type AccountCredentials, type RunningApp } from '../support/in-process-server.js';
import { describePostgres, describeSqlite, type Engine } from '../support/test-stores.js';

type Row = Record<string, string>;

/** A small RFC 4180 parser (quoted fields, doubled quotes, CRLF inside quotes), independent of the server's. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text.charAt(i + 1) === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text.charAt(i + 1) === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field, 'the last record ends with CRLF').toBe('');
  expect(record).toEqual([]);
  return records;
}

function toRows(records: string[][]): Row[] {
  const [header = [], ...data] = records;
  for (const fields of data) expect(fields).toHaveLength(header.length);
  return data.map((fields) => Object.fromEntries(header.map((h, i) => [h, fields[i] ?? ''])));
}

const decode = (content: string | undefined) => Buffer.from(content ?? '', 'base64').toString('utf8');

/** An account of its own: reports list every principal of the account, so no test shares one. */
interface Tenant {
  credentials: AccountCredentials;
  admin: Key;
  asAdmin: ReturnType<typeof clients>;
  createUserWithKey: (userName: string) => Promise<Key>;
}

function reportSuite(engine: Engine) {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp({ engine });
  });

  afterAll(async () => {
    await server.stop();
  });

  async function tenant(): Promise<Tenant> {
    const credentials = await server.createAccount({ rootAccessKey: true });
    const admin = { id: credentials.accessKeyId, secret: credentials.accessKeySecret };
    const asAdmin = clients(server.endpoint, admin, 'v3');
    return {
      credentials,
      admin,
      asAdmin,
      createUserWithKey: async (userName) => {
        await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName }));
        const key = (await asAdmin.ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName })))
          .body?.accessKey;
        return { id: key?.accessKeyId ?? '', secret: key?.accessKeySecret ?? '' };
      },
    };
  }

  /** Every page of the account's current report with MaxItems, decoded. */
  async function allPages(asAdmin: ReturnType<typeof clients>, maxItems?: number) {
    const pages: { csv: string; truncated: string | undefined; token: string | undefined }[] = [];
    let nextToken: string | undefined;
    do {
      const body = (
        await asAdmin.ims.getCredentialReport(
          new ImsModule.GetCredentialReportRequest({
            ...(maxItems !== undefined && { maxItems: String(maxItems) }),
            nextToken,
          }),
        )
      ).body;
      expect(body?.generatedTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      pages.push({ csv: decode(body?.content), truncated: body?.isTruncated, token: body?.nextToken });
      nextToken = body?.nextToken;
    } while (nextToken !== undefined && pages.length < 50);
    return pages;
  }

  it('answers EntityNotExist.CredentialReport before any report was generated', async () => {
    const { asAdmin } = await tenant();
    const err = await sdkError(asAdmin.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({})));
    expect(err.code).toBe('EntityNotExist.CredentialReport');
    expect(err.statusCode).toBe(404);
    expect(err.message).toContain('GenerateCredentialReport');
  });

  it('reports every principal with its keys, last use and age, and no secret', async () => {
    const { credentials, admin, asAdmin, createUserWithKey } = await tenant();
    const other = await server.createAccount();
    const used = await createUserWithKey('report-used');
    const idle = await createUserWithKey('report-idle');
    await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'report-keyless' }));
    // One call with the key, refused for lack of permission, yet use all the same (its signature
    // verified): its last use (IMS, from this machine) must show in the report at once.
    const refused = await sdkError(clients(server.endpoint, used, 'v3').ims.getAccountSummary());
    expect(refused.code).toBe('NoPermission');

    const generated = await asAdmin.ims.generateCredentialReport();
    expect(generated.body?.state).toBe('COMPLETED');
    const before = Date.now();
    const [page, ...more] = await allPages(asAdmin);
    expect(more).toEqual([]);
    expect(page?.truncated).toBe('false');
    expect(page?.token).toBeUndefined();
    const rows = toRows(parseCsv(page?.csv ?? ''));

    const accountId = credentials.accountId;
    expect(rows.map((r) => r.user)).toEqual([
      '<root>',
      'admin',
      'report-idle',
      'report-keyless',
      'report-used',
    ]);
    const byName = new Map(rows.map((r) => [r.user, r]));
    expect(byName.get('<root>')).toMatchObject({
      user_id: accountId,
      user_principal_name: '',
      access_key_1_id: credentials.rootAccessKeyId,
      access_key_1_status: 'Active',
    });
    const usedRow = byName.get('report-used');
    expect(usedRow).toMatchObject({
      user_principal_name: `report-used@${accountId}.onaliyun.com`,
      access_key_1_id: used.id,
      access_key_1_status: 'Active',
      access_key_1_age_days: '0',
      access_key_1_last_used_service: 'Ims',
      access_key_1_last_used_ip: '127.0.0.1',
      access_key_2_id: '',
      access_key_2_status: '',
    });
    const lastUsed = Date.parse(usedRow?.access_key_1_last_used ?? '');
    expect(lastUsed).toBeGreaterThan(before - 60_000);
    expect(lastUsed).toBeLessThanOrEqual(before);
    expect(usedRow?.user_id).toMatch(/^\d{16}$/);
    expect(usedRow?.user_creation_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(byName.get('report-idle')).toMatchObject({
      access_key_1_id: idle.id,
      access_key_1_last_used: '',
      access_key_1_last_used_service: '',
      access_key_1_last_used_ip: '',
    });
    expect(byName.get('report-keyless')?.access_key_1_id).toBe('');

    const csv = page?.csv ?? '';
    for (const secret of [used.secret, idle.secret, admin.secret, credentials.rootAccessKeySecret ?? '']) {
      expect(csv).not.toContain(secret);
    }
    // Tenancy: the other account's admin and keys never appear.
    expect(csv).not.toContain(other.accountId);
    expect(csv).not.toContain(other.accessKeyId);
  });

  it('pages one data row at a time, the header first, every row exactly once', async () => {
    const { asAdmin, createUserWithKey } = await tenant();
    await createUserWithKey('page-1');
    await createUserWithKey('page-2');
    await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'page-3' }));
    await asAdmin.ims.generateCredentialReport();
    const whole = (await allPages(asAdmin))[0]?.csv ?? '';
    const wholeRows = parseCsv(whole).length - 1;
    expect(wholeRows).toBeGreaterThanOrEqual(5);

    const pages = await allPages(asAdmin, 1);
    expect(pages).toHaveLength(wholeRows);
    expect(pages.map((p) => p.truncated)).toEqual([...Array<string>(wholeRows - 1).fill('true'), 'false']);
    expect(pages.slice(0, -1).every((p) => typeof p.token === 'string' && p.token !== '')).toBe(true);
    expect(parseCsv(pages[0]?.csv ?? '')).toHaveLength(2);
    for (const p of pages.slice(1)) expect(parseCsv(p.csv)).toHaveLength(1);
    expect(pages.map((p) => p.csv).join('')).toBe(whole);
  });

  it('validates MaxItems and NextToken with catalog codes', async () => {
    const { asAdmin } = await tenant();
    await asAdmin.ims.generateCredentialReport();
    for (const maxItems of ['0', '3502', '-1', '1.5', 'ten']) {
      const err = await sdkError(
        asAdmin.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({ maxItems })),
      );
      expect(err.code, maxItems).toBe('InvalidParameter.CredentialReport.MaxItems');
      expect(err.statusCode).toBe(400);
    }
    expect(
      (await asAdmin.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({ maxItems: '3501' })))
        .body?.isTruncated,
    ).toBe('false');

    const token = (
      await asAdmin.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({ maxItems: '1' }))
    ).body?.nextToken;
    expect(token).toBeTruthy();
    const bad = await sdkError(
      asAdmin.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({ nextToken: 'made-up' })),
    );
    expect(bad.code).toBe('InvalidParameter.NextToken');
    expect(bad.statusCode).toBe(400);

    // A token belongs to the report it came from: after a new report it is refused.
    await asAdmin.ram.createUser(new RamModule.CreateUserRequest({ userName: 'report-later' }));
    await asAdmin.ims.generateCredentialReport();
    const stale = await sdkError(
      asAdmin.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({ nextToken: token })),
    );
    expect(stale.code).toBe('InvalidParameter.NextToken');
  });

  it('shows each account only its own report', async () => {
    const { credentials } = await tenant();
    const other = await server.createAccount();
    const theirs = clients(server.endpoint, { id: other.accessKeyId, secret: other.accessKeySecret }, 'v3');
    const missing = await sdkError(
      theirs.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({})),
    );
    expect(missing.code).toBe('EntityNotExist.CredentialReport');
    await theirs.ims.generateCredentialReport();
    const csv = decode(
      (await theirs.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({}))).body?.content,
    );
    const rows = toRows(parseCsv(csv));
    expect(rows.map((r) => r.user)).toEqual(['<root>', 'admin']);
    expect(rows[0]?.user_id).toBe(other.accountId);
    expect(csv).not.toContain(credentials.accountId);
  });

  it('refuses a user without permission, and lets a read-only user read but not generate', async () => {
    const { asAdmin, createUserWithKey } = await tenant();
    await asAdmin.ims.generateCredentialReport();
    const plain = await createUserWithKey('report-nobody');
    const asPlain = clients(server.endpoint, plain, 'v3');
    for (const call of [
      asPlain.ims.generateCredentialReport(),
      asPlain.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({})),
    ]) {
      const err = await sdkError(call);
      expect(err.code).toBe('NoPermission');
      expect(err.statusCode).toBe(403);
    }

    const reader = await createUserWithKey('report-reader');
    await asAdmin.ram.attachPolicyToUser(
      new RamModule.AttachPolicyToUserRequest({
        userName: 'report-reader',
        policyType: 'System',
        policyName: 'ReadOnlyAccess',
      }),
    );
    const asReader = clients(server.endpoint, reader, 'v3');
    const denied = await sdkError(asReader.ims.generateCredentialReport());
    expect(denied.code).toBe('NoPermission');
    const page = await asReader.ims.getCredentialReport(new ImsModule.GetCredentialReportRequest({}));
    expect(decode(page.body?.content)).toMatch(/^user,user_id,user_principal_name,user_creation_time,/);
  });
}

describeSqlite('credential report on SQLite', () => {
  reportSuite('sqlite');
});
await describePostgres('credential report on PostgreSQL', () => {
  reportSuite('postgres');
});
