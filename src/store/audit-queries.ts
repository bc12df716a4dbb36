// The audit trail's queries: events (append, look up, purge) and per-key usage counts. Kept apart
// from KyselyStore so that the identity queries there and these stay readable; the same SQL runs on
// SQLite and PostgreSQL.
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AccessKeyUsageTable, AuditEventsTable, Database } from './database.js';
import type {
  AuditEventQuery,
  AuditEventRecord,
  AuditPrincipalType,
  KeyUsageRecord,
  KeyUsageUpdate,
} from './store.js';

/**
 * Rows per INSERT statement: 18 columns x 400 rows stays under SQLite's 32,766 bound parameters and
 * PostgreSQL's 65,535.
 */
const ROWS_PER_STATEMENT = 400;

function toRow(event: AuditEventRecord): Insertable<AuditEventsTable> {
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
  };
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
  };
}

function toUsage(row: Selectable<AccessKeyUsageTable>): KeyUsageRecord {
  return {
    accessKeyId: row.access_key_id,
    accountId: row.account_id,
    serviceName: row.service_name,
    eventName: row.event_name,
    sourceIp: row.source_ip,
    firstUsedAt: row.first_used_at,
    lastUsedAt: row.last_used_at,
    callCount: row.call_count,
    lastEventId: row.last_event_id,
  };
}

export async function insertAuditEvents(
  db: Kysely<Database>,
  events: readonly AuditEventRecord[],
): Promise<void> {
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const rows = events.slice(i, i + ROWS_PER_STATEMENT).map(toRow);
    // A retried flush may carry an event already written: the event ID makes it harmless.
    await db
      .insertInto('audit_events')
      .values(rows)
      .onConflict((oc) => oc.column('event_id').doNothing())
      .execute();
  }
}

/** Adds each update to its (key, service, action, IP) row; first/last use only ever widen. */
export async function addKeyUsage(db: Kysely<Database>, updates: readonly KeyUsageUpdate[]): Promise<void> {
  for (const u of updates) {
    await db
      .insertInto('access_key_usage')
      .values({
        access_key_id: u.accessKeyId,
        account_id: u.accountId,
        service_name: u.serviceName,
        event_name: u.eventName,
        source_ip: u.sourceIp,
        first_used_at: u.firstUsedAt,
        last_used_at: u.lastUsedAt,
        call_count: u.callCount,
        last_event_id: u.lastEventId,
      })
      .onConflict((oc) =>
        oc.columns(['access_key_id', 'service_name', 'event_name', 'source_ip']).doUpdateSet((eb) => ({
          call_count: eb('access_key_usage.call_count', '+', eb.ref('excluded.call_count')),
          first_used_at: eb
            .case()
            .when('excluded.first_used_at', '<', eb.ref('access_key_usage.first_used_at'))
            .then(eb.ref('excluded.first_used_at'))
            .else(eb.ref('access_key_usage.first_used_at'))
            .end(),
          last_used_at: eb
            .case()
            .when('excluded.last_used_at', '>', eb.ref('access_key_usage.last_used_at'))
            .then(eb.ref('excluded.last_used_at'))
            .else(eb.ref('access_key_usage.last_used_at'))
            .end(),
          last_event_id: eb
            .case()
            .when('excluded.last_used_at', '>', eb.ref('access_key_usage.last_used_at'))
            .then(eb.ref('excluded.last_event_id'))
            .else(eb.ref('access_key_usage.last_event_id'))
            .end(),
        })),
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

/** The LookupEvents query (exported so that a test can check its plan uses the indexes). */
export function lookupQuery(db: Kysely<Database>, q: AuditEventQuery) {
  const backward = q.direction === 'BACKWARD';
  let query = db
    .selectFrom('audit_events')
    .selectAll()
    .where('account_id', q.accountId === null ? 'is' : '=', q.accountId)
    .where('event_time', '>=', q.startTime)
    .where('event_time', '<=', q.endTime);
  if (q.accessKeyId !== undefined) query = query.where('access_key_id', '=', q.accessKeyId);
  if (q.eventName !== undefined) query = query.where('event_name', '=', q.eventName);
  if (q.serviceName !== undefined) query = query.where('service_name', '=', q.serviceName);
  if (q.userName !== undefined) query = query.where('user_name', '=', q.userName);
  if (q.eventRw !== undefined) query = query.where('event_rw', '=', q.eventRw);
  if (q.eventId !== undefined) query = query.where('event_id', '=', q.eventId);
  const after = q.after;
  if (after !== undefined) {
    const op = backward ? '<' : '>';
    query = query.where((eb) =>
      eb.or([
        eb('event_time', op, after.eventTime),
        eb.and([eb('event_time', '=', after.eventTime), eb('event_id', op, after.eventId)]),
      ]),
    );
  }
  const order = backward ? 'desc' : 'asc';
  return query.orderBy('event_time', order).orderBy('event_id', order).limit(q.limit);
}

export async function lookupAuditEvents(
  db: Kysely<Database>,
  q: AuditEventQuery,
): Promise<AuditEventRecord[]> {
  const rows = await lookupQuery(db, q).execute();
  return rows.map(toEvent);
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

export async function listKeyUsage(
  db: Kysely<Database>,
  accountId: string,
  accessKeyId: string,
): Promise<KeyUsageRecord[]> {
  const rows = await db
    .selectFrom('access_key_usage')
    .selectAll()
    .where('access_key_id', '=', accessKeyId)
    .where('account_id', '=', accountId)
    .orderBy('last_used_at', 'desc')
    .orderBy('source_ip')
    .execute();
  return rows.map(toUsage);
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
