// parseServiceDocument: the documented shape parses to its normal form; anything else is refused with a
// message naming the field; arbitrary text never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORDERS_DOCUMENT } from '../../../test/support/service-documents.js';
import { formatMessage } from '../errors/catalog.js';
import {
  MAX_SERVICE_ACTIONS,
  MAX_SERVICE_DOCUMENT_LENGTH,
  parseServiceCode,
  parseServiceDocument,
  type ServiceDocument,
} from './index.js';

function parse(document: unknown) {
  return parseServiceDocument(JSON.stringify(document));
}

/** The formatted message of a refusal, or 'ok'. */
function refusal(text: string): string {
  const r = parseServiceDocument(text);
  return r.ok ? 'ok' : `${r.code}: ${formatMessage(r.code, r.params)}`;
}

function withAction(action: Record<string, unknown>) {
  return { Version: '1', Hosts: ['a.example.com'], Actions: [action] };
}

describe('parseServiceDocument', () => {
  it('reads the documented example into its normal form', () => {
    expect(parse(ORDERS_DOCUMENT)).toEqual({
      ok: true,
      value: {
        Version: '1',
        Hosts: ['orders.example.com', '*.orders.example.com'],
        PathPrefixes: ['/orders-api'],
        Actions: [
          {
            Name: 'GetOrder',
            Access: 'Read',
            Method: 'GET',
            Path: '/orders/{OrderId}',
            Resource: ['acs:orders:*:${AccountId}:order/${OrderId}'],
            Risk: 'Standard',
          },
          {
            Name: 'CreateOrder',
            Access: 'Write',
            Method: 'POST',
            Path: '/orders',
            Resource: ['acs:orders:*:${AccountId}:order/*'],
            Risk: 'High',
          },
          { Name: 'ListOrders', Access: 'Read', Resource: ['*'], Risk: 'Standard' },
        ],
      },
    });
  });

  it('takes a service by path prefix alone, or by host alone', () => {
    const byPrefix = parse({
      Version: '1',
      PathPrefixes: ['/api/v2'],
      Actions: [{ Name: 'Ping', Access: 'Read' }],
    });
    expect(byPrefix.ok && byPrefix.value.Hosts).toEqual([]);
    const byHost = parse({ Version: '1', Hosts: ['10.0.0.5'], Actions: [{ Name: 'Ping', Access: 'Read' }] });
    expect(byHost.ok && byHost.value.PathPrefixes).toEqual([]);
  });

  it('refuses empty and oversized text by length', () => {
    expect(refusal('')).toBe(
      `InvalidParameter.ServiceDocument.Length: The service document is empty or longer than 16384 characters.`,
    );
    const padded = JSON.stringify(ORDERS_DOCUMENT).replace(
      '{',
      `{${' '.repeat(MAX_SERVICE_DOCUMENT_LENGTH)}`,
    );
    expect(refusal(padded)).toContain('InvalidParameter.ServiceDocument.Length');
    // At the limit exactly, whitespace included, it parses (characters are code points).
    const text = JSON.stringify(ORDERS_DOCUMENT);
    const atLimit = `${text.slice(0, -1)}${' '.repeat(MAX_SERVICE_DOCUMENT_LENGTH - text.length)}}`;
    expect(refusal(atLimit)).toBe('ok');
  });

  // Each case: the document, and a fragment of the refusal's message that names the field at fault.
  it.each<[string, unknown, string]>([
    ['not an object', ['x'], 'the document must be a JSON object'],
    [
      'unknown top-level key',
      { ...ORDERS_DOCUMENT, Host: ['x.com'] },
      'the document has an unknown key "Host"',
    ],
    ['no Version', { Hosts: ['a.com'], Actions: [{ Name: 'A', Access: 'Read' }] }, 'Version is required'],
    ['Version as a number', { ...ORDERS_DOCUMENT, Version: 1 }, 'Version must be "1"'],
    [
      'neither Hosts nor PathPrefixes',
      { Version: '1', Actions: [{ Name: 'A', Access: 'Read' }] },
      'at least one of Hosts and PathPrefixes',
    ],
    ['empty Hosts', { ...ORDERS_DOCUMENT, Hosts: [] }, 'Hosts must not be empty'],
    [
      'a host with a port',
      { ...ORDERS_DOCUMENT, Hosts: ['orders.example.com:8443'] },
      'Hosts[0] "orders.example.com:8443" must be a host name without a port',
    ],
    [
      'a host with a scheme',
      { ...ORDERS_DOCUMENT, Hosts: ['https://orders.example.com'] },
      'without a scheme',
    ],
    [
      'an upper-case host',
      { ...ORDERS_DOCUMENT, Hosts: ['Orders.example.com'] },
      'Hosts[0] "Orders.example.com" must be lower case',
    ],
    [
      'a wildcard inside',
      { ...ORDERS_DOCUMENT, Hosts: ['orders.*.example.com'] },
      'a wildcard only as its first label',
    ],
    ['a wildcard over a top-level domain', { ...ORDERS_DOCUMENT, Hosts: ['*.com'] }, 'at least two labels'],
    [
      'a label with an underscore',
      { ...ORDERS_DOCUMENT, Hosts: ['my_orders.example.com'] },
      'is not a DNS name',
    ],
    [
      'a host twice',
      { ...ORDERS_DOCUMENT, Hosts: ['a.example.com', 'a.example.com'] },
      'Hosts[1] "a.example.com" is listed twice',
    ],
    [
      'a prefix without /',
      { ...ORDERS_DOCUMENT, PathPrefixes: ['orders'] },
      'PathPrefixes[0] "orders" must start with "/"',
    ],
    ['a prefix that is /', { ...ORDERS_DOCUMENT, PathPrefixes: ['/'] }, 'must not be "/" alone'],
    ['a prefix ending in /', { ...ORDERS_DOCUMENT, PathPrefixes: ['/orders/'] }, 'must not end with "/"'],
    [
      'a prefix with ..',
      { ...ORDERS_DOCUMENT, PathPrefixes: ['/a/../b'] },
      'must not have a "." or ".." segment',
    ],
    ['a prefix with //', { ...ORDERS_DOCUMENT, PathPrefixes: ['/a//b'] }, 'must not have an empty segment'],
    [
      'a prefix with a query',
      { ...ORDERS_DOCUMENT, PathPrefixes: ['/a?b=1'] },
      'with a character other than',
    ],
    ['a prefix percent-encoded', { ...ORDERS_DOCUMENT, PathPrefixes: ['/a%20b'] }, 'not percent-encoded'],
    ['no Actions', { Version: '1', Hosts: ['a.com'] }, 'Actions is required'],
    [
      'empty Actions',
      { ...ORDERS_DOCUMENT, Actions: [] },
      `Actions must hold 1 to ${String(MAX_SERVICE_ACTIONS)} actions`,
    ],
    ['an action that is a string', withAction('GetOrder' as never), 'Actions[0] must be an object'],
    [
      'an unknown action key',
      withAction({ Name: 'A', Access: 'Read', Reource: '*' }),
      'Actions[0] has an unknown key "Reource"',
    ],
    ['no Name', withAction({ Access: 'Read' }), 'Actions[0].Name is required'],
    [
      'a Name with a dash',
      withAction({ Name: 'Get-Order', Access: 'Read' }),
      'Actions[0].Name must be a letter followed by',
    ],
    ['no Access', withAction({ Name: 'A' }), 'Actions[0].Access must be "Read" or "Write" (action "A")'],
    [
      'Access in lower case',
      withAction({ Name: 'A', Access: 'read' }),
      'Actions[0].Access must be "Read" or "Write"',
    ],
    [
      'Method without Path',
      withAction({ Name: 'A', Access: 'Read', Method: 'GET' }),
      'Actions[0].Method and Path go together',
    ],
    [
      'an unknown Method',
      withAction({ Name: 'A', Access: 'Read', Method: 'get', Path: '/a' }),
      'Actions[0].Method must be one of GET, POST',
    ],
    [
      'a Path without /',
      withAction({ Name: 'A', Access: 'Read', Method: 'GET', Path: 'a' }),
      'Actions[0].Path "a" must start with "/"',
    ],
    [
      'a Path variable inside a segment',
      withAction({ Name: 'A', Access: 'Read', Method: 'GET', Path: '/a/{Id}.json' }),
      'only as a whole segment',
    ],
    [
      'a Path variable twice',
      withAction({ Name: 'A', Access: 'Read', Method: 'GET', Path: '/{Id}/{Id}' }),
      'names the variable {Id} twice',
    ],
    [
      'a Path variable named AccountId',
      withAction({ Name: 'A', Access: 'Read', Method: 'GET', Path: '/{AccountId}' }),
      'must not name a variable AccountId',
    ],
    [
      'a bad Path variable name',
      withAction({ Name: 'A', Access: 'Read', Method: 'GET', Path: '/{1d}' }),
      'whose name is not a letter',
    ],
    [
      'a Path ending in /',
      withAction({ Name: 'A', Access: 'Read', Method: 'GET', Path: '/a/' }),
      'must not end with "/"',
    ],
    [
      'an empty Resource list',
      withAction({ Name: 'A', Access: 'Read', Resource: [] }),
      'Actions[0].Resource must hold 1 to 10',
    ],
    [
      'a Resource that is no ARN',
      withAction({ Name: 'A', Access: 'Read', Resource: 'order/1' }),
      'Actions[0].Resource "order/1" is not a resource',
    ],
    [
      'a Resource with a blank',
      withAction({ Name: 'A', Access: 'Read', Resource: ['*', 'acs:o:*:1:a b'] }),
      'Actions[0].Resource[1] "acs:o:*:1:a b" must be printable ASCII',
    ],
    [
      'a Resource with ?',
      withAction({ Name: 'A', Access: 'Read', Resource: 'acs:o:*:1:a?' }),
      'must not contain "?"',
    ],
    [
      'a Resource with a bare $',
      withAction({ Name: 'A', Access: 'Read', Resource: 'acs:o:*:1:a/$x' }),
      'does not start a variable',
    ],
    [
      'a Resource with ${ram:UserName}',
      withAction({ Name: 'A', Access: 'Read', Resource: 'acs:o:*:1:a/${ram:UserName}' }),
      'does not start a variable',
    ],
    [
      'a Resource with an empty relative ID',
      withAction({ Name: 'A', Access: 'Read', Resource: 'acs:o:*:${AccountId}:' }),
      'is not a resource',
    ],
    [
      'a Resource with letters for an account',
      withAction({ Name: 'A', Access: 'Read', Resource: 'acs:o:*:abc:x' }),
      'is not a resource',
    ],
    [
      'an unknown Risk',
      withAction({ Name: 'A', Access: 'Read', Risk: 'Critical' }),
      'Actions[0].Risk must be "High" or "Standard"',
    ],
    [
      'two names differing in case',
      {
        ...ORDERS_DOCUMENT,
        Actions: [
          { Name: 'GetOrder', Access: 'Read' },
          { Name: 'getorder', Access: 'Read' },
        ],
      },
      'Actions[1].Name "getorder" is already the name of Actions[0]',
    ],
    [
      'two routes of one shape',
      {
        ...ORDERS_DOCUMENT,
        Actions: [
          { Name: 'A', Access: 'Read', Method: 'GET', Path: '/orders/{Id}' },
          { Name: 'B', Access: 'Read', Method: 'GET', Path: '/orders/{OrderId}' },
        ],
      },
      'Actions[1] (B) has the route of Actions[0] (A): GET /orders/{OrderId}',
    ],
  ])('refuses %s', (_name, document, fragment) => {
    const message = refusal(JSON.stringify(document));
    expect(message).toContain('MalformedServiceDocument: The service document is malformed: ');
    expect(message).toContain(fragment);
  });

  it('refuses duplicate keys, also spelt with escapes, and text after the document', () => {
    const text = JSON.stringify(withAction({ Name: 'A', Access: 'Read' }));
    expect(refusal(text.replace('"Access":"Read"', '"Access":"Write","Access":"Read"'))).toContain(
      'invalid JSON: duplicate key "Access"',
    );
    expect(refusal(text.replace('"Access":"Read"', '"Access":"Write","\\u0041ccess":"Read"'))).toContain(
      'duplicate key "Access"',
    );
    expect(refusal(`${text} {}`)).toContain('unexpected text after the document');
  });

  it('accepts overlapping routes of different shapes, and one shape under two methods', () => {
    const r = parse({
      ...ORDERS_DOCUMENT,
      Actions: [
        { Name: 'GetOrder', Access: 'Read', Method: 'GET', Path: '/orders/{OrderId}' },
        { Name: 'SearchOrders', Access: 'Read', Method: 'GET', Path: '/orders/search' },
        { Name: 'DeleteOrder', Access: 'Write', Method: 'DELETE', Path: '/orders/{OrderId}' },
        { Name: 'Root', Access: 'Read', Method: 'GET', Path: '/' },
      ],
    });
    expect(r.ok).toBe(true);
  });

  it('allows variables anywhere in the ARN, read from the path or else the query', () => {
    const r = parse(
      withAction({
        Name: 'A',
        Access: 'Read',
        Method: 'GET',
        Path: '/regions/{RegionId}/orders/{OrderId}',
        Resource: [
          'acs:orders:${RegionId}:${AccountId}:order/${OrderId}',
          'acs:orders:*:${AccountId}:shop/${Shop}',
        ],
      }),
    );
    expect(r.ok).toBe(true);
  });

  // Property: what parses is exactly its normal form, and that form parses to itself.
  it('parses every generated document to a normal form that parses to itself', () => {
    fc.assert(
      fc.property(documentArb, (doc) => {
        const first = parse(doc);
        expect(first.ok).toBe(true);
        if (!first.ok) return;
        // Empty lists are how the normal form says "any"; a document says so by leaving them out.
        const { Hosts, PathPrefixes, ...rest } = first.value;
        const wire = {
          ...rest,
          ...(Hosts.length > 0 && { Hosts }),
          ...(PathPrefixes.length > 0 && { PathPrefixes }),
        };
        expect(parse(wire)).toEqual(first);
        expect(first.value.Actions.map((a) => a.Name)).toEqual(doc.Actions.map((a) => a.Name));
      }),
    );
  });

  // Property: no text makes the parser throw; it answers with a value or one of its two codes.
  it('answers arbitrary JSON and arbitrary text with a value or a catalog refusal', () => {
    const answers = (text: string) => {
      const r = parseServiceDocument(text);
      expect(
        r.ok || r.code === 'MalformedServiceDocument' || r.code === 'InvalidParameter.ServiceDocument.Length',
      ).toBe(true);
    };
    fc.assert(fc.property(fc.json(), answers), { numRuns: 500 });
    fc.assert(fc.property(fc.string(), answers), { numRuns: 500 });
    fc.assert(
      fc.property(
        documentArb,
        fc.jsonValue(),
        fc.constantFrom('Version', 'Hosts', 'PathPrefixes', 'Actions'),
        (doc, junk, key) => {
          answers(JSON.stringify({ ...doc, [key]: junk }));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseServiceCode', () => {
  it.each(['orders', 'ab', 'order-api', 'a1', 'x'.repeat(32)])('accepts %s', (code) => {
    expect(parseServiceCode(code)).toEqual({ ok: true, value: code });
  });

  it.each(['a', 'Orders', '1orders', '-orders', 'order_api', 'orders:x', 'x'.repeat(33), ''])(
    'refuses %j',
    (code) => {
      expect(parseServiceCode(code)).toEqual({ ok: false, code: 'InvalidParameter.ServiceName.Format' });
    },
  );

  it.each(['ram', 'ims', 'sts', 'actiontrail', 'acs', 'ramkey'])('refuses the reserved code %s', (code) => {
    expect(parseServiceCode(code)).toEqual({
      ok: false,
      code: 'InvalidParameter.ServiceName.Reserved',
      params: [code],
    });
  });
});

// ---- generators ----

const labelArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const hostArb = fc
  .tuple(fc.boolean(), fc.array(labelArb, { minLength: 2, maxLength: 4 }))
  .map(([wildcard, labels]) => `${wildcard ? '*.' : ''}${labels.join('.')}`);
const segmentArb = fc.stringMatching(/^[A-Za-z0-9_~-]{1,8}$/).filter((s) => s !== '.' && s !== '..');
const prefixArb = fc.array(segmentArb, { minLength: 1, maxLength: 3 }).map((s) => `/${s.join('/')}`);
const nameArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,10}$/);

const actionArb = fc.record(
  {
    Name: nameArb,
    Access: fc.constantFrom('Read', 'Write'),
    route: fc.option(
      fc.record({
        Method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'),
        segments: fc.array(
          fc.oneof(
            segmentArb,
            nameArb.map((n) => `{V${n}}`),
          ),
          { maxLength: 4 },
        ),
      }),
      { nil: undefined },
    ),
    Resource: fc.option(
      fc.oneof(
        fc.constant('*'),
        fc.constant('acs:svc:*:${AccountId}:thing/${Id}'),
        fc.array(fc.constantFrom('acs:svc::${AccountId}:a/*', 'acs:svc:*:123:b/${X}'), {
          minLength: 1,
          maxLength: 3,
        }),
      ),
      { nil: undefined },
    ),
    Risk: fc.option(fc.constantFrom('High', 'Standard'), { nil: undefined }),
  },
  { requiredKeys: ['Name', 'Access'] },
);

/** Valid documents: distinct names (regardless of case) and distinct route shapes. */
const documentArb: fc.Arbitrary<ServiceDocument & { Actions: { Name: string }[] }> = fc
  .record({
    Hosts: fc.option(fc.uniqueArray(hostArb, { minLength: 1, maxLength: 4 }), { nil: undefined }),
    PathPrefixes: fc.option(fc.uniqueArray(prefixArb, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    Actions: fc.uniqueArray(actionArb, { minLength: 1, maxLength: 8, selector: (a) => a.Name.toLowerCase() }),
  })
  .filter((d) => d.Hosts !== undefined || d.PathPrefixes !== undefined)
  .map((d) => {
    const shapes = new Set<string>();
    const actions = d.Actions.map(({ route, ...a }) => {
      if (!route) return a;
      // Variables unique in a template; one shape per method.
      const seen = new Set<string>();
      const segments = route.segments.filter((s) => !s.startsWith('{') || (!seen.has(s) && seen.add(s)));
      const shape = `${route.Method} ${segments.map((s) => (s.startsWith('{') ? '{}' : s)).join('/')}`;
      if (shapes.has(shape)) return a;
      shapes.add(shape);
      return { ...a, Method: route.Method, Path: `/${segments.join('/')}` };
    });
    return {
      Version: '1',
      ...(d.Hosts && { Hosts: d.Hosts }),
      ...(d.PathPrefixes && { PathPrefixes: d.PathPrefixes }),
      Actions: actions,
    } as unknown as ServiceDocument & { Actions: { Name: string }[] };
  });
