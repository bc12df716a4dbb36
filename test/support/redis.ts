// Redis for the scale-out suites: the test server (RAMKEY_TEST_REDIS_URL or 127.0.0.1:6379), a key
// prefix of each suite's own so that suites sharing the server stay apart, and a TCP relay in front
// of it that a test cuts and restores to make Redis unreachable without stopping it for the others.
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';
import { postgresAvailable } from './test-stores.js';

export const testRedisUrl = process.env.RAMKEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other run uses (`ramkey-test-<hex>:`), as RAMKEY_REDIS_PREFIX. */
export function uniqueRedisPrefix(): string {
  return `ramkey-test-${randomBytes(6).toString('hex')}:`;
}

/** A plain connection for looking at and acting on the server (CLIENT LIST, CLIENT KILL, GET). */
export function adminRedis(): Redis {
  return new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, disableClientInfo: true });
}

let availability: Promise<string | undefined> | undefined;

/** Undefined when the test Redis answers PING, else why not; asked once per test file. */
function redisUnavailable(): Promise<string | undefined> {
  availability ??= (async () => {
    const redis = new Redis(testRedisUrl, {
      lazyConnect: true,
      connectTimeout: 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      disableClientInfo: true,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      return undefined;
    } catch (error) {
      return `Redis at ${new URL(testRedisUrl).host} is unreachable (${error instanceof Error ? error.message : String(error)})`;
    } finally {
      redis.disconnect();
    }
  })();
  return availability;
}

/**
 * `describe` for a suite that needs Redis and PostgreSQL (scale-out runs on PostgreSQL). Either one
 * unreachable: fails under CI, else skips with the reason printed. Call it with top-level await.
 */
export async function describeScaleOut(name: string, body: () => void): Promise<void> {
  const [redis, postgres] = await Promise.all([redisUnavailable(), postgresAvailable()]);
  const reason = redis ?? (postgres.ok ? undefined : postgres.reason);
  if (reason === undefined) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs a reachable Redis and PostgreSQL: CI runs every suite', () => {
        throw new Error(`${reason}. Start it, or set RAMKEY_TEST_REDIS_URL / RAMKEY_TEST_DATABASE_URL.`);
      });
    });
  } else {
    console.warn(`[ramkey tests] skipping "${name}": ${reason}`);
    describe.skip(`${name} (skipped: ${reason})`, body);
  }
}

/**
 * A TCP relay to a server on a port of its own. `cut()` drops every relayed connection and stops
 * listening (new connections are refused, as by a server that is down); `restore()` listens again on
 * the same port; `freeze()` silences the connections open now.
 */
export class TcpRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A relay to the test Redis, listening. */
  static async forRedis(): Promise<TcpRelay> {
    const target = new URL(testRedisUrl);
    const relay = new TcpRelay(target.hostname, Number(target.port || 6379));
    await relay.restore();
    return relay;
  }

  /** `base` (a server URL) pointed at this relay. */
  url(base: string): string {
    const url = new URL(base);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async restore(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('relay has no TCP port');
    this.port = address.port;
    this.server = server;
  }

  /**
   * Stops relaying on the connections open now, which stay open (a server that stopped answering, or
   * a network that drops packets); new connections are relayed as before.
   */
  freeze(): void {
    for (const socket of this.sockets) socket.pause();
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  }
}
