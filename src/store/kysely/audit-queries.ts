// The audit trail's queries: events (append, look up, purge) and per-key usage counts (added up,
// and listed by source IP, action or service), for the audit aggregate and for the write path that
// commits a request's event (context.ts). The same SQL runs on SQLite and PostgreSQL.
import {
  CompiledQuery,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type Selectable,
  type SelectQueryBuilder,
  sql,
} from 'kysely';
import type { AuditEventsTable, Database } from '../database.js';
import type {
  AuditEventPage,
  AuditEventQuery,
  AuditEventRecord,
  ConsoleEventType,
  AuditPosition,
  AuditPrincipalType,
  KeyUsageGroup,
  KeyUsageGroupQuery,
  KeyUsageUpdate,
} from '../records.js';

/**
 * Rows per INSERT statement, largest first: a batch is written as 400-row statements and then the
 * rest in smaller ones, so that only these five statements ever need compiling. 20 columns x 400
 * rows stays under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
 */
const STATEMENT_ROWS = [400, 100, 25, 5, 1] as const;

export function toRow(event: AuditEventRecord): Insertable<AuditEventsTable> {
  return {
    event_id: event.eventId,
    event_time: event.eventTime,
    account_id: event.accountId,
    access_key_id: event.accessKeyId,
    principal_type: event.principalType,
    principal_id: event.principalId,
    user_name: event.userName,
    event_name: event.eventName,
    event_rw: event.eventRw,
    service_name: event.serviceName,
    api_version: event.apiVersion,
    event_source: event.eventSource,
    request_id: event.requestId,
    source_ip: event.sourceIp,
    user_agent: event.userAgent,
    error_code: event.errorCode,
    error_message: event.errorMessage,
    request_parameters: JSON.stringify(event.requestParameters),
    call_count: event.callCount ?? 1,
    access_key_policy_audit: event.accessKeyPolicyAudit ?? '',
    event_type: event.eventType ?? '',
  };
}

function isConsoleEventType(value: string): value is ConsoleEventType {
  return value === 'ConsoleOperation' || value === 'ConsoleSignin' || value === 'ConsoleSignout';
}

function toEvent(row: Selectable<AuditEventsTable>): AuditEventRecord {
  return {
    eventId: row.event_id,
    eventTime: row.event_time,
    accountId: row.account_id,
    accessKeyId: row.access_key_id,
    principalType: row.principal_type as AuditPrincipalType,
    principalId: row.principal_id,
    userName: row.user_name,
    eventName: row.event_name,
    eventRw: row.event_rw === 'Write' ? 'Write' : 'Read',
    serviceName: row.service_name,
    apiVersion: row.api_version,
    eventSource: row.event_source,
    requestId: row.request_id,
    sourceIp: row.source_ip,
    userAgent: row.user_agent,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    requestParameters: JSON.parse(row.request_parameters) as Record<string, string>,
    ...(row.call_count !== 1 && { callCount: row.call_count }),
    ...((row.access_key_policy_audit === 'AccessKey' || row.access_key_policy_audit === 'Account') && {
      accessKeyPolicyAudit: row.access_key_policy_audit,
    }),
    ...(isConsoleEventType(row.event_type) && { eventType: row.event_type }),
  };
}

/** The columns in the order toRow lists them, which is the order Kysely binds a row's values in. */
export const EVENT_COLUMNS = Object.keys(toRow(placeholderEvent())) as (keyof AuditEventsTable)[];

function placeholderEvent(): AuditEventRecord {
  return {
    eventId: '',
    eventTime: 0,
    accountId: '',
    accessKeyId: '',
    principalType: '',
    principalId: '',
    userName: '',
    eventName: '',
    eventRw: 'Read',
    serviceName: '',
    apiVersion: '',
    eventSource: '',
    requestId: '',
    sourceIp: '',
    userAgent: '',
    errorCode: '',
    errorMessage: '',
    requestParameters: {},
  };
}

/**
 * Compiled INSERT texts by engine and row count. Compiling a 400-row insert costs more than running
 * it (measured: about 8 us per row), and the text only depends on the engine and the row count.
 */
const insertTexts = new Map<string, string>();

function insertText(db: Kysely<Database>, engine: string, rows: number): string {
  const key = `${engine}:${String(rows)}`;
  let text = insertTexts.get(key);
  if (text === undefined) {
    const row = toRow(placeholderEvent());
    text = db
      .insertInto('audit_events')
      .values(Array.from({ length: rows }, () => row))
      // A retried flush may carry an event already written: the event ID makes it harmless.
      .onConflict((oc) => oc.column('event_id').doNothing())
      .compile().sql;
    insertTexts.set(key, text);
  }
  return text;
}

/** Appends events, in as few statements as the bound-parameter limits allow. */
export async function insertAuditEvents(
  db: Kysely<Database>,
  engine: string,
  events: readonly AuditEventRecord[],
): Promise<void> {
  let at = 0;
  for (const size of STATEMENT_ROWS) {
    while (events.length - at >= size) {
      const params: unknown[] = [];
      for (const event of events.slice(at, at + size)) {
        // In EVENT_COLUMNS order: toRow always lists its fields in that order.
        params.push(...Object.values(toRow(event)));
      }
      await db.executeQuery(CompiledQuery.raw(insertText(db, engine, size), params));
      at += size;
    }
  }
}

/** Usage rows per upsert statement: 9 bound values each, far under either engine's limit. */
const USAGE_ROWS = 500;

/** What a usage row counts, which updates to it add to or widen. */
interface UsageCounts {
  firstUsedAt: number;
  lastUsedAt: number;
  callCount: number;
  lastEventId: string;
}

/** What access_key_usage_groups groups a key's usage by (see the 0008 migration). */
export type UsageDimension = 'ip' | 'event' | 'service';

/** An update to one row of access_key_usage_groups. */
interface GroupUpdate extends UsageCounts {
  accessKeyId: string;
  accountId: string;
  dimension: UsageDimension;
  /** '' for every service. */
  serviceName: string;
  name: string;
}

/** The slot a usage update adds to: one row per (key, service, action, source IP). */
function usageSlot(u: KeyUsageUpdate): string {
  return JSON.stringify([u.accessKeyId, u.serviceName, u.eventName, u.sourceIp]);
}

function groupSlot(g: GroupUpdate): string {
  return JSON.stringify([g.accessKeyId, g.dimension, g.serviceName, g.name]);
}

/** The groups a usage row adds to: its IP and its action, for every service and for its own; its service. */
function groupsOf(u: KeyUsageUpdate): GroupUpdate[] {
  const group = (dimension: UsageDimension, serviceName: string, name: string): GroupUpdate => ({
    accessKeyId: u.accessKeyId,
    accountId: u.accountId,
    dimension,
    serviceName,
    name,
    firstUsedAt: u.firstUsedAt,
    lastUsedAt: u.lastUsedAt,
    callCount: u.callCount,
    lastEventId: u.lastEventId,
  });
  return [
    group('ip', '', u.sourceIp),
    group('ip', u.serviceName, u.sourceIp),
    group('event', '', u.eventName),
    group('event', u.serviceName, u.eventName),
    group('service', '', u.serviceName),
  ];
}

/**
 * One update per slot, as adding them to the row in turn would: counts add up, first use is the
 * earliest, last use the latest with its event (the first of equal instants keeps it). PostgreSQL
 * refuses a statement that upserts one row twice, so a statement must carry each slot once.
 */
function mergePerSlot<T extends UsageCounts>(updates: readonly T[], slot: (u: T) => string): T[] {
  const merged = new Map<string, T>();
  for (const u of updates) {
    const key = slot(u);
    const seen = merged.get(key);
    if (seen === undefined) {
      merged.set(key, { ...u });
      continue;
    }
    seen.callCount += u.callCount;
    seen.firstUsedAt = Math.min(seen.firstUsedAt, u.firstUsedAt);
    if (u.lastUsedAt > seen.lastUsedAt) {
      seen.lastUsedAt = u.lastUsedAt;
      seen.lastEventId = u.lastEventId;
    }
  }
  return [...merged.values()];
}

/**
 * The upsert's update of a row of `table` already there, as mergePerSlot merges: first and last
 * use only ever widen, and a late batch never replaces the latest event.
 */
function widened(table: 'access_key_usage' | 'access_key_usage_groups') {
  const row = (column: string) => sql.ref(`${table}.${column}`);
  const excluded = (column: string) => sql.ref(`excluded.${column}`);
  const later = sql`${excluded('last_used_at')} > ${row('last_used_at')}`;
  return {
    call_count: sql<number>`${row('call_count')} + ${excluded('call_count')}`,
    first_used_at: sql<number>`case when ${excluded('first_used_at')} < ${row('first_used_at')}
      then ${excluded('first_used_at')} else ${row('first_used_at')} end`,
    last_used_at: sql<number>`case when ${later} then ${excluded('last_used_at')} else ${row('last_used_at')} end`,
    last_event_id: sql<string>`case when ${later} then ${excluded('last_event_id')} else ${row('last_event_id')} end`,
  };
}

/**
 * Adds the updates to their rows and to their groups' rows, a few hundred per statement: the
 * groups are what the key usage actions read (keyUsageGroups), each listed without a GROUP BY.
 */
export async function addKeyUsage(db: Kysely<Database>, updates: readonly KeyUsageUpdate[]): Promise<void> {
  const rows = mergePerSlot(updates, usageSlot);
  for (let at = 0; at < rows.length; at += USAGE_ROWS) {
    await db
      .insertInto('access_key_usage')
      .values(
        rows.slice(at, at + USAGE_ROWS).map((u) => ({
          access_key_id: u.accessKeyId,
          account_id: u.accountId,
          service_name: u.serviceName,
          event_name: u.eventName,
          source_ip: u.sourceIp,
          first_used_at: u.firstUsedAt,
          last_used_at: u.lastUsedAt,
          call_count: u.callCount,
          last_event_id: u.lastEventId,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['access_key_id', 'service_name', 'event_name', 'source_ip'])
          .doUpdateSet(widened('access_key_usage')),
      )
      .execute();
  }
  const groups = mergePerSlot(rows.flatMap(groupsOf), groupSlot);
  for (let at = 0; at < groups.length; at += USAGE_ROWS) {
    await db
      .insertInto('access_key_usage_groups')
      .values(
        groups.slice(at, at + USAGE_ROWS).map((g) => ({
          access_key_id: g.accessKeyId,
          account_id: g.accountId,
          dimension: g.dimension,
          service_name: g.serviceName,
          group_name: g.name,
          first_used_at: g.firstUsedAt,
          last_used_at: g.lastUsedAt,
          call_count: g.callCount,
          last_event_id: g.lastEventId,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['access_key_id', 'dimension', 'service_name', 'group_name'])
          .doUpdateSet(widened('access_key_usage_groups')),
      )
      .execute();
  }
}

export async function setAuditOutcome(
  db: Kysely<Database>,
  eventId: string,
  errorCode: string,
  errorMessage: string,
): Promise<void> {
  await db
    .updateTable('audit_events')
    .set({ error_code: errorCode, error_message: errorMessage })
    .where('event_id', '=', eventId)
    .execute();
}

/** How much one lookup call may examine (see lookupAuditEvents). */
export interface ScanBounds {
  /** Events one statement may examine. */
  rows: number;
  /** Chunks of `rows` events per call (two statements each). */
  chunks: number;
  /** Wall time per call, ms, checked between chunks: a slow disk ends a call sooner. */
  ms: number;
}

/**
 * 2,000 events take SQLite about a millisecond to examine (measured: a 100,000-event scan blocked
 * the event loop for 40-60 ms), so a statement never blocks it for more than a few; a call stops
 * after 100,000 events or 20 ms, whichever comes first.
 */
export const LOOKUP_BOUNDS: ScanBounds = { rows: 2000, chunks: 50, ms: 20 };

type EventQuery<O> = SelectQueryBuilder<Database, 'audit_events', O>;

/**
 * The query's index range: the account's events (or one key's, which has an index of its own)
 * within the time bounds, past `from` and up to `to` (inclusive) in the query's direction. Each end
 * is ONE constraint, the position's when there is one: given a time bound as well, SQLite seeks by
 * the time bound and checks the position row by row, and every chunk would walk again from the top.
 */
function walk(db: Kysely<Database>, q: AuditEventQuery, from: AuditPosition | undefined, to?: AuditPosition) {
  const forward = q.direction === 'FORWARD';
  let query = db
    .selectFrom('audit_events')
    .where('account_id', q.accountId === null ? 'is' : '=', q.accountId);
  if (q.accessKeyId !== undefined) query = query.where('access_key_id', '=', q.accessKeyId);
  // A position from before the range (a token of a wider lookup) starts at the range's start.
  if (from !== undefined && (forward ? from.eventTime >= q.startTime : from.eventTime <= q.endTime)) {
    query = query.where(position(forward ? '>' : '<', from));
  } else {
    query = query.where('event_time', forward ? '>=' : '<=', forward ? q.startTime : q.endTime);
  }
  // `to` comes from this walk, so it lies within the range.
  if (to !== undefined) return query.where(position(forward ? '<=' : '>=', to));
  return query.where('event_time', forward ? '<=' : '>=', forward ? q.endTime : q.startTime);
}

/** Positions on one side of `at`, as one row-value comparison the (…, time, ID) indexes serve. */
function position(op: '>' | '<' | '<=' | '>=', at: AuditPosition) {
  return (eb: ExpressionBuilder<Database, 'audit_events'>) =>
    eb(eb.refTuple('event_time', 'event_id'), op, eb.tuple(at.eventTime, at.eventId));
}

/**
 * `column` equal to `value` ignoring case: action names, service codes and RAM user names are matched
 * case-insensitively (a user name is unique in its account regardless of case). They are ASCII, where
 * SQLite's and PostgreSQL's lower() agree; no index serves these columns, so lower() costs none.
 */
function equalsIgnoringCase(column: 'event_name' | 'service_name' | 'user_name', value: string) {
  return (eb: ExpressionBuilder<Database, 'audit_events'>) =>
    eb(eb.fn<string>('lower', [eb.ref(column)]), '=', value.toLowerCase());
}

/** The filters no index serves: with one, matches may be sparse and a lookup must scan for them. */
function unindexed<O>(query: EventQuery<O>, q: AuditEventQuery): EventQuery<O> {
  let filtered = query;
  if (q.eventName !== undefined) filtered = filtered.where(equalsIgnoringCase('event_name', q.eventName));
  if (q.serviceName !== undefined)
    filtered = filtered.where(equalsIgnoringCase('service_name', q.serviceName));
  if (q.userName !== undefined) filtered = filtered.where(equalsIgnoringCase('user_name', q.userName));
  if (q.eventRw !== undefined) filtered = filtered.where('event_rw', '=', q.eventRw);
  if (q.accessKeyPolicyAudit) filtered = filtered.where('access_key_policy_audit', '<>', '');
  return filtered;
}

function ordered<O>(query: EventQuery<O>, q: AuditEventQuery): EventQuery<O> {
  const order = q.direction === 'BACKWARD' ? 'desc' : 'asc';
  return query.orderBy('event_time', order).orderBy('event_id', order);
}

/**
 * The LookupEvents query in one statement, for a lookup whose every row in range matches (or with
 * an event ID, at most one row): it examines at most `limit` rows. Exported so that a test can check
 * its plan uses the indexes.
 */
export function lookupQuery(db: Kysely<Database>, q: AuditEventQuery) {
  let query = unindexed(walk(db, q, q.after).selectAll(), q);
  if (q.eventId !== undefined) query = query.where('event_id', '=', q.eventId);
  return ordered(query, q).limit(q.limit);
}

/** The position `rows` events along the walk after `after`; none when fewer remain. */
export function scanEdgeQuery(
  db: Kysely<Database>,
  q: AuditEventQuery,
  after: AuditPosition | undefined,
  rows: number,
) {
  return ordered(walk(db, q, after).select(['event_time', 'event_id']), q)
    .limit(1)
    .offset(rows - 1);
}

/** The matching events after `after` up to `edge` (to the end of the range without one). */
export function scanChunkQuery(
  db: Kysely<Database>,
  q: AuditEventQuery,
  after: AuditPosition | undefined,
  edge: AuditPosition | undefined,
  limit: number,
) {
  return ordered(unindexed(walk(db, q, after, edge).selectAll(), q), q).limit(limit);
}

function positionOf(row: { event_time: number; event_id: string }): AuditPosition {
  return { eventTime: row.event_time, eventId: row.event_id };
}

/**
 * One page of a lookup. Matches of an unindexed filter (action, service, user, read/write without
 * an event ID) may be sparse, and on SQLite a statement blocks the event loop while it runs: so
 * such a lookup walks its index range in chunks of `bounds.rows` events, two statements each (the
 * chunk's last position, then its matches), yielding to the event loop between chunks, and stops
 * after `bounds.chunks` chunks or `bounds.ms` with what it found and the last position examined.
 */
export async function lookupAuditEvents(
  db: Kysely<Database>,
  q: AuditEventQuery,
  bounds: ScanBounds = LOOKUP_BOUNDS,
): Promise<AuditEventPage> {
  const sparse =
    q.eventId === undefined &&
    (q.eventName !== undefined ||
      q.serviceName !== undefined ||
      q.userName !== undefined ||
      q.eventRw !== undefined ||
      q.accessKeyPolicyAudit === true);
  if (!sparse) {
    const rows = await lookupQuery(db, q).execute();
    const last = rows.length === q.limit ? rows.at(-1) : undefined;
    return { events: rows.map(toEvent), ...(last && { next: positionOf(last) }) };
  }
  const began = performance.now();
  const events: AuditEventRecord[] = [];
  let after = q.after;
  for (let chunk = 1; ; chunk++) {
    const edgeRow = await scanEdgeQuery(db, q, after, bounds.rows).executeTakeFirst();
    const edge = edgeRow && positionOf(edgeRow);
    const rows = await scanChunkQuery(db, q, after, edge, q.limit - events.length).execute();
    events.push(...rows.map(toEvent));
    const last = rows.at(-1);
    if (events.length === q.limit && last) return { events, next: positionOf(last) };
    if (edge === undefined) return { events };
    if (chunk === bounds.chunks || performance.now() - began >= bounds.ms) return { events, next: edge };
    after = edge;
    // Let what waits (a health check, other requests) run before the next chunk.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export async function getAuditEvents(
  db: Kysely<Database>,
  accountId: string,
  eventIds: readonly string[],
): Promise<AuditEventRecord[]> {
  if (eventIds.length === 0) return [];
  const rows = await db
    .selectFrom('audit_events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('event_id', 'in', eventIds)
    .execute();
  return rows.map(toEvent);
}

/** The key's groups of `dimension` for the service (every one without it), as KeyUsageGroups. */
function groupRange(
  db: Kysely<Database>,
  accountId: string,
  accessKeyId: string,
  dimension: UsageDimension,
  serviceName: string | undefined,
) {
  return db
    .selectFrom('access_key_usage_groups')
    .select((eb) => [
      eb.ref('group_name').as('name'),
      eb.ref('first_used_at').as('firstUsedAt'),
      eb.ref('last_used_at').as('lastUsedAt'),
      eb.ref('call_count').as('callCount'),
      eb.ref('last_event_id').as('lastEventId'),
    ])
    .where('account_id', '=', accountId)
    .where('access_key_id', '=', accessKeyId)
    .where('dimension', '=', dimension)
    .where('service_name', '=', serviceName ?? '');
}

/**
 * The statements of a page of groups, each the next `limit` entries of the index
 * access_key_usage_groups_recent from a point: the groups used at the instant of `after` whose names
 * follow it (none without `after`), then those used before it (or all). Two, because the order mixes
 * directions (time descending, name ascending), which no single row comparison expresses; exported
 * so that a test can check their plans.
 */
export function keyUsagePageQueries(
  db: Kysely<Database>,
  accountId: string,
  accessKeyId: string,
  dimension: UsageDimension,
  q: KeyUsageGroupQuery,
) {
  const range = () => groupRange(db, accountId, accessKeyId, dimension, q.serviceName);
  const { after } = q;
  return {
    sameInstant:
      after &&
      range()
        .where('last_used_at', '=', after.lastUsedAt)
        .where('group_name', '>', after.name)
        .orderBy('group_name')
        .limit(q.limit),
    before: (limit: number) =>
      (after ? range().where('last_used_at', '<', after.lastUsedAt) : range())
        .orderBy('last_used_at', 'desc')
        .orderBy('group_name')
        .limit(limit),
  };
}

/** Up to `q.limit` of the key's groups of `dimension` after `q.after`, in at most two index ranges. */
export async function keyUsageGroups(
  db: Kysely<Database>,
  accountId: string,
  accessKeyId: string,
  dimension: UsageDimension,
  q: KeyUsageGroupQuery,
): Promise<KeyUsageGroup[]> {
  const { sameInstant, before } = keyUsagePageQueries(db, accountId, accessKeyId, dimension, q);
  const groups = sameInstant ? await sameInstant.execute() : [];
  if (groups.length < q.limit) groups.push(...(await before(q.limit - groups.length).execute()));
  return groups;
}

export async function purgeAuditEvents(db: Kysely<Database>, before: number, limit: number): Promise<number> {
  // Oldest first, a bounded batch per statement, so that a large purge never holds the database long.
  const result = await db
    .deleteFrom('audit_events')
    .where('event_id', 'in', (eb) =>
      eb
        .selectFrom('audit_events')
        .select('event_id')
        .where('event_time', '<', before)
        .orderBy('event_time')
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
