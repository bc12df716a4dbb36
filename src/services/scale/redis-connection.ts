// Connections to Redis for scale-out: options that make every command fail fast instead of hanging
// (no offline queue, a one-second command timeout, reconnects every second at most), and a
// description of the server for the log that never carries a password.
import { Redis } from 'ioredis';

/** A command Redis has not answered within this fails; the caller refuses the call (fail closed). */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;
/** Reconnect attempts back off up to this, so a returning Redis is served again within about a second. */
const MAX_RECONNECT_DELAY_MS = 1000;

/** A connection became usable, or stopped being so (`reason`: the last error seen, for the log). */
export interface RedisConnectionEvent {
  /** `commands` (nonces, publishing, readiness) or `bus` (the change bus subscription). */
  connection: 'commands' | 'bus';
  state: 'ready' | 'lost';
  reason?: string;
}

/** Throws when `url` is not a redis:// or rediss:// URL (checked before anything connects). */
export function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('not a URL: use redis://[user:password@]host:port[/db] or rediss://');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`unsupported scheme "${parsed.protocol}": use redis:// or rediss://`);
  }
}

/** `redis://host:port/db` without user or password, fit for logs. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparsable Redis URL)';
  }
}

/**
 * Opens a connection (in the background: it is usable once `ready`) and reports when it becomes
 * ready or is lost. Commands sent while it is not ready fail at once rather than queue, and a
 * command it does not answer within REDIS_COMMAND_TIMEOUT_MS fails. CLIENT LIST names it
 * `ramkey-<connection>@<prefix>`.
 */
export function openRedis(
  url: string,
  connection: RedisConnectionEvent['connection'],
  prefix: string,
  onEvent: (event: RedisConnectionEvent) => void,
): Redis {
  const redis = new Redis(url, {
    // Redis refuses names with spaces or control characters.
    connectionName: `ramkey-${connection}@${prefix}`.replace(/[^!-~]/g, '_'),
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // A connection that answers nothing for this long while a command waits is dropped and opened
    // anew: a server gone without closing it (a half-open connection) is left within seconds.
    socketTimeout: 2 * REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // A command under way when the connection drops fails rather than being sent again later.
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    // The bus subscribes again itself, so that it knows when it is fresh (see RedisChangeBus).
    autoResubscribe: false,
    // CLIENT SETINFO is unknown before Redis 7.2.
    disableClientInfo: true,
  });
  let state: RedisConnectionEvent['state'] | undefined;
  let lastError: string | undefined;
  redis.on('ready', () => {
    state = 'ready';
    lastError = undefined;
    onEvent({ connection, state });
  });
  // Reconnect attempts fail every second while Redis is away: the log hears of the loss once.
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  // Emitted when a connection (or an attempt) ended and another will be tried: not on close().
  redis.on('reconnecting', () => {
    if (state === 'lost') return;
    state = 'lost';
    onEvent({ connection, state, ...(lastError !== undefined && { reason: lastError }) });
  });
  return redis;
}

/** Closes the connection: politely when Redis answers, at once when it does not. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
