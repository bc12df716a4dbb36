// The audit trail: one event per API call that reaches the gate, allowed or refused. A write action's
// event commits in the same transaction as its change (Store.withAuditEvent); every other event is
// queued in the usage recorder and flushed within a second. Also answers the questions asked of it:
// LookupEvents, and a key's usage by service, action and source IP.
import {
  ACTION_NAME,
  API_VERSION,
  auditedAccessKeyId,
  auditedErrorMessage,
  auditedName,
  auditedParameters,
  auditedUserAgent,
} from '../core/audit/event-fields.js';
import { eventId } from '../core/audit/event-id.js';
import { DAY_MS, type Clock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import type { SignedRequest } from '../core/signature/index.js';
import type {
  AuditEventPage,
  AuditEventQuery,
  AuditEventRecord,
  AuditSlot,
  KeyUsageRecord,
  Store,
} from '../store/store.js';
import type { ActionFacts } from './action-facts.js';
import type { Admission, Connection } from './gate/admission.js';
import type { Principal } from './principal.js';
import type { UsageRecorder } from './usage-recorder.js';

/**
 * One call as it went, as values: what the connection said, what the request claimed once it
 * parsed, the action it was routed to, the gate's decision, and the error it ended with. Each part
 * is absent when the call did not get that far.
 */
export interface CallRecord {
  readonly requestId: string;
  /** When the call arrived: the event's time. */
  readonly receivedAt: number;
  /** The host the call was addressed to (ActionTrail's eventSource). */
  readonly host: string;
  readonly connection: Connection;
  readonly request?: SignedRequest | undefined;
  readonly action?: ActionFacts | undefined;
  readonly admission?: Admission | undefined;
  /** The code and message the caller got; absent on success. */
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /** Set when the call's event already committed with its change (see `commitWith`). */
  readonly committedEventId?: string | undefined;
}

/** What `commitWith` reports: the work's outcome, and the event ID if the event committed with it. */
export type CommittedOutcome<T> = (
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown }
) & { readonly committedEventId: string | undefined };

/** Days events are kept unless configured otherwise (ActionTrail's event history keeps 90). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;
/** Parameter characters kept of a call that named no known key. */
const UNATTRIBUTED_PARAMETER_CHARS = 1024;
/** Events deleted per statement by the retention job. */
const PURGE_BATCH = 500;

export class AuditTrail {
  constructor(
    private readonly store: Store,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly retentionDays: number,
  ) {}

  /**
   * Runs a write action so that its change commits together with its event: the first write
   * transaction that changes something inserts it. Never throws: the outcome is a value.
   */
  async commitWith<T>(call: CallRecord, work: () => Promise<T>): Promise<CommittedOutcome<T>> {
    const slot: AuditSlot = { event: this.toRecord(call), written: false };
    try {
      const value = await this.store.withAuditEvent(slot, work);
      return { ok: true, value, committedEventId: slot.written ? slot.event.eventId : undefined };
    } catch (error) {
      return { ok: false, error, committedEventId: slot.written ? slot.event.eventId : undefined };
    }
  }

  /**
   * Records the finished call: counts the use of its key when the gate said the call was use, and
   * queues its event, unless the event already committed with a change (then only a later failure
   * is written to it).
   */
  async record(call: CallRecord): Promise<void> {
    if (call.committedEventId !== undefined) {
      this.countUse(call, call.committedEventId);
      if (call.error) {
        await this.store.setAuditOutcome(
          call.committedEventId,
          call.error.code,
          auditedErrorMessage(call.error.message),
        );
      }
      return;
    }
    const event = this.toRecord(call);
    this.countUse(call, event.eventId);
    this.usage.recordEvent(event);
  }

  private countUse(call: CallRecord, eventId: string): void {
    const admission = call.admission;
    if (!admission?.used || !admission.principal || !call.request || !call.action) return;
    this.usage.recordUse({
      accessKeyId: call.request.accessKeyId,
      accountId: admission.principal.accountId,
      service: call.action.service,
      eventName: call.action.name,
      sourceIp: call.connection.sourceIp,
      eventId,
      at: call.receivedAt,
    });
  }

  lookup(query: AuditEventQuery): Promise<AuditEventPage> {
    return this.store.lookupAuditEvents(query);
  }

  keyUsage(accountId: string, accessKeyId: string): Promise<KeyUsageRecord[]> {
    return this.store.listKeyUsage(accountId, accessKeyId);
  }

  events(accountId: string, eventIds: readonly string[]): Promise<AuditEventRecord[]> {
    return this.store.getAuditEvents(accountId, eventIds);
  }

  /** The oldest instant still kept. */
  retentionStart(): number {
    return this.clock.now() - this.retentionDays * DAY_MS;
  }

  /**
   * Deletes events older than the retention period, a batch at a time with a turn of the event loop
   * between batches, so that requests are served throughout. Returns how many were deleted.
   */
  async purgeExpired(): Promise<number> {
    const before = this.retentionStart();
    let total = 0;
    for (;;) {
      const deleted = await this.store.purgeAuditEvents(before, PURGE_BATCH);
      total += deleted;
      if (deleted < PURGE_BATCH) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Runs purgeExpired now and then every `intervalMs`, reporting each outcome, until the returned
   * function is called. Runs never overlap.
   */
  scheduleRetention(intervalMs: number, report: (outcome: number | Error) => void): () => void {
    let running = false;
    const run = () => {
      if (running) return;
      running = true;
      this.purgeExpired()
        .then(report, (err: unknown) => {
          report(err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => {
          running = false;
        });
    };
    const timer = setInterval(run, intervalMs).unref();
    setImmediate(run);
    return () => {
      clearInterval(timer);
    };
  }

  private toRecord(call: CallRecord): AuditEventRecord {
    const principal = call.admission?.principal;
    const request = call.request;
    const parameters = request ? request.params : NO_PARAMETERS;
    return {
      eventId: call.committedEventId ?? eventId(call.receivedAt, this.random),
      eventTime: call.receivedAt,
      accountId: principal?.accountId ?? null,
      accessKeyId: request ? auditedAccessKeyId(request.accessKeyId) : '',
      ...identityOf(principal),
      eventName: request ? auditedName(request.action, ACTION_NAME) : '',
      eventRw: call.action?.rw ?? 'Read',
      serviceName: call.action?.service ?? '',
      apiVersion: request ? auditedName(request.version, API_VERSION) : '',
      eventSource: call.host,
      requestId: call.requestId,
      sourceIp: call.connection.sourceIp,
      userAgent: auditedUserAgent(call.connection.userAgent),
      errorCode: call.error?.code ?? '',
      errorMessage: call.error ? auditedErrorMessage(call.error.message) : '',
      // A call that named no known key could come from anyone: it keeps little of what it sent.
      requestParameters: principal
        ? auditedParameters(parameters)
        : auditedParameters(parameters, UNATTRIBUTED_PARAMETER_CHARS),
    };
  }
}

const NO_PARAMETERS: ReadonlyMap<string, string> = new Map();

function identityOf(
  principal: Principal | undefined,
): Pick<AuditEventRecord, 'principalType' | 'principalId' | 'userName'> {
  if (!principal) return { principalType: '', principalId: '', userName: '' };
  return principal.kind === 'root'
    ? { principalType: 'root-account', principalId: principal.accountId, userName: 'root' }
    : { principalType: 'ram-user', principalId: principal.userId, userName: principal.userName };
}
