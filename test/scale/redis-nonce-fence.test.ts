// The nonce fence: Redis keeps no data across a restart, so a Redis that lost the installation's
// nonces must not admit a replay of a request served before. A first start is not a loss; a loss
// refuses what was signed before it was found, on every node, and admits what is signed after.
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { openRedis } from '../../src/services/scale/redis-connection.js';
import { RedisNonceStore } from '../../src/services/scale/redis-nonce-store.js';
import { adminRedis, describeScaleOut, testRedisUrl, uniqueRedisPrefix } from '../support/redis.js';

const WINDOW = 15 * 60_000;
const KEY = 'LTAIfencefencefencefence';

await describeScaleOut('the Redis nonce fence', () => {
  const opened: ReturnType<typeof openRedis>[] = [];
  afterEach(() => {
    for (const redis of opened.splice(0)) redis.disconnect();
  });

  /** A node's nonce store on its own connection; `used` is the installation's database marker. */
  async function node(
    prefix: string,
    clock: { now: number },
    marker: { used: boolean },
    fences: number[],
  ): Promise<RedisNonceStore> {
    const redis = openRedis(testRedisUrl, 'commands', prefix, () => undefined);
    opened.push(redis);
    await once(redis, 'ready');
    return new RedisNonceStore(redis, {
      prefix,
      now: () => clock.now,
      firstUse: () => {
        const first = !marker.used;
        marker.used = true;
        return Promise.resolve(first);
      },
      onFence: (fence) => fences.push(fence),
    });
  }

  const remember = (store: RedisNonceStore, nonce: string, signedAt: number, now: number) =>
    store.remember(KEY, nonce, signedAt + WINDOW, now, signedAt);

  it('does not fence a first start, and fences a loss found later, on every node', async () => {
    const prefix = uniqueRedisPrefix();
    const clock = { now: Date.parse('2026-12-05T10:00:00.400Z') };
    const marker = { used: false };
    const fences: number[] = [];
    const a = await node(prefix, clock, marker, fences);
    // First start: a request signed in the same second (wire timestamps have whole seconds) passes.
    const servedAt = Date.parse('2026-12-05T10:00:00Z');
    expect(await remember(a, 'served', servedAt, clock.now)).toBe(true);
    expect(fences).toEqual([]);
    expect(await remember(a, 'served', servedAt, clock.now)).toBe(false);

    // Redis loses everything under the prefix (a restart without persistence, FLUSHALL, a failover).
    const admin = adminRedis();
    try {
      const keys = await admin.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(1);
      await admin.del(...keys);
    } finally {
      admin.disconnect();
    }
    // A node connecting afterwards finds the loss: the replay is refused, a fresh request admitted.
    clock.now = Date.parse('2026-12-05T10:00:05.250Z');
    const b = await node(prefix, clock, marker, fences);
    expect(await remember(b, 'served', servedAt, clock.now)).toBe(false);
    expect(fences).toEqual([clock.now]);
    expect(await remember(b, 'fresh', Date.parse('2026-12-05T10:00:06Z'), clock.now)).toBe(true);
    // Another node connecting later reads the same fence, sets none of its own, refuses the same.
    clock.now += 1000;
    const c = await node(prefix, clock, marker, fences);
    expect(await remember(c, 'other-old', Date.parse('2026-12-05T10:00:04Z'), clock.now)).toBe(false);
    expect(await remember(c, 'fresh-too', Date.parse('2026-12-05T10:00:07Z'), clock.now)).toBe(true);
    expect(fences).toHaveLength(1);
  });
});
