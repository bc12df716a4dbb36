// resolveServiceRequest: which service, action and resources a forwarded request is; what it refuses;
// and, as properties, that no variable's value can widen or leave its resource and that the most
// specific service always wins.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORDERS_DOCUMENT } from '../../../test/support/service-documents.js';
import type { ErrorCode } from '../errors/catalog.js';
import {
  compileService,
  findRouteConflict,
  parseServiceCode,
  parseServiceDocument,
  resolveServiceRequest,
  ServiceCatalog,
  type ServiceCode,
  type ServiceDocument,
  type ServiceRequest,
} from './index.js';

const ACCOUNT = '1234567890123456';

function code(text: string): ServiceCode {
  const r = parseServiceCode(text);
  if (!r.ok) throw new Error(`${text} is not a service code`);
  return r.value;
}

function documentOf(json: unknown): ServiceDocument {
  const r = parseServiceDocument(JSON.stringify(json));
  if (!r.ok) throw new Error(`does not parse: ${String(r.params)}`);
  return r.value;
}

function catalog(...services: [string, unknown][]): ServiceCatalog {
  return new ServiceCatalog(services.map(([c, d]) => compileService(code(c), documentOf(d))));
}

const orders = catalog(['orders', ORDERS_DOCUMENT]);

function request(
  overrides: Partial<Omit<ServiceRequest, 'query'>> & { query?: Record<string, string> },
): ServiceRequest {
  const { query, ...rest } = overrides;
  return {
    host: 'orders.example.com',
    method: 'GET',
    path: '/orders-api/',
    action: undefined,
    ...rest,
    query: new Map(Object.entries(query ?? {})),
  };
}

/** `service:Action resource...`, or the refusal's code and parameters. */
function outcome(catalogs: readonly ServiceCatalog[], r: ServiceRequest, accountId = ACCOUNT): string {
  const resolved = resolveServiceRequest(catalogs, accountId, r);
  if (!resolved.ok) return [resolved.code, ...(resolved.params ?? [])].join(' ');
  return [resolved.value.action.authAction, ...resolved.value.resources].join(' ');
}

const decide = (overrides: Parameters<typeof request>[0]) => outcome([orders], request(overrides));

describe('resolveServiceRequest: the README example', () => {
  it('takes a routed action by method and path, with the path variable in its resource', () => {
    expect(decide({ path: '/orders-api/orders/42' })).toBe(
      `orders:GetOrder acs:orders:*:${ACCOUNT}:order/42`,
    );
    expect(decide({ method: 'POST', path: '/orders-api/orders' })).toBe(
      `orders:CreateOrder acs:orders:*:${ACCOUNT}:order/*`,
    );
  });

  it('gives the action its facts: read/write flag, risk, authorization name', () => {
    const r = resolveServiceRequest(
      [orders],
      ACCOUNT,
      request({ method: 'POST', path: '/orders-api/orders' }),
    );
    expect(r.ok && r.value.action).toMatchObject({
      service: 'orders',
      name: 'CreateOrder',
      authAction: 'orders:CreateOrder',
      access: 'Write',
      risk: 'High',
    });
  });

  it('takes an RPC-style action by the name the request gives, exactly', () => {
    expect(decide({ method: 'POST', action: 'ListOrders' })).toBe('orders:ListOrders *');
    expect(decide({ method: 'POST', path: '/orders-api/anything/else', action: 'ListOrders' })).toBe(
      'orders:ListOrders *',
    );
    expect(decide({ method: 'POST', action: 'listorders' })).toBe('InvalidAction.NotFound');
    // A routed action cannot be named instead of taken by its route.
    expect(decide({ method: 'POST', path: '/orders-api/x', action: 'GetOrder' })).toBe(
      'InvalidAction.NotFound',
    );
    expect(decide({ method: 'POST', path: '/orders-api/x' })).toBe('InvalidAction.NotFound');
  });

  it('refuses a request that names another action than its route', () => {
    expect(decide({ path: '/orders-api/orders/42', action: 'GetOrder' })).toBe(
      `orders:GetOrder acs:orders:*:${ACCOUNT}:order/42`,
    );
    expect(decide({ path: '/orders-api/orders/42', action: 'ListOrders' })).toBe(
      'InvalidParameter x-acs-action',
    );
    expect(decide({ path: '/orders-api/orders/42', action: 'getorder' })).toBe(
      'InvalidParameter x-acs-action',
    );
  });

  it('compares hosts without port, letter case or a final dot, wildcards over one or more labels', () => {
    for (const host of [
      'orders.example.com:8443',
      'ORDERS.Example.com',
      'orders.example.com.',
      'eu.orders.example.com',
      'a.b.orders.example.com:80',
    ]) {
      expect([host, decide({ host, path: '/orders-api/orders/1' })]).toEqual([
        host,
        `orders:GetOrder acs:orders:*:${ACCOUNT}:order/1`,
      ]);
    }
    for (const host of [
      'example.com',
      'xorders.example.com',
      'orders.example.com.evil.test',
      '[::1]:80',
      '',
    ]) {
      expect([host, decide({ host, path: '/orders-api/orders/1' })]).toEqual([
        host,
        'InvalidAction.NotFound',
      ]);
    }
  });

  it('matches a path prefix at a segment boundary only', () => {
    expect(decide({ path: '/orders-api', action: 'ListOrders' })).toBe('orders:ListOrders *');
    expect(decide({ path: '/orders-api2/orders/1' })).toBe('InvalidAction.NotFound');
    expect(decide({ path: '/orders/1' })).toBe('InvalidAction.NotFound');
  });

  it('reads a trailing / as nothing, decodes segments, and refuses paths read differently elsewhere', () => {
    expect(decide({ path: '/orders-api/orders/', method: 'POST' })).toBe(
      `orders:CreateOrder acs:orders:*:${ACCOUNT}:order/*`,
    );
    expect(decide({ path: '/orders-api/orders/%34%32' })).toBe(
      `orders:GetOrder acs:orders:*:${ACCOUNT}:order/42`,
    );
    expect(decide({ path: '/orders%2Dapi/orders/42' })).toBe(
      `orders:GetOrder acs:orders:*:${ACCOUNT}:order/42`,
    );
    // An encoded / stays inside its segment, and cannot go into a resource.
    expect(decide({ path: '/orders-api/orders/1%2F..%2Fadmin' })).toBe('InvalidParameter OrderId');
    for (const path of [
      '/orders-api//orders/1',
      '/orders-api/./orders/1',
      '/orders-api/orders/../orders/1',
      '/orders-api/orders/%2e%2e',
      'orders-api/orders/1',
      '/orders-api/orders/1?x=1',
      '/orders-api/orders/1#x',
      '/orders-api/orders/a b',
      '//',
    ]) {
      expect([path, decide({ path })]).toEqual([path, 'InvalidParameter path']);
    }
    expect(decide({ path: '/orders-api/orders/%zz' })).toBe('InvalidParameter.Encoding');
    expect(decide({ path: '/orders-api/orders/%C3' })).toBe('InvalidParameter.Encoding');
  });

  it('compares methods in upper case, ASCII only, and answers HEAD with a GET route', () => {
    expect(decide({ method: 'get', path: '/orders-api/orders/7' })).toBe(
      `orders:GetOrder acs:orders:*:${ACCOUNT}:order/7`,
    );
    expect(decide({ method: 'HEAD', path: '/orders-api/orders/7' })).toBe(
      `orders:GetOrder acs:orders:*:${ACCOUNT}:order/7`,
    );
    expect(decide({ method: 'poſt', path: '/orders-api/orders' })).toBe('InvalidAction.NotFound');
    expect(decide({ method: 'DELETE', path: '/orders-api/orders/7' })).toBe('InvalidAction.NotFound');
  });
});

describe('resolveServiceRequest: resources', () => {
  const shop = catalog([
    'shop',
    {
      Version: '1',
      PathPrefixes: ['/shop'],
      Actions: [
        {
          Name: 'GetItem',
          Access: 'Read',
          Method: 'GET',
          Path: '/regions/{RegionId}/items/{ItemId}',
          Resource: [
            'acs:shop:${RegionId}:${AccountId}:item/${ItemId}',
            'acs:shop:*:${AccountId}:store/${Store}',
          ],
        },
        { Name: 'Describe', Access: 'Read', Resource: 'acs:shop:*:${AccountId}:item/${ItemId}' },
      ],
    },
  ]);
  const get = (path: string, query: Record<string, string> = {}, action?: string) =>
    outcome([shop], request({ host: 'any.test', path, query, ...(action && { action, method: 'POST' }) }));

  it("fills path variables, then query parameters, and the caller's account", () => {
    expect(get('/shop/regions/eu-1/items/9', { Store: 'main', ItemId: 'ignored' })).toBe(
      `shop:GetItem acs:shop:eu-1:${ACCOUNT}:item/9 acs:shop:*:${ACCOUNT}:store/main`,
    );
    expect(get('/shop', { ItemId: 'k-7' }, 'Describe')).toBe(`shop:Describe acs:shop:*:${ACCOUNT}:item/k-7`);
    expect(
      outcome(
        [shop],
        request({ host: 'x', path: '/shop', method: 'POST', action: 'Describe', query: { ItemId: 'a' } }),
        '9999999999999999',
      ),
    ).toBe('shop:Describe acs:shop:*:9999999999999999:item/a');
  });

  it('refuses a variable with no value, naming it', () => {
    expect(get('/shop/regions/eu-1/items/9')).toBe('MissingParameter Store');
    expect(get('/shop', {}, 'Describe')).toBe('MissingParameter ItemId');
  });

  it('refuses values that could widen or leave the resource, naming the variable', () => {
    for (const value of [
      '*',
      'a*',
      '?',
      'a/b',

      'a b',
      'a\tb',
      'a\u00a0b',
      'a\u2028b',
      'a\u0000',
      'a\u0085',
      '',
      'x'.repeat(129),
    ]) {
      expect([value, get('/shop', { ItemId: value }, 'Describe')]).toEqual([
        value,
        'InvalidParameter ItemId',
      ]);
    }
    expect(get('/shop', { ItemId: 'x'.repeat(128) }, 'Describe')).toBe(
      `shop:Describe acs:shop:*:${ACCOUNT}:item/${'x'.repeat(128)}`,
    );
    // In the relative ID a `:` is a character; in the ARN's head it would shift the account field.
    expect(get('/shop', { ItemId: 'a:b' }, 'Describe')).toBe(`shop:Describe acs:shop:*:${ACCOUNT}:item/a:b`);
    expect(get('/shop/regions/eu:1/items/9', { Store: 's' })).toBe('InvalidParameter RegionId');
  });
});

describe('resolveServiceRequest: choosing among services', () => {
  const doc = (extra: Record<string, unknown>, name = 'Act') => ({
    Version: '1',
    ...extra,
    Actions: [{ Name: name, Access: 'Read' }],
  });
  const named = (catalogs: ServiceCatalog[], host: string, path: string) =>
    outcome(catalogs, request({ host, path, method: 'POST', action: 'Act' })).split(':')[0];

  it('prefers the longest path prefix, then an exact host, then the longer wildcard, then any host', () => {
    const all = catalog(
      ['any-host', doc({ PathPrefixes: ['/api'] })],
      ['deeper', doc({ PathPrefixes: ['/api/v2'] })],
      ['exact', doc({ Hosts: ['a.example.com'] })],
      ['wide', doc({ Hosts: ['*.example.com'] })],
      ['narrow', doc({ Hosts: ['*.a.example.com'] })],
      ['everything', doc({ Hosts: ['*.example.com', 'other.test'], PathPrefixes: ['/api', '/api/v2/x'] })],
    );
    expect(named([all], 'a.example.com', '/api/v2/x/1')).toBe('everything');
    expect(named([all], 'a.example.com', '/api/v2/1')).toBe('deeper');
    expect(named([all], 'a.example.com', '/api/1')).toBe('everything');
    expect(named([all], 'z.test', '/api/1')).toBe('any-host');
    expect(named([all], 'a.example.com', '/web')).toBe('exact');
    expect(named([all], 'b.a.example.com', '/web')).toBe('narrow');
    expect(named([all], 'b.example.com', '/web')).toBe('wide');
    expect(named([all], 'z.test', '/web')).toBe('InvalidAction.NotFound');
  });

  it("searches the account's services first; an account service shadows a global one of its code", () => {
    const global = catalog(
      ['orders', doc({ Hosts: ['g.example.com'] })],
      ['billing', doc({ Hosts: ['b.example.com'] })],
    );
    const account = catalog(
      ['orders', doc({ Hosts: ['mine.example.com'] })],
      ['local', doc({ PathPrefixes: ['/l'] })],
    );
    expect(named([account, global], 'mine.example.com', '/')).toBe('orders');
    expect(named([account, global], 'b.example.com', '/')).toBe('billing');
    // The global orders is shadowed: its host no longer leads anywhere for this account.
    expect(named([account, global], 'g.example.com', '/')).toBe('InvalidAction.NotFound');
    expect(named([global], 'g.example.com', '/')).toBe('orders');
    // An account service decides even when a global one would match more specifically.
    expect(named([account, global], 'b.example.com', '/l/x')).toBe('local');
  });

  it('finds two services of one scope claiming the same host and prefix', () => {
    const a = documentOf(doc({ Hosts: ['a.example.com', 'b.example.com'], PathPrefixes: ['/x', '/y'] }));
    const b = documentOf(doc({ Hosts: ['b.example.com'], PathPrefixes: ['/y'] }));
    const c = documentOf(doc({ PathPrefixes: ['/y'] }));
    expect(findRouteConflict(b, [{ code: 'a', document: a }])).toEqual({
      code: 'a',
      host: 'b.example.com',
      pathPrefix: '/y',
    });
    expect(findRouteConflict(c, [{ code: 'a', document: a }])).toBeUndefined();
    expect(findRouteConflict(c, [{ code: 'c2', document: c }])).toEqual({
      code: 'c2',
      host: '',
      pathPrefix: '/y',
    });
  });

  it('takes a literal segment over a variable, from the left', () => {
    const routes = catalog([
      'rt',
      {
        Version: '1',
        PathPrefixes: ['/r'],
        Actions: [
          { Name: 'ById', Access: 'Read', Method: 'GET', Path: '/orders/{Id}/{Part}' },
          { Name: 'Search', Access: 'Read', Method: 'GET', Path: '/orders/search/{Part}' },
          { Name: 'Items', Access: 'Read', Method: 'GET', Path: '/orders/{Id}/items' },
          { Name: 'HeadOnly', Access: 'Read', Method: 'HEAD', Path: '/orders/{Id}/items' },
        ],
      },
    ]);
    const at = (path: string, method = 'GET') =>
      outcome([routes], request({ host: 'h', method, path })).split(' ')[0];
    expect(at('/r/orders/search/items')).toBe('rt:Search');
    expect(at('/r/orders/1/items')).toBe('rt:Items');
    expect(at('/r/orders/1/x')).toBe('rt:ById');
    expect(at('/r/orders/1/items', 'HEAD')).toBe('rt:HeadOnly');
    expect(at('/r/orders/1/x', 'HEAD')).toBe('rt:ById');
  });
});

// ---- properties ----

/** Lexicographic order of rank tuples. */
function greater(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] ?? 0) > (b[i] ?? 0);
  return false;
}

const safeValue = fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/).filter((s) => s !== '.' && s !== '..');

describe('resolveServiceRequest: properties', () => {
  // Whatever the query holds, a resolved resource is the pattern with each variable replaced by a
  // value that holds none of / * ? blanks or control characters: it names exactly one thing.
  it('never lets a query value widen or leave its resource', () => {
    const svc = catalog([
      'pq',
      {
        Version: '1',
        PathPrefixes: ['/p'],
        Actions: [{ Name: 'A', Access: 'Read', Resource: 'acs:pq:*:${AccountId}:a/${X}/b' }],
      },
    ]);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 140 }), (value) => {
        const r = resolveServiceRequest(
          [svc],
          ACCOUNT,
          request({ host: 'h', path: '/p', method: 'POST', action: 'A', query: { X: value } }),
        );
        if (!r.ok) {
          expect(r.code).toBe<ErrorCode>('InvalidParameter');
          expect(r.params).toEqual(['X']);
          return;
        }
        expect(r.value.resources).toEqual([`acs:pq:*:${ACCOUNT}:a/${value}/b`]);
        expect(value).not.toMatch(/[\s/*?\p{Cc}]/u);
        expect(value.length).toBeGreaterThan(0);
        expect(value.length).toBeLessThanOrEqual(128);
      }),
      { numRuns: 1000 },
    );
  });

  // A path built from a route's template with safe values resolves to that route, its variables
  // substituted, however the host is spelt and whatever port it carries.
  it('resolves a path built from a template to that route, with its values', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(safeValue, { minLength: 1, maxLength: 4 }),
        fc.array(safeValue, { minLength: 3, maxLength: 3 }),
        fc.constantFrom('orders.example.com', 'ORDERS.example.COM', 'x.orders.example.com'),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        (literals, values, host, port) => {
          const template = `/${literals.join('/')}/{A}/x/{B}`;
          const svc = catalog([
            'prop',
            {
              Version: '1',
              Hosts: ['orders.example.com', '*.orders.example.com'],
              Actions: [
                {
                  Name: 'T',
                  Access: 'Write',
                  Method: 'PUT',
                  Path: template,
                  Resource: 'acs:prop:*:${AccountId}:t/${A}/${B}/${Q}',
                },
              ],
            },
          ]);
          const [a = '', b = '', q = ''] = values;
          const path = `/${literals.map(encodeURIComponent).join('/')}/${encodeURIComponent(a)}/x/${encodeURIComponent(b)}`;
          const r = resolveServiceRequest(
            [svc],
            ACCOUNT,
            request({
              host: port === undefined ? host : `${host}:${String(port)}`,
              method: 'put',
              path,
              query: { Q: q, A: 'not-this' },
            }),
          );
          expect(r.ok && r.value.action.name).toBe('T');
          expect(r.ok && r.value.resources).toEqual([`acs:prop:*:${ACCOUNT}:t/${a}/${b}/${q}`]);
        },
      ),
    );
  });

  // Among services of one scope with distinct (host, prefix) claims, the one chosen is the most
  // specific by the documented order, computed here independently.
  it('chooses the most specific service, as an independent ranking does', () => {
    const hostChoice = fc.constantFrom(
      'a.example.com',
      '*.example.com',
      '*.b.example.com',
      'c.b.example.com',
    );
    const prefixChoice = fc.constantFrom('/a', '/a/b', '/a/b/c', '/z');
    const serviceArb = fc.record({
      host: fc.option(hostChoice, { nil: undefined }),
      prefix: fc.option(prefixChoice, { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(serviceArb, {
          minLength: 1,
          maxLength: 8,
          selector: (s) => `${s.host ?? ''} ${s.prefix ?? ''}`,
        }),
        fc.constantFrom('a.example.com', 'c.b.example.com', 'd.b.example.com', 'x.example.com', 'other.test'),
        fc.constantFrom('/a', '/a/b', '/a/b/c/d', '/z/1', '/q'),
        (services, host, path) => {
          const defs = services
            .filter((s) => s.host !== undefined || s.prefix !== undefined)
            .map((s, i) => [`s${String(i)}`, s] as const);
          if (defs.length === 0) return;
          const cat = catalog(
            ...defs.map(([c, s]): [string, unknown] => [
              c,
              {
                Version: '1',
                ...(s.host && { Hosts: [s.host] }),
                ...(s.prefix && { PathPrefixes: [s.prefix] }),
                Actions: [{ Name: 'Act', Access: 'Read' }],
              },
            ]),
          );
          const rank = (s: {
            host?: string | undefined;
            prefix?: string | undefined;
          }): number[] | undefined => {
            let hostRank: number[];
            if (s.host === undefined) hostRank = [0, 0];
            else if (!s.host.startsWith('*.')) {
              if (s.host !== host) return undefined;
              hostRank = [2, 0];
            } else {
              const domain = s.host.slice(1);
              if (!host.endsWith(domain)) return undefined;
              hostRank = [1, domain.length];
            }
            const prefixLength = s.prefix === undefined ? 0 : s.prefix.split('/').length - 1;
            if (s.prefix !== undefined && path !== s.prefix && !path.startsWith(`${s.prefix}/`))
              return undefined;
            return [prefixLength, ...hostRank];
          };
          let expected = 'InvalidAction.NotFound';
          let best: number[] | undefined;
          for (const [c, s] of defs) {
            const r = rank(s);
            if (!r) continue;
            const better = !best || greater(r, best);
            if (better) {
              best = r;
              expected = c;
            }
          }
          expect(outcome([cat], request({ host, path, method: 'POST', action: 'Act' })).split(':')[0]).toBe(
            expected,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
