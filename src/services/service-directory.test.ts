// The service directory over a real store with a clock moved by hand: services as the API and the
// operator manage them, and requests resolved from compiled, cached scopes that a change drops at once
// on this node and that another process's change reaches once the cache expires.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ORDERS_DOCUMENT } from '../../test/support/service-documents.js';
import { makeSqliteTestStore, type SqliteTestStore } from '../../test/support/test-stores.js';
import { ManualClock } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { cryptoRandom } from '../core/random.js';
import { generateMasterKeyText, parseMasterKeyRing, Sealer } from '../store/sealer.js';
import { createRamkey, type Ramkey } from './ramkey.js';
import type { ForwardedRequest, ServiceResolution } from './service-directory.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const sealer = new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom, 1)));
const ORDERS = JSON.stringify(ORDERS_DOCUMENT);

let handle: SqliteTestStore;
let clock: ManualClock;
const nodes: Ramkey[] = [];

function node(): Ramkey {
  const ramkey = createRamkey({ store: handle.store, sealer, clock });
  nodes.push(ramkey);
  return ramkey;
}

async function account(ramkey: Ramkey): Promise<string> {
  return (await ramkey.identity.createAccount()).account.accountId;
}

function forwarded(overrides: Partial<ForwardedRequest> = {}): ForwardedRequest {
  return {
    host: 'orders.example.com',
    method: 'GET',
    path: '/orders-api/orders/42',
    query: new Map(),
    action: undefined,
    ...overrides,
  };
}

/** `authAction resource...`, or the refusal's code. */
function summary(r: ServiceResolution): string {
  return r.ok ? [r.facts.authAction, ...r.resources].join(' ') : r.error.code;
}

async function resolved(ramkey: Ramkey, accountId: string, request = forwarded()): Promise<string> {
  return summary(await ramkey.services.resolve(accountId, request));
}

async function refusal(promise: Promise<unknown>): Promise<RamkeyError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RamkeyError);
  return error as RamkeyError;
}

beforeEach(async () => {
  handle = await makeSqliteTestStore();
  clock = new ManualClock(T0);
});

afterEach(async () => {
  for (const ramkey of nodes.splice(0)) await ramkey.close();
  await handle.cleanup();
});

describe('ServiceDirectory', () => {
  it("resolves an account's request to the facts the gate needs, synchronously once compiled", async () => {
    const ramkey = node();
    const accountId = await account(ramkey);
    expect(await resolved(ramkey, accountId)).toBe('InvalidAction.NotFound');
    await ramkey.services.create(accountId, 'orders', ORDERS, 'Orders API');
    // The change dropped the cached (empty) scope: the next request sees the service.
    const first = await ramkey.services.resolve(
      accountId,
      forwarded({ method: 'POST', path: '/orders-api/orders' }),
    );
    expect(first).toEqual({
      ok: true,
      facts: {
        service: 'orders',
        version: '',
        name: 'CreateOrder',
        authAction: 'orders:CreateOrder',
        authAliases: [],
        rw: 'Write',
        selfService: false,
        unrestricted: false,
        risk: 'high',
      },
      resources: [`acs:orders:*:${accountId}:order/*`],
      // Found by its method and path, not by a name the request gave.
      routed: true,
    });
    const warm = ramkey.services.resolve(accountId, forwarded());
    expect(warm).not.toBeInstanceOf(Promise);
    expect(summary(warm as ServiceResolution)).toBe(`orders:GetOrder acs:orders:*:${accountId}:order/42`);
    expect((warm as ServiceResolution).ok && (warm as { facts: { risk: string } }).facts.risk).toBe(
      'standard',
    );
    // Refusals come back as values carrying the catalog error.
    const refused = ramkey.services.resolve(
      accountId,
      forwarded({ path: '/orders-api/orders/42', action: 'ListOrders' }),
    );
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'InvalidParameter', message: 'The specified parameter "x-acs-action" is not valid.' },
    });
  });

  it('applies an update or a delete to the next request', async () => {
    const ramkey = node();
    const accountId = await account(ramkey);
    await ramkey.services.create(accountId, 'orders', ORDERS);
    expect(await resolved(ramkey, accountId)).toBe(`orders:GetOrder acs:orders:*:${accountId}:order/42`);
    const moved = { ...ORDERS_DOCUMENT, PathPrefixes: ['/v2'] };
    const updated = await ramkey.services.update(accountId, 'orders', { document: JSON.stringify(moved) });
    expect(updated).toMatchObject({
      serviceName: 'orders',
      scope: 'Account',
      document: JSON.stringify(moved),
    });
    expect(await resolved(ramkey, accountId)).toBe('InvalidAction.NotFound');
    expect(await resolved(ramkey, accountId, forwarded({ path: '/v2/orders/7' }))).toBe(
      `orders:GetOrder acs:orders:*:${accountId}:order/7`,
    );
    await ramkey.services.delete(accountId, 'orders');
    expect(await resolved(ramkey, accountId, forwarded({ path: '/v2/orders/7' }))).toBe(
      'InvalidAction.NotFound',
    );
  });

  it("serves global services to every account, shadowed by an account's service of the same code", async () => {
    const ramkey = node();
    const [a, b] = [await account(ramkey), await account(ramkey)];
    await ramkey.services.create(null, 'orders', ORDERS, 'for everyone');
    expect(await resolved(ramkey, a)).toBe(`orders:GetOrder acs:orders:*:${a}:order/42`);
    expect(await resolved(ramkey, b)).toBe(`orders:GetOrder acs:orders:*:${b}:order/42`);
    const own = { Version: '1', Hosts: ['mine.example.com'], Actions: [{ Name: 'Mine', Access: 'Read' }] };
    await ramkey.services.create(a, 'orders', JSON.stringify(own));
    expect(await resolved(ramkey, a)).toBe('InvalidAction.NotFound');
    expect(await resolved(ramkey, a, forwarded({ host: 'mine.example.com', action: 'Mine' }))).toBe(
      'orders:Mine *',
    );
    expect(await resolved(ramkey, b)).toBe(`orders:GetOrder acs:orders:*:${b}:order/42`);
    expect(await ramkey.services.get(a, 'orders')).toMatchObject({ scope: 'Account', description: '' });
    expect(await ramkey.services.get(b, 'orders')).toMatchObject({
      scope: 'Global',
      description: 'for everyone',
    });
    // The API cannot change a global service; the operator (null) can.
    expect((await refusal(ramkey.services.update(b, 'orders', { description: 'x' }))).code).toBe(
      'InvalidParameter.ServiceName.Global',
    );
    expect((await refusal(ramkey.services.delete(b, 'orders'))).message).toBe(
      'The service "orders" is a global service of the installation: only its operator can change it (ramkey global-services).',
    );
    expect((await refusal(ramkey.services.delete(b, 'billing'))).code).toBe('EntityNotExist.Service');
    await ramkey.services.delete(null, 'orders');
    expect(await resolved(ramkey, b)).toBe('InvalidAction.NotFound');
  });

  it("picks up another process's change to the global services once its cache expires", async () => {
    const server = node();
    const operator = node(); // another process: same database, no shared change bus
    const accountId = await account(server);
    expect(await resolved(server, accountId)).toBe('InvalidAction.NotFound');
    await operator.services.create(null, 'orders', ORDERS);
    expect(await resolved(server, accountId)).toBe('InvalidAction.NotFound');
    clock.advance(10_001);
    expect(await resolved(server, accountId)).toBe(`orders:GetOrder acs:orders:*:${accountId}:order/42`);
  });

  // Security: a node whose change bus is down cannot hear of other nodes' changes.
  it('reads the store on every resolution while bypassed, and caches again once resumed', async () => {
    const server = node();
    const other = node(); // another node whose changes do not reach this one
    const accountId = await account(server);
    const found = `orders:GetOrder acs:orders:*:${accountId}:order/42`;
    expect(await resolved(server, accountId)).toBe('InvalidAction.NotFound');
    await other.services.create(accountId, 'orders', ORDERS);
    expect(await resolved(server, accountId)).toBe('InvalidAction.NotFound');
    server.services.setBypassed(true);
    expect(await resolved(server, accountId)).toBe(found);
    await other.services.delete(accountId, 'orders');
    expect(await resolved(server, accountId)).toBe('InvalidAction.NotFound');
    await other.services.create(accountId, 'orders', ORDERS);
    expect(await resolved(server, accountId)).toBe(found);
    server.services.setBypassed(false);
    expect(await resolved(server, accountId)).toBe(found);
    await other.services.delete(accountId, 'orders');
    expect(await resolved(server, accountId)).toBe(found);
  });

  it("gives the simulator a custom action's facts by its authorization name, in any case", async () => {
    const ramkey = node();
    const accountId = await account(ramkey);
    await ramkey.services.create(null, 'orders', ORDERS);
    expect(await ramkey.services.factsByAuthAction(accountId, 'ORDERS:getorder')).toMatchObject({
      authAction: 'orders:GetOrder',
      rw: 'Read',
    });
    expect(await ramkey.services.factsByAuthAction(accountId, 'orders:Nothing')).toBeUndefined();
    expect(await ramkey.services.factsByAuthAction(accountId, 'ram:GetUser')).toBeUndefined();
    expect(await ramkey.services.factsByAuthAction(accountId, 'orders')).toBeUndefined();
  });

  it('checks names, documents, descriptions, pairs and the quota whoever writes', async () => {
    const ramkey = createRamkey({ store: handle.store, sealer, clock, quotas: { servicesPerAccount: 2 } });
    nodes.push(ramkey);
    const accountId = await account(ramkey);
    const code = async (p: Promise<unknown>) => (await refusal(p)).code;
    expect(await code(ramkey.services.create(accountId, 'Orders', ORDERS))).toBe(
      'InvalidParameter.ServiceName.Format',
    );
    expect(await code(ramkey.services.create(null, 'ram', ORDERS))).toBe(
      'InvalidParameter.ServiceName.Reserved',
    );
    expect(await code(ramkey.services.create(accountId, 'orders', '{"Version":"1"}'))).toBe(
      'MalformedServiceDocument',
    );
    expect(await code(ramkey.services.create(accountId, 'orders', ORDERS, 'x'.repeat(1025)))).toBe(
      'InvalidParameter.Description.Length',
    );
    await ramkey.services.create(accountId, 'orders', ORDERS);
    expect(await code(ramkey.services.create(accountId, 'orders', ORDERS))).toBe(
      'EntityAlreadyExists.Service',
    );
    const clash = await refusal(ramkey.services.create(accountId, 'orders-two', ORDERS));
    expect(clash.code).toBe('EntityAlreadyExists.Service.Route');
    expect(clash.message).toBe(
      'The service "orders" already claims the host "orders.example.com" with the path prefix "/orders-api" ("" is any): a request there would match both.',
    );
    const elsewhere = (prefix: string) => JSON.stringify({ ...ORDERS_DOCUMENT, PathPrefixes: [prefix] });
    await ramkey.services.create(accountId, 'two', elsewhere('/two'));
    expect(await code(ramkey.services.create(accountId, 'three', elsewhere('/three')))).toBe(
      'LimitExceeded.Service',
    );
    expect(await code(ramkey.services.update(accountId, 'two', { description: 'x\u0000' }))).toBe(
      'InvalidParameter.NewDescription.Length',
    );
    expect(await code(ramkey.services.update(accountId, 'two', { document: ORDERS }))).toBe(
      'EntityAlreadyExists.Service.Route',
    );
    expect(await ramkey.services.count(accountId)).toBe(2);
  });

  it("lists the account's services, then the global ones it does not shadow, page by page", async () => {
    const ramkey = node();
    const accountId = await account(ramkey);
    const doc = (prefix: string) =>
      JSON.stringify({ Version: '1', PathPrefixes: [prefix], Actions: [{ Name: 'A', Access: 'Read' }] });
    for (const name of ['bb', 'aa', 'cc']) await ramkey.services.create(accountId, name, doc(`/${name}`));
    for (const name of ['g1', 'bb', 'g2']) await ramkey.services.create(null, name, doc(`/${name}`));
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await ramkey.services.list(accountId, {
        maxItems: 2,
        ...(marker !== undefined && { marker }),
      });
      names.push(...page.items.map((s) => `${s.scope}:${s.serviceName}`));
      marker = page.nextMarker;
      pages++;
    } while (marker !== undefined && pages < 10);
    expect(names).toEqual(['Account:aa', 'Account:bb', 'Account:cc', 'Global:g1', 'Global:g2']);
    const global = await ramkey.services.list(null, { maxItems: 10 });
    expect(global.items.map((s) => s.serviceName)).toEqual(['bb', 'g1', 'g2']);
    expect((await refusal(ramkey.services.list(accountId, { maxItems: 2, marker: 'x:1' }))).code).toBe(
      'InvalidParameter.Marker',
    );
    expect((await refusal(ramkey.services.list(null, { maxItems: 2, marker: 'a:' }))).code).toBe(
      'InvalidParameter.Marker',
    );
  });

  it('refuses to resolve for an account whose stored service no longer parses', async () => {
    const ramkey = node();
    const accountId = await account(ramkey);
    await ramkey.services.create(accountId, 'orders', ORDERS);
    await handle.raw
      .updateTable('services')
      .set({ document: '{}' })
      .where('service_name', '=', 'orders')
      .execute();
    clock.advance(60_001);
    await expect(ramkey.services.resolve(accountId, forwarded())).rejects.toThrow(
      /stored service orders does not parse/,
    );
  });
});
