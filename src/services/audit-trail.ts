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
import type { AuditEventQuery, AuditEventRecord, AuditSlot, KeyUsageRecord, Store } from '../store/store.js';
import type { AuthenticationTrace } from './gate.js';
import type { Principal } from './principal.js';
import type { ServiceName, UsageRecorder } from './usage-recorder.js';

/** What is known of one call so far; filled in as the call passes parse, route, gate and handler. */
export interface CallAudit extends AuthenticationTrace {
  readonly eventId: string;
  readonly eventTime: number;
  readonly requestId: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly eventSource: string;
  accessKeyId: string;
  eventName: string;
  apiVersion: string;
  serviceName: ServiceName | '';
  eventRw: 'Read' | 'Write';
  requestParameters: Record<string, string>;
  error: { code: string; message: string } | undefined;
  slot: AuditSlot | undefined;
}

export interface CallStart {
  requestId: string;
  sourceIp: string;
  userAgent: string | undefined;
  /** The host the call was addressed to. */
  eventSource: string;
}

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

  begin(start: CallStart): CallAudit {
    const now = this.clock.now();
    return {
      eventId: eventId(now, this.random),
      eventTime: now,
      requestId: start.requestId,
      sourceIp: start.sourceIp,
      userAgent: auditedUserAgent(start.userAgent),
      eventSource: start.eventSource,
      accessKeyId: '',
      eventName: '',
      apiVersion: '',
      serviceName: '',
      eventRw: 'Read',
      requestParameters: {},
      principal: undefined,
      used: false,
      error: undefined,
      slot: undefined,
    };
  }

  /** Records what the parsed request claims: key, action, version and parameters. */
  describe(call: CallAudit, request: SignedRequest): void {
    call.accessKeyId = auditedAccessKeyId(request.accessKeyId);
    call.eventName = auditedName(request.action, ACTION_NAME);
    call.apiVersion = auditedName(request.version, API_VERSION);
    call.requestParameters = auditedParameters(request.params);
  }

  /** Records the product and kind of the action the request was routed to. */
  route(call: CallAudit, service: ServiceName, rw: 'Read' | 'Write'): void {
    call.serviceName = service;
    call.eventRw = rw;
  }

  /** Runs a write action so that its change commits together with its event. */
  write<T>(call: CallAudit, work: () => Promise<T>): Promise<T> {
    const slot: AuditSlot = { event: this.toRecord(call), written: false };
    call.slot = slot;
    return this.store.withAuditEvent(slot, work);
  }

  fail(call: CallAudit, code: string, message: string): void {
    call.error = { code, message: auditedErrorMessage(message) };
  }

  /**
   * Completes the call's record: counts the use of its key, and queues its event unless the event
   * already committed with a change (then only a later failure is written to it).
   */
  async finish(call: CallAudit): Promise<void> {
    const principal = call.principal;
    if (call.used && principal && call.serviceName !== '') {
      this.usage.recordUse({
        accessKeyId: call.accessKeyId,
        accountId: principal.accountId,
        service: call.serviceName,
        eventName: call.eventName,
        sourceIp: call.sourceIp,
        eventId: call.eventId,
        at: call.eventTime,
      });
    }
    if (call.slot?.written) {
      if (call.error) await this.store.setAuditOutcome(call.eventId, call.error.code, call.error.message);
      return;
    }
    this.usage.recordEvent(this.toRecord(call));
  }

  lookup(query: AuditEventQuery): Promise<AuditEventRecord[]> {
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

  private toRecord(call: CallAudit): AuditEventRecord {
    // A call that named no known key could come from anyone: it keeps little of what it sent.
    const requestParameters = call.principal
      ? call.requestParameters
      : auditedParameters(new Map(Object.entries(call.requestParameters)), UNATTRIBUTED_PARAMETER_CHARS);
    return {
      eventId: call.eventId,
      eventTime: call.eventTime,
      accountId: call.principal?.accountId ?? null,
      accessKeyId: call.accessKeyId,
      ...identityOf(call.principal),
      eventName: call.eventName,
      eventRw: call.eventRw,
      serviceName: call.serviceName,
      apiVersion: call.apiVersion,
      eventSource: call.eventSource,
      requestId: call.requestId,
      sourceIp: call.sourceIp,
      userAgent: call.userAgent,
      errorCode: call.error?.code ?? '',
      errorMessage: call.error?.message ?? '',
      requestParameters,
    };
  }
}

function identityOf(
  principal: Principal | undefined,
): Pick<AuditEventRecord, 'principalType' | 'principalId' | 'userName'> {
  if (!principal) return { principalType: '', principalId: '', userName: '' };
  return principal.kind === 'root'
    ? { principalType: 'root-account', principalId: principal.accountId, userName: 'root' }
    : { principalType: 'ram-user', principalId: principal.userId, userName: principal.userName };
}
