// The IMS credential report: one CSV row per principal of an account (root first, then users by
// name) with its live AccessKeys, their age and last use. Never a secret: AccessKey IDs only.
import { createHash } from 'node:crypto';
import { DAY_MS, toWireDate, type Clock } from '../core/clock.js';
import { CRLF, csvRecord, splitCsvRecords } from '../core/csv.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import type { AccessKeySummary, CredentialReportSource, Store } from '../store/store.js';
import { decodeListMarker, encodeListMarker } from '../core/list-marker.js';
import type { Quotas } from './quotas.js';
import { userPrincipalName } from './principal.js';
import type { UsageRecorder } from './usage-recorder.js';

/** The largest and default page size of GetCredentialReport, in data rows. */
export const CREDENTIAL_REPORT_MAX_ITEMS = 3501;

const KEY_COLUMNS = [
  'id',
  'status',
  'created',
  'age_days',
  'last_used',
  'last_used_service',
  'last_used_ip',
  // Ramkey's: true when the key is restricted as suspected leaked (see leak-response.ts).
  'leak_restricted',
];

export function credentialReportHeader(keyColumns: number): string[] {
  const header = ['user', 'user_id', 'user_principal_name', 'user_creation_time'];
  for (let i = 1; i <= keyColumns; i++) header.push(...KEY_COLUMNS.map((c) => `access_key_${i}_${c}`));
  return header;
}

/**
 * The report as CSV: a header, then the root identity (`<root>`), then every user in the order the
 * source lists them. Each principal's keys fill `keysPerPrincipal` column groups oldest first, or
 * more when some principal has more live keys than that (a limit lowered after they were made), so
 * no live key is ever left out; missing keys leave their columns empty.
 */
export function buildCredentialReport(
  source: CredentialReportSource,
  options: { now: number; keysPerPrincipal: number; restricted?: ReadonlySet<string> },
): string {
  const restricted = options.restricted ?? new Set<string>();
  const keysOf = new Map<string | null, AccessKeySummary[]>();
  for (const key of source.accessKeys) {
    const keys = keysOf.get(key.userId);
    if (keys === undefined) keysOf.set(key.userId, [key]);
    else keys.push(key);
  }
  const principals = [
    { user: '<root>', id: source.accountId, upn: '', createdAt: source.accountCreatedAt, keyOwner: null },
    ...source.users.map((u) => ({
      user: u.userName,
      id: u.userId,
      upn: userPrincipalName(source.accountId, u.userName),
      createdAt: u.createdAt,
      keyOwner: u.userId,
    })),
  ];
  // Keys of a user not in the source (created after the users were read) are left out with it.
  const columns = Math.max(
    options.keysPerPrincipal,
    ...principals.map((p) => keysOf.get(p.keyOwner)?.length ?? 0),
  );
  const lines = [csvRecord(credentialReportHeader(columns))];
  for (const p of principals) {
    const row = [p.user, p.id, p.upn, toWireDate(p.createdAt)];
    const keys = keysOf.get(p.keyOwner) ?? [];
    for (let i = 0; i < columns; i++) {
      const key = keys[i];
      row.push(...(key === undefined ? KEY_COLUMNS.map(() => '') : keyFields(key, options.now, restricted)));
    }
    lines.push(csvRecord(row));
  }
  return lines.join('');
}

function keyFields(key: AccessKeySummary, now: number, restricted: ReadonlySet<string>): string[] {
  return [
    key.accessKeyId,
    key.status,
    toWireDate(key.createdAt),
    // Whole days; never negative, even should another process's clock run slightly ahead.
    String(Math.max(0, Math.floor((now - key.createdAt) / DAY_MS))),
    key.lastUsedAt === null ? '' : toWireDate(key.lastUsedAt),
    key.lastUsedService ?? '',
    key.lastUsedIp ?? '',
    String(restricted.has(key.accessKeyId)),
  ];
}

export interface CredentialReportPage {
  /** CSV records of this page: the header on the first page only, then up to maxItems data rows. */
  content: string;
  generatedAt: number;
  /** Present when more rows follow: pass it back as `nextToken`. */
  nextToken?: string;
}

/**
 * A NextToken: the offset of the next data row and the report it belongs to (its time and a digest
 * of its content), so a token from an older report is refused rather than paging a newer one.
 */
function reportTag(generatedAt: number, content: string): string {
  return `${generatedAt}.${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
}

function encodeToken(offset: number, tag: string): string {
  return encodeListMarker(`${String(offset)}.${tag}`);
}

/** The data-row offset a token stands for; throws InvalidParameter.NextToken for anything else. */
function decodeToken(token: string, tag: string, rows: number): number {
  const match = /^([1-9]\d{0,8})\.(.+)$/.exec(decodeListMarker(token, 'InvalidParameter.NextToken'));
  // Handed-out tokens belong to this report and point inside it, past its first row.
  if (match?.[1] === undefined || match[2] !== tag || Number(match[1]) >= rows) {
    throw new RamkeyError('InvalidParameter.NextToken');
  }
  return Number(match[1]);
}

export class CredentialReportService {
  constructor(
    private readonly store: Store,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
    private readonly quotas: Quotas,
  ) {}

  /**
   * Builds the account's report now and stores it in place of the previous one. Synchronous: it is
   * complete when this returns. Pending last-used updates are flushed first, so uses up to this
   * call appear in it.
   */
  async generate(accountId: string): Promise<number> {
    await this.usage.flush();
    const source = await this.store.loadCredentialReportSource(accountId);
    // The caller was just authenticated in this account, so it exists: anything else is a bug.
    if (source === undefined) throw new Error(`credential report: no account ${accountId}`);
    const now = this.clock.now();
    const restrictions = await this.store.getKeyRestrictions(source.accessKeys.map((k) => k.accessKeyId));
    const csv = buildCredentialReport(source, {
      now,
      keysPerPrincipal: this.quotas.accessKeysPerPrincipal,
      restricted: new Set(restrictions.map((r) => r.accessKeyId)),
    });
    await this.store.saveCredentialReport(accountId, now, csv);
    return now;
  }

  /** One page of the stored report. Throws EntityNotExist.CredentialReport before any generate. */
  async page(
    accountId: string,
    options: { maxItems: number; nextToken?: string | undefined },
  ): Promise<CredentialReportPage> {
    const report = await this.store.getCredentialReport(accountId);
    if (report === undefined) throw new RamkeyError('EntityNotExist.CredentialReport');
    const [header = '', ...rows] = splitCsvRecords(report.content);
    const tag = reportTag(report.generatedAt, report.content);
    const offset = options.nextToken === undefined ? 0 : decodeToken(options.nextToken, tag, rows.length);
    const end = offset + options.maxItems;
    const records = [...(offset === 0 ? [header] : []), ...rows.slice(offset, end)];
    const page: CredentialReportPage = {
      content: records.map((r) => r + CRLF).join(''),
      generatedAt: report.generatedAt,
    };
    if (end < rows.length) page.nextToken = encodeToken(end, tag);
    return page;
  }
}
