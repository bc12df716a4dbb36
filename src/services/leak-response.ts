// Leak response: restricting a key suspected of having leaked (restrictive protection), the signed
// leak-report intake that does it for outside reporters, and the notification that follows.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { ACCESS_KEY_SECRET_LENGTH, isAccessKeyId, randomBase62 } from '../core/keys/key-id.js';
import { Secret } from '../core/keys/secret.js';
import type { Random } from '../core/random.js';
import type { Sealer } from '../store/sealer.js';
import type { KeyRestrictionRecord, LeakReporterRecord, NotificationRecord, Store } from '../store/store.js';
import type { KeyOwner } from './access-key-service.js';
import type { AuditTrail } from './audit-trail.js';
import type { ChangeBus } from './change-bus.js';
import type { NonceStore } from './gate/nonce-store.js';

/** A leak report's timestamp may be this far from the clock, either way (and is replay-checked within). */
export const LEAK_REPORT_WINDOW_MS = 5 * 60_000;
/** Tokens one report may carry. */
export const MAX_REPORT_TOKENS = 1000;
/** Reasons are kept this long at most. */
export const MAX_REASON_CHARS = 1024;
const REPORTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The longest a token may be to be looked at; anything longer is answered unmatched unread. */
const MAX_TOKEN_CHARS = 256;
const BASE62_ONLY = /^[0-9A-Za-z]+$/;

/** What a leak report's headers say: who signed it, when, and the signature. */
export interface LeakReportHeaders {
  reporter: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

export interface LeakReportOutcome {
  /** Per token, in the report's order: whether it named a live key (which is now restricted). */
  results: { index: number; matched: boolean }[];
}

export interface RestrictOutcome {
  restriction: KeyRestrictionRecord;
  /** False when the key was restricted already: nothing changed. */
  created: boolean;
}

/** HMAC-SHA256 over `<timestamp>.<body>`, hex: how reporters sign reports and Ramkey signs webhooks. */
export function signPayload(secret: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

export class LeakResponse {
  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly changes: ChangeBus,
    private readonly audit: AuditTrail,
    private readonly nonces: NonceStore,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /**
   * Restricts one of the owner's live keys (an administrator's or the owner's own call: its audit
   * event is the request's). Marking a restricted key again changes nothing. Another principal's
   * key, or a key that is not live, answers EntityNotExist.User.AccessKey.
   */
  async restrict(
    owner: KeyOwner,
    accessKeyId: string,
    reason: string,
    reporter: string,
  ): Promise<RestrictOutcome> {
    const key = await this.store.getAccessKey(accessKeyId);
    const outcome =
      key?.accountId === owner.accountId && key.userId === owner.userId
        ? await this.mark(owner.accountId, accessKeyId, reason, reporter)
        : undefined;
    if (!outcome) throw new RamkeyError('EntityNotExist.User.AccessKey');
    return outcome;
  }

  /** The restrictions of those of the keys that have one, by key ID. */
  async restrictionsOf(accessKeyIds: readonly string[]): Promise<Map<string, KeyRestrictionRecord>> {
    const records = await this.store.getKeyRestrictions(accessKeyIds);
    return new Map(records.map((r) => [r.accessKeyId, r]));
  }

  /** Registers a reporter; its secret is returned this once (sealed at rest, like AccessKey secrets). */
  async addReporter(name: string): Promise<Secret> {
    if (!REPORTER_NAME.test(name)) throw new RamkeyError('InvalidParameter.ReporterName');
    const secret = new Secret(randomBase62(this.random, 40));
    const added = await this.store.addLeakReporter({
      reporterName: name,
      sealedSecret: this.sealer.seal(reporterAad(name), secret),
      createdAt: this.clock.now(),
    });
    if (!added) throw new RamkeyError('EntityAlreadyExists.LeakReporter');
    return secret;
  }

  async listReporters(): Promise<Omit<LeakReporterRecord, 'sealedSecret'>[]> {
    const reporters = await this.store.listLeakReporters();
    return reporters.map(({ reporterName, createdAt }) => ({ reporterName, createdAt }));
  }

  async removeReporter(name: string): Promise<void> {
    if (!(await this.store.deleteLeakReporter(name))) throw new RamkeyError('EntityNotExist.LeakReporter');
  }

  /**
   * A leak report: verified (reporter, signature, time window, replay) before anything in its body is
   * looked at. Each token that is a live key's ID (checksum valid) or a live key's secret (found by
   * its fingerprint) restricts that key. Answers only whether each token matched.
   */
  async report(
    headers: LeakReportHeaders,
    body: Buffer,
    context: { requestId: string; sourceIp: string },
  ): Promise<LeakReportOutcome> {
    const reporter = await this.authenticate(headers, body);
    const tokens = parseTokens(body);
    const results: LeakReportOutcome['results'] = [];
    for (const [index, token] of tokens.entries()) {
      const found = await this.keyNamedBy(token.token);
      let matched = false;
      if (found !== undefined) {
        const reason = describeReport(token);
        matched =
          (await this.audit.commitSystemEvent(
            {
              accountId: found.accountId,
              actor: `leak-report:${reporter}`,
              eventName: 'RestrictAccessKey',
              serviceName: 'Ims',
              accessKeyId: found.accessKeyId,
              requestId: context.requestId,
              sourceIp: context.sourceIp,
              parameters: { UserAccessKeyId: found.accessKeyId, Reason: reason },
            },
            () => this.mark(found.accountId, found.accessKeyId, reason, `leak-report:${reporter}`),
          )) !== undefined;
      }
      results.push({ index, matched });
    }
    return { results };
  }

  private async mark(
    accountId: string,
    accessKeyId: string,
    reason: string,
    reporter: string,
  ): Promise<RestrictOutcome | undefined> {
    const now = this.clock.now();
    const restriction: KeyRestrictionRecord = {
      accessKeyId,
      accountId,
      restrictedAt: now,
      reason: reason.slice(0, MAX_REASON_CHARS),
      reporter,
    };
    const notification: NotificationRecord = {
      notificationId: this.random.uuid(),
      accountId,
      kind: 'AccessKeyRestricted',
      payload: JSON.stringify({
        Event: 'AccessKeyRestricted',
        AccountId: accountId,
        AccessKeyId: accessKeyId,
        Reason: restriction.reason,
        Reporter: reporter,
        RestrictedDate: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      }),
      createdAt: now,
      attempts: 0,
      nextAttemptAt: now,
      deliveredAt: null,
      lastError: '',
    };
    const outcome = await this.store.restrictAccessKey(restriction, notification);
    if (outcome?.created) this.changes.publish({ kind: 'accessKey', accountId, accessKeyId });
    return outcome;
  }

  /** The reporter's name once the report's signature, time and uniqueness hold. */
  private async authenticate(headers: LeakReportHeaders, body: Buffer): Promise<string> {
    const { reporter: name, timestamp, signature } = headers;
    // The timestamp first: it costs nothing, and an old report is refused whoever claims to send it.
    if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp))
      throw new RamkeyError('InvalidLeakReport.TimeStamp');
    const at = Number(timestamp) * 1000;
    if (Math.abs(this.clock.now() - at) > LEAK_REPORT_WINDOW_MS)
      throw new RamkeyError('InvalidLeakReport.TimeStamp');
    if (name === undefined || !REPORTER_NAME.test(name) || signature === undefined) {
      throw new RamkeyError('InvalidLeakReport.Signature');
    }
    const reporter = await this.store.getLeakReporter(name);
    // An unknown reporter and a wrong signature answer alike: the intake does not say who exists.
    const expected = reporter
      ? signPayload(this.sealer.open(reporterAad(name), reporter.sealedSecret).reveal(), timestamp, body)
      : undefined;
    const given = /^sha256=([0-9a-f]{64})$/.exec(signature)?.[1];
    if (
      expected === undefined ||
      given === undefined ||
      !timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'))
    ) {
      throw new RamkeyError('InvalidLeakReport.Signature');
    }
    // The same signed report twice (a replay, or a reporter's retry) is refused the second time.
    const fresh = await this.nonces.remember(
      `leak-reporter:${name}`,
      given,
      at + LEAK_REPORT_WINDOW_MS,
      this.clock.now(),
      at,
    );
    if (!fresh) throw new RamkeyError('InvalidLeakReport.Replayed');
    return name;
  }

  /** The live key a token names: by ID (checksum valid), or by secret through the secret index. */
  private async keyNamedBy(token: string): Promise<{ accountId: string; accessKeyId: string } | undefined> {
    let accessKeyId: string | undefined;
    if (isAccessKeyId(token)) accessKeyId = token;
    else if (token.length === ACCESS_KEY_SECRET_LENGTH && BASE62_ONLY.test(token)) {
      accessKeyId = await this.store.findAccessKeyIdByFingerprint(
        this.sealer.indexVersion,
        this.sealer.fingerprint(token),
      );
    }
    if (accessKeyId === undefined) return undefined;
    const key = await this.store.getAccessKey(accessKeyId);
    return key ? { accountId: key.accountId, accessKeyId } : undefined;
  }
}

function reporterAad(name: string): string {
  return `leak-reporter:${name}`;
}

interface ReportedToken {
  token: string;
  type: string;
  url: string;
  source: string;
}

/** The body: a JSON array of `{token, type, url, source}` objects (type, url, source optional). */
function parseTokens(body: Buffer): ReportedToken[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RamkeyError('InvalidLeakReport.Body', { params: [String(MAX_REPORT_TOKENS)] });
  }
  if (!Array.isArray(parsed) || parsed.length > MAX_REPORT_TOKENS) {
    throw new RamkeyError('InvalidLeakReport.Body', { params: [String(MAX_REPORT_TOKENS)] });
  }
  return parsed.map((item: unknown) => {
    if (
      typeof item !== 'object' ||
      item === null ||
      typeof (item as { token?: unknown }).token !== 'string'
    ) {
      throw new RamkeyError('InvalidLeakReport.Body', { params: [String(MAX_REPORT_TOKENS)] });
    }
    const text = (name: string): string => {
      const value = (item as Record<string, unknown>)[name];
      return typeof value === 'string' ? value.slice(0, 512) : '';
    };
    const token = (item as { token: string }).token;
    return {
      token: token.length > MAX_TOKEN_CHARS ? '' : token,
      type: text('type'),
      url: text('url'),
      source: text('source'),
    };
  });
}

/** The restriction's reason for a reported token: where it was found, never the token itself. */
function describeReport(token: ReportedToken): string {
  const where = [token.source, token.url].filter((s) => s !== '').join(' ');
  return `reported leaked${token.type === '' ? '' : ` (${token.type})`}${where === '' ? '' : `: ${where}`}`;
}
