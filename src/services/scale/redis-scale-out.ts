// Scale-out over Redis: the nonce store and the change bus a node uses when RAMKEY_REDIS_URL is set,
// over two connections (commands, and the bus subscription), with their readiness and shutdown.
import { closeRedis, openRedis, type RedisConnectionEvent } from './redis-connection.js';
import { RedisChangeBus } from './redis-change-bus.js';
import { RedisNonceStore } from './redis-nonce-store.js';

/** RAMKEY_REDIS_URL, RAMKEY_REDIS_PREFIX, and what the log and the metrics are told. */
export interface RedisScaleOutOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` (TLS). */
  url: string;
  /**
   * Put before every key and the bus channel (default `ramkey:`): installations (or test suites)
   * sharing one Redis stay apart. Every node of one installation must use the same.
   */
  prefix?: string;
  /** A connection became ready or was lost (for the log). */
  onConnection?: (event: RedisConnectionEvent) => void;
  /** Each change received from another node, with its publish-to-receive lag (for the metrics). */
  onBusDelivery?: (lagMs: number) => void;
  /** See RedisNonceStoreOptions.firstUse (createRamkey gives it from the store). */
  firstUse: () => Promise<boolean>;
  /** This node found that Redis lost the nonces (restarted, flushed): requests signed before `fenceMs` are refused. */
  onFence?: (fenceMs: number) => void;
  /** Failed publishes and unreadable bus messages. */
  onError?: (err: unknown) => void;
}

export const DEFAULT_REDIS_PREFIX = 'ramkey:';

/** One dependency's state, as `/readyz` lists it. */
export interface DependencyCheck {
  ok: boolean;
  detail?: string;
}

export interface RedisScaleOut {
  readonly nonces: RedisNonceStore;
  readonly changes: RedisChangeBus;
  /** Whether Redis answers a PING (within the command timeout). */
  check(): Promise<DependencyCheck>;
  close(): Promise<void>;
}

export function connectRedisScaleOut(options: RedisScaleOutOptions, nodeId: string): RedisScaleOut {
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  const onEvent = options.onConnection ?? (() => undefined);
  const commands = openRedis(options.url, 'commands', prefix, onEvent);
  const subscriber = openRedis(options.url, 'bus', prefix, onEvent);
  const changes = new RedisChangeBus({
    publisher: commands,
    subscriber,
    channel: `${prefix}changes`,
    nodeId,
    ...(options.onBusDelivery && { onDelivery: options.onBusDelivery }),
    ...(options.onError && { onError: options.onError }),
  });
  return {
    nonces: new RedisNonceStore(commands, {
      prefix,
      now: () => Date.now(),
      firstUse: options.firstUse,
      ...(options.onFence && { onFence: options.onFence }),
      ...(options.onError && { onError: options.onError }),
    }),
    changes,
    async check() {
      try {
        await commands.ping();
        return { ok: true };
      } catch {
        // The error's text may name the host: the probe says only what is wrong.
        return { ok: false, detail: 'Redis does not answer: signed calls are refused' };
      }
    },
    async close() {
      await changes.close();
      await Promise.all([closeRedis(commands), closeRedis(subscriber)]);
    },
  };
}
