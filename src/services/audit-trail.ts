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
import { formatMessage, isErrorCode } from '../core/errors/catalog.js';
import type { Random } from '../core/random.js';
import type { SignedRequest } from '../core/signature/index.js';
import type { ConsoleEventType } from '../store/records.js';
import type {
  AuditEventPage,
  AuditEventQuery,
  AuditEventRecord,
  AuditSlot,
  KeyUsageGroup,
  KeyUsageGroupQuery,
  Store,
} from '../store/store.js';
import type { ActionFacts } from './action-facts.js';
import type { Admission, Connection } from './gate/admission.js';
import type { Principal } from './principal.js';
import { SECRET_MASK, type SecretIndex, type SecretMasker } from './secret-index.js';
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
  readonly request?: CalledRequest | undefined;
  /** Set for a call made in the console (ConsoleOperation); absent for an API call. */
  readonly eventType?: ConsoleEventType | undefined;
  readonly action?: ActionFacts | undefined;
  readonly admission?: Admission | undefined;
  /** The code and message the caller got; absent on success. */
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /** Set when the call's event already committed with its change (see `commitWith`). */
  readonly committedEventId?: string | undefined;
}

/**
 * What a call asked for: a signed request's fields, or a console call's (whose `accessKeyId` is '':
 * a console session signs nothing).
 */
export type CalledRequest = Pick<SignedRequest, 'accessKeyId' | 'action' | 'version' | 'params'>;

/** What `commitWith` reports: the work's outcome, and the event ID if the event committed with it. */
export type CommittedOutcome<T> = (
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown }
) & { readonly committedEventId: string | undefined };

/** Days events are kept unless configured otherwise (ActionTrail's event history keeps 90). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;
/**
 * What an unauthenticated call keeps of its parameters: only those that say what it was about, each
 * cut short. Anyone may send one, with any junk: it must not buy storage with it.
 */
const IDENTIFYING_PARAMETERS = [
  'UserName',
  'UserPrincipalName',
  'UserAccessKeyId',
  'GroupName',
  'PolicyName',
];
const IDENTIFYING_PARAMETER_CHARS = 64;
/** Events deleted per statement by the retention job. */
const PURGE_BATCH = 500;

export class AuditTrail {
  constructor(
    private readonly store: Store,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly retentionDays: number,
    private readonly secrets: SecretIndex,
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
   * Runs `work` so that its change commits together with an event Ramkey writes on its own account
   * (a leak report's restriction, a scheduled job): principal type `system`, the actor in userName.
   * Throws what `work` throws.
   */
  commitSystemEvent<T>(event: SystemEvent, work: () => Promise<T>): Promise<T> {
    const at = this.clock.now();
    const record: AuditEventRecord = {
      eventId: eventId(at, this.random),
      eventTime: at,
      accountId: event.accountId,
      accessKeyId: event.accessKeyId ?? '',
      principalType: 'system',
      principalId: '',
      userName: event.actor,
      eventName: event.eventName,
      eventRw: 'Write',
      serviceName: event.serviceName,
      apiVersion: '',
      eventSource: 'ramkey',
      requestId: event.requestId,
      sourceIp: event.sourceIp,
      userAgent: '',
      errorCode: '',
      errorMessage: '',
      requestParameters: auditedParameters(
        this.secrets.masker().parameters(new Map(Object.entries(event.parameters))),
      ),
    };
    return this.store.withAuditEvent({ event: record, written: false }, work);
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
          // The event's own masking decides what of the message may be kept.
          this.toRecord(call).errorMessage,
        );
      }
      return;
    }
    const event = this.toRecord(call);
    if (!isAuthenticated(call)) {
      this.usage.recordFailure(event);
      return;
    }
    this.countUse(call, event.eventId);
    this.usage.recordEvent(event);
  }

  /**
   * Records a console sign-in or sign-out (queued like a read's event). `principal` is who signed in
   * or tried to; undefined for a login name that names nobody (then only operators see the event).
   */
  recordSignin(event: SigninEvent): void {
    const mask = this.secrets.masker();
    const { principal } = event;
    this.usage.recordEvent({
      eventId: eventId(event.at, this.random),
      eventTime: event.at,
      accountId: principal?.accountId ?? null,
      accessKeyId: '',
      principalType: principal ? (principal.kind === 'root' ? 'root-account' : 'ram-user') : '',
      principalId: principal ? (principal.kind === 'root' ? principal.accountId : principal.userId) : '',
      userName: principal ? (principal.kind === 'root' ? 'root' : principal.userName) : '',
      eventName: event.eventType,
      eventRw: 'Write',
      serviceName: CONSOLE_SERVICE_NAME,
      apiVersion: '',
      eventSource: mask.text(event.host),
      requestId: event.requestId,
      sourceIp: event.connection.sourceIp,
      userAgent: auditedUserAgent(mask.text(event.connection.userAgent)),
      errorCode: event.error?.code ?? '',
      errorMessage: event.error ? auditedErrorMessage(mask.text(event.error.message)) : '',
      requestParameters: shortened(
        auditedParameters(mask.parameters(new Map(Object.entries(event.parameters)))),
      ),
      eventType: event.eventType,
    });
  }

  /** Whether the events waiting to be written are too many: new calls wait (Throttling) until not. */
  backlogged(): boolean {
    return this.usage.backlogged();
  }

  private countUse(call: CallRecord, eventId: string): void {
    const admission = call.admission;
    if (!admission?.used || !admission.principal || !call.request?.accessKeyId || !call.action) return;
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

  /** The key's usage by source IP, most recent first: a page of at most `query.limit`. */
  keyUsageByIp(accountId: string, accessKeyId: string, query: KeyUsageGroupQuery): Promise<KeyUsageGroup[]> {
    return this.store.keyUsageByIp(accountId, accessKeyId, query);
  }

  /** The key's usage by action, most recent first: a page of at most `query.limit`. */
  keyUsageByEvent(
    accountId: string,
    accessKeyId: string,
    query: KeyUsageGroupQuery,
  ): Promise<KeyUsageGroup[]> {
    return this.store.keyUsageByEvent(accountId, accessKeyId, query);
  }

  /** The key's usage by service, most recent first: a page of at most `query.limit`. */
  keyUsageByService(
    accountId: string,
    accessKeyId: string,
    query: Omit<KeyUsageGroupQuery, 'serviceName'>,
  ): Promise<KeyUsageGroup[]> {
    return this.store.keyUsageByService(accountId, accessKeyId, query);
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
   * The event of a call. Every value the caller chose passes through one masker first: an AccessKey
   * secret of the installation, in whatever parameter or header it came, is replaced before anything
   * is bounded or stored, so that no event, export or database page ever holds one (see
   * secret-index.ts). The fields that cannot hold one are left alone: the source IP is an address or
   * `(invalid)`, the version a date, the request ID ours.
   */
  private toRecord(call: CallRecord): AuditEventRecord {
    const principal = call.admission?.principal;
    const request = call.request;
    const mask = this.secrets.masker();
    const authenticated = isAuthenticated(call);
    // Only the identifying parameters of an unauthenticated call are even looked at; masked before
    // they are cut short, so that a secret cannot be kept in part at the cut.
    const parameters = request
      ? mask.parameters(authenticated ? request.params : identifyingOnly(request.params))
      : NO_PARAMETERS;
    // A secret sent as the key ID keeps nothing at all, not even the prefix a malformed ID keeps.
    const accessKeyId = request
      ? mask.isSecret(request.accessKeyId)
        ? SECRET_MASK
        : auditedAccessKeyId(request.accessKeyId)
      : '';
    const eventName = request ? auditedName(mask.text(request.action), ACTION_NAME) : '';
    const eventSource = mask.text(call.host);
    const userAgent = auditedUserAgent(mask.text(call.connection.userAgent));
    // Error messages may echo what the caller sent (some only a prefix of it, which no exact match
    // can recognise): a call that carried a secret keeps the catalog's message without its values.
    const errorMessage = call.error ? auditedErrorMessage(this.errorMessageOf(call.error, mask)) : '';
    const finding = call.admission?.finding;
    // Every field in one literal, in one order (no spreads): each call builds one, on every path.
    const record: AuditEventRecord = {
      eventId: call.committedEventId ?? eventId(call.receivedAt, this.random),
      eventTime: call.receivedAt,
      accountId: principal?.accountId ?? null,
      accessKeyId,
      principalType: principal ? (principal.kind === 'root' ? 'root-account' : 'ram-user') : '',
      principalId: principal ? (principal.kind === 'root' ? principal.accountId : principal.userId) : '',
      userName: principal ? (principal.kind === 'root' ? 'root' : principal.userName) : '',
      eventName,
      eventRw: call.action?.rw ?? 'Read',
      serviceName: call.action?.service ?? '',
      apiVersion: request ? auditedName(request.version, API_VERSION) : '',
      eventSource,
      requestId: call.requestId,
      sourceIp: call.connection.sourceIp,
      userAgent,
      errorCode: call.error?.code ?? '',
      errorMessage,
      requestParameters: authenticated
        ? auditedParameters(parameters)
        : shortened(auditedParameters(parameters)),
    };
    if (finding?.kind === 'accessKeyPolicyAudit') record.accessKeyPolicyAudit = finding.level;
    if (call.eventType !== undefined) record.eventType = call.eventType;
    return record;
  }

  private errorMessageOf(error: NonNullable<CallRecord['error']>, mask: SecretMasker): string {
    const message = mask.text(error.message);
    if (!mask.found) return message;
    return isErrorCode(error.code) ? formatMessage(error.code) : SECRET_MASK;
  }
}

const NO_PARAMETERS: ReadonlyMap<string, string> = new Map();

/** The serviceName of console sign-in and sign-out events. */
export const CONSOLE_SERVICE_NAME = 'Console';

/** A console sign-in or sign-out, as recordSignin takes it. */
export interface SigninEvent {
  readonly eventType: 'ConsoleSignin' | 'ConsoleSignout';
  readonly at: number;
  readonly principal: Principal | undefined;
  readonly requestId: string;
  readonly host: string;
  readonly connection: Connection;
  /** What identifies the attempt (LoginName, MFAUsed); never a password or a code. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

/** An event Ramkey writes itself (see commitSystemEvent). */
export interface SystemEvent {
  readonly accountId: string;
  /** Who made Ramkey act, e.g. `leak-report:github`. */
  readonly actor: string;
  readonly eventName: string;
  readonly serviceName: string;
  /** The key acted on, when there is one. */
  readonly accessKeyId?: string;
  readonly requestId: string;
  readonly sourceIp: string;
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * Whether the caller proved it holds the key's secret: the signature verified (whatever refused the
 * call afterwards). Everything else (unparsable, unknown key, bad signature) could come from anyone.
 */
export function isAuthenticated(call: CallRecord): boolean {
  const admission = call.admission;
  if (!admission) return false;
  return admission.admitted || (admission.refusedAt !== 'keyLookup' && admission.refusedAt !== 'signature');
}

function identifyingOnly(params: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  const kept = new Map<string, string>();
  for (const name of IDENTIFYING_PARAMETERS) {
    const value = params.get(name);
    if (value !== undefined) kept.set(name, value);
  }
  return kept;
}

function shortened(params: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(params))
    kept[name] = value.slice(0, IDENTIFYING_PARAMETER_CHARS);
  return kept;
}
