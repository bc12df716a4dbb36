// Notifications: the outbox a restriction writes to in its own transaction, delivered at least once
// to the account's webhook (signed, with an idempotency key, retried with backoff across restarts),
// and listed as the account's alerts.
import type { Clock } from '../core/clock.js';
import { toWireDate } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { randomBase62 } from '../core/keys/key-id.js';
import { Secret } from '../core/keys/secret.js';
import type { Random } from '../core/random.js';
import type { Sealer } from '../store/sealer.js';
import type { NotificationRecord, Store } from '../store/store.js';
import { signPayload } from './leak-response.js';

/** The first retry waits this long, each next one twice as long, up to MAX_RETRY_DELAY_MS. */
export const FIRST_RETRY_DELAY_MS = 5_000;
export const MAX_RETRY_DELAY_MS = 3_600_000;
/** An account without a webhook has its notifications looked at again this often. */
const NO_WEBHOOK_RETRY_MS = 3_600_000;
const DELIVERY_TIMEOUT_MS = 10_000;
const BATCH = 50;
const MAX_URL_CHARS = 1024;
/** What a failed attempt keeps of the receiver's answer. */
const MAX_ERROR_CHARS = 200;

export interface Alert {
  notificationId: string;
  kind: NotificationRecord['kind'];
  createdAt: number;
  /** The notification as sent. */
  detail: Record<string, unknown>;
  delivery: 'Delivered' | 'Pending';
  attempts: number;
  deliveredAt: number | null;
  lastError: string;
}

export class Notifications {
  private running: Promise<number> | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** Sets the account's webhook with a new signing secret, returned this once. */
  async setWebhook(accountId: string, url: string): Promise<Secret> {
    validateWebhookUrl(url);
    const secret = new Secret(randomBase62(this.random, 40));
    await this.store.setAccountWebhook({
      accountId,
      url,
      sealedSecret: this.sealer.seal(webhookAad(accountId), secret),
      updatedAt: this.clock.now(),
    });
    return secret;
  }

  async getWebhook(accountId: string): Promise<{ url: string; updatedAt: number }> {
    const hook = await this.store.getAccountWebhook(accountId);
    if (!hook) throw new RamkeyError('EntityNotExist.NotificationWebhook');
    return { url: hook.url, updatedAt: hook.updatedAt };
  }

  async deleteWebhook(accountId: string): Promise<void> {
    if (!(await this.store.deleteAccountWebhook(accountId))) {
      throw new RamkeyError('EntityNotExist.NotificationWebhook');
    }
  }

  /** The account's alerts, newest first. */
  async alerts(accountId: string, limit: number): Promise<Alert[]> {
    const records = await this.store.listNotifications(accountId, limit);
    return records.map((n) => ({
      notificationId: n.notificationId,
      kind: n.kind,
      createdAt: n.createdAt,
      detail: JSON.parse(n.payload) as Record<string, unknown>,
      delivery: n.deliveredAt === null ? 'Pending' : 'Delivered',
      attempts: n.attempts,
      deliveredAt: n.deliveredAt,
      lastError: n.lastError,
    }));
  }

  /**
   * Delivers what is due now, once round (the background jobs' runner calls it periodically); answers
   * how many were delivered. Runs never overlap: a call during a run shares it. `signal` stops the
   * run between two deliveries.
   */
  deliverDue(signal?: AbortSignal): Promise<number> {
    this.running ??= this.deliverBatch(signal).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Waits for the run under way; later runs deliver nothing. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running?.catch(() => undefined);
  }

  private async deliverBatch(signal: AbortSignal | undefined): Promise<number> {
    let delivered = 0;
    const due = await this.store.dueNotifications(this.clock.now(), BATCH);
    for (const notification of due) {
      if (this.closed || signal?.aborted === true) break;
      if (await this.deliver(notification)) delivered++;
    }
    return delivered;
  }

  private async deliver(n: NotificationRecord): Promise<boolean> {
    const hook = await this.store.getAccountWebhook(n.accountId);
    if (!hook) {
      await this.store.markNotificationFailed(
        n.notificationId,
        this.clock.now() + NO_WEBHOOK_RETRY_MS,
        'no webhook configured',
      );
      return false;
    }
    const secret = this.sealer.open(webhookAad(n.accountId), hook.sealedSecret);
    const timestamp = String(Math.floor(this.clock.now() / 1000));
    let error: string;
    try {
      const response = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Ramkey-Notifications',
          'x-ramkey-event': n.kind,
          'x-ramkey-idempotency-key': n.notificationId,
          'x-ramkey-timestamp': timestamp,
          'x-ramkey-signature': `sha256=${signPayload(secret.reveal(), timestamp, n.payload)}`,
        },
        body: n.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      // The body is not needed; reading it frees the connection.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) {
        await this.store.markNotificationDelivered(n.notificationId, this.clock.now());
        return true;
      }
      error = `HTTP ${String(response.status)}`;
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : 'delivery failed';
    }
    const delay = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** Math.min(n.attempts, 20));
    await this.store.markNotificationFailed(
      n.notificationId,
      this.clock.now() + delay,
      error.slice(0, MAX_ERROR_CHARS),
    );
    return false;
  }
}

function webhookAad(accountId: string): string {
  return `webhook:${accountId}`;
}

function validateWebhookUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RamkeyError('InvalidParameter.WebhookUrl');
  }
  if (
    url.length > MAX_URL_CHARS ||
    (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') ||
    parsed.username !== '' ||
    parsed.password !== ''
  ) {
    throw new RamkeyError('InvalidParameter.WebhookUrl');
  }
}

/** An alert as the API shows it. */
export function alertShape(alert: Alert): Record<string, unknown> {
  return {
    AlertId: alert.notificationId,
    Type: alert.kind,
    CreateDate: toWireDate(alert.createdAt),
    Detail: alert.detail,
    DeliveryStatus: alert.delivery,
    DeliveryAttempts: alert.attempts,
    ...(alert.deliveredAt !== null && { DeliveredDate: toWireDate(alert.deliveredAt) }),
    ...(alert.lastError !== '' && { LastDeliveryError: alert.lastError }),
  };
}
