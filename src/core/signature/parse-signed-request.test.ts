// parseSignedRequest: which requests are well formed, and the catalog code for each that is not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FORM,
  HOST,
  KEY_ID,
  NOW,
  NOW_MS,
  referenceV3Authorization,
  SECRET,
  v1Request,
  v3BaseHeaders,
  v3Request,
} from '../../../test/vectors/request-builders.js';
import { isErrorCode } from '../errors/catalog.js';
import {
  MAX_PARAMETER_NAME_LENGTH,
  MAX_PARAMETER_VALUE_LENGTH,
  MAX_PARAMETERS,
  parseSignedRequest,
  prepareSigningKey,
  verifySignature,
  type HttpRequestParts,
  type SignedRequest,
} from './index.js';

const key = prepareSigningKey(SECRET);

function parsed(req: HttpRequestParts): SignedRequest {
  const result = parseSignedRequest(req);
  if (!result.ok) throw new Error(`expected a parse, got ${result.code} ${JSON.stringify(result.params)}`);
  return result.value;
}

function accepted(req: HttpRequestParts): SignedRequest {
  const value = parsed(req);
  expect(verifySignature(value, key)).toEqual({ ok: true });
  return value;
}

function refusal(req: HttpRequestParts): { code: string; params?: readonly string[] } {
  const result = parseSignedRequest(req);
  if (result.ok) throw new Error('expected a refusal, got a parse');
  return result.params ? { code: result.code, params: result.params } : { code: result.code };
}

/** A V1 GET whose raw query is given as is (the signature is irrelevant to the parse checks). */
function v1Raw(rawQuery: string, extra: Partial<HttpRequestParts> = {}): HttpRequestParts {
  return { method: 'GET', rawQuery, headers: { host: HOST }, body: Buffer.alloc(0), ...extra };
}

const V1_COMMON =
  'AccessKeyId=k&Action=A&SignatureMethod=HMAC-SHA1&SignatureNonce=n&SignatureVersion=1.0&Timestamp=2026-11-27T23%3A02%3A42Z&Version=v&Signature=s';

describe('parseSignedRequest: V1 (RPC, HMAC-SHA1)', () => {
  it('accepts a signed GET and exposes the signing fields', () => {
    const req = accepted(
      v1Request({ params: { Action: 'ListUsers', Version: '2015-05-01', Format: 'JSON' } }),
    );
    expect(req).toMatchObject({
      style: 'v1',
      accessKeyId: KEY_ID,
      action: 'ListUsers',
      version: '2015-05-01',
      nonce: 'nonce-1',
      timestamp: NOW,
      timestampMs: NOW_MS,
    });
  });

  it('keeps only business parameters (and Format) in params', () => {
    const req = accepted(
      v1Request({ params: { Action: 'CreateUser', Version: 'v', Format: 'XML', UserName: 'u1' } }),
    );
    expect([...req.params.entries()].sort()).toEqual([
      ['Format', 'XML'],
      ['UserName', 'u1'],
    ]);
  });

  it('accepts a POST with the parameters in a form body, and with a charset parameter', () => {
    accepted(v1Request({ method: 'POST', inBody: true }));
    const req = v1Request({ method: 'POST', inBody: true });
    req.headers['content-type'] = 'Application/X-WWW-Form-Urlencoded ; charset=UTF-8';
    accepted(req);
  });

  it('signs query and body parameters as one set (split between them)', () => {
    const req = v1Request({ method: 'POST', params: { Action: 'CreateUser', Version: 'v', UserName: 'u1' } });
    const pieces = req.rawQuery.split('&');
    const body = pieces.filter((p) => p.startsWith('UserName=') || p.startsWith('Timestamp='));
    const query = pieces.filter((p) => !body.includes(p));
    const split = accepted({
      ...req,
      rawQuery: query.join('&'),
      headers: { host: HOST, 'content-type': FORM },
      body: Buffer.from(body.join('&')),
    });
    expect(split.params.get('UserName')).toBe('u1');
  });

  it('decodes + as a space (what form encoders send) and still verifies', () => {
    const req = v1Request({ params: { Action: 'CreateUser', Version: 'v', DisplayName: 'a b c' } });
    expect(req.rawQuery).toContain('a%20b%20c');
    const value = accepted({ ...req, rawQuery: req.rawQuery.replace('a%20b%20c', 'a+b+c') });
    expect(value.params.get('DisplayName')).toBe('a b c');
  });

  it('skips empty pieces and reads a piece without = as an empty value', () => {
    const base = v1Request({ params: { Action: 'A', Version: 'v', Flag: '' } });
    expect(base.rawQuery).toContain('Flag=&');
    const value = accepted({ ...base, rawQuery: '&&' + base.rawQuery.replace('Flag=&', 'Flag&&') + '&' });
    expect(value.params.get('Flag')).toBe('');
  });

  it.each([
    'Action',
    'Version',
    'AccessKeyId',
    'Signature',
    'SignatureMethod',
    'SignatureVersion',
    'SignatureNonce',
    'Timestamp',
  ])('refuses a request without %s (MissingParameter), also when it is empty', (name) => {
    const pieces = V1_COMMON.split('&');
    const without = pieces.filter((p) => !p.startsWith(name + '=')).join('&');
    expect(refusal(v1Raw(without))).toEqual({ code: 'MissingParameter', params: [name] });
    const empty = pieces.map((p) => (p.startsWith(name + '=') ? name + '=' : p)).join('&');
    expect(refusal(v1Raw(empty))).toEqual({ code: 'MissingParameter', params: [name] });
  });

  it('refuses another SignatureMethod or SignatureVersion', () => {
    expect(refusal(v1Raw(V1_COMMON.replace('HMAC-SHA1', 'HMAC-SHA256')))).toEqual({
      code: 'InvalidParameter',
      params: ['SignatureMethod'],
    });
    expect(refusal(v1Raw(V1_COMMON.replace('hmac-sha1', 'x').replace('HMAC-SHA1', 'hmac-sha1')))).toEqual({
      code: 'InvalidParameter',
      params: ['SignatureMethod'],
    });
    expect(refusal(v1Raw(V1_COMMON.replace('SignatureVersion=1.0', 'SignatureVersion=2.0')))).toEqual({
      code: 'InvalidParameter',
      params: ['SignatureVersion'],
    });
  });

  it('refuses a malformed Timestamp with InvalidTimeStamp.Format', () => {
    for (const bad of [
      '2026-11-27+23%3A02%3A42Z',
      '2026-11-27T23%3A02%3A42',
      '2026-02-30T00%3A00%3A00Z',
      '1764284562',
    ]) {
      expect(refusal(v1Raw(V1_COMMON.replace('2026-11-27T23%3A02%3A42Z', bad)))).toEqual({
        code: 'InvalidTimeStamp.Format',
      });
    }
  });

  it('treats a non-ACS3 Authorization header (Basic, Bearer) as not V3', () => {
    const req = v1Request();
    req.headers.authorization = 'Basic dXNlcjpwYXNz';
    expect(accepted(req).style).toBe('v1');
  });
});

describe('parseSignedRequest: parameter decoding and limits', () => {
  // Security: V1 signs query+body as one set; a repeated name could make the signed value and the
  // value a handler reads differ.
  it('refuses a name given twice in the query, in the body, or across them', () => {
    expect(refusal(v1Raw(V1_COMMON + '&UserName=a&UserName=b'))).toEqual({
      code: 'InvalidParameter.Duplicate',
      params: ['UserName'],
    });
    expect(refusal(v1Raw(V1_COMMON + '&Action=B'))).toEqual({
      code: 'InvalidParameter.Duplicate',
      params: ['Action'],
    });
    const form = { headers: { host: HOST, 'content-type': FORM }, method: 'POST' };
    expect(refusal(v1Raw('', { ...form, body: Buffer.from(V1_COMMON + '&X=1&X=2') }))).toEqual({
      code: 'InvalidParameter.Duplicate',
      params: ['X'],
    });
    expect(refusal(v1Raw(V1_COMMON, { ...form, body: Buffer.from('Signature=t') }))).toEqual({
      code: 'InvalidParameter.Duplicate',
      params: ['Signature'],
    });
  });

  it('sees a duplicate through different encodings of the same name', () => {
    expect(refusal(v1Raw(V1_COMMON + '&Act%69on=B'))).toEqual({
      code: 'InvalidParameter.Duplicate',
      params: ['Action'],
    });
    expect(refusal(v1Raw(V1_COMMON + '&a+b=1&a%20b=2'))).toEqual({
      code: 'InvalidParameter.Duplicate',
      params: ['a b'],
    });
  });

  it.each([
    ['a truncated escape', 'X=%4'],
    ['a non-hex escape', 'X=%zz'],
    ['truncated UTF-8', 'X=%E4%B8'],
    ['an overlong UTF-8 form', 'X=%C0%AF'],
    ['an encoded surrogate', 'X=%ED%A0%80'],
    ['a raw non-ASCII character', 'X=\u00e9'],
    ['a raw space', 'X=a b'],
    ['a bad escape in a name', '%G1=x'],
    ['an empty name', '=x'],
  ])('refuses %s with InvalidParameter.Encoding', (_what, piece) => {
    expect(refusal(v1Raw(V1_COMMON + '&' + piece))).toEqual({ code: 'InvalidParameter.Encoding' });
  });

  it('refuses a form body with a raw non-ASCII byte or invalid UTF-8', () => {
    const form = { method: 'POST', headers: { host: HOST, 'content-type': FORM } };
    expect(refusal(v1Raw(V1_COMMON, { ...form, body: Buffer.from('X=\u00e9', 'utf8') }))).toEqual({
      code: 'InvalidParameter.Encoding',
    });
    expect(refusal(v1Raw(V1_COMMON, { ...form, body: Buffer.from('X=%FF') }))).toEqual({
      code: 'InvalidParameter.Encoding',
    });
  });

  it('requires a non-empty body to be a form', () => {
    const body = Buffer.from('X=1');
    const refusedWith = (headers: Record<string, string | string[]>) =>
      refusal(v1Raw(V1_COMMON, { method: 'POST', headers: { host: HOST, ...headers }, body }));
    expect(refusedWith({})).toEqual({ code: 'InvalidParameter.ContentType' });
    expect(refusedWith({ 'content-type': 'application/json' })).toEqual({
      code: 'InvalidParameter.ContentType',
    });
    expect(refusedWith({ 'content-type': 'multipart/form-data; boundary=x' })).toEqual({
      code: 'InvalidParameter.ContentType',
    });
    expect(refusedWith({ 'content-type': 'application/x-www-form-urlencodedx' })).toEqual({
      code: 'InvalidParameter.ContentType',
    });
    expect(refusedWith({ 'content-type': [FORM, FORM] })).toEqual({ code: 'InvalidParameter.ContentType' });
  });

  it('ignores the content type of an empty body', () => {
    const req = v1Request();
    req.headers['content-type'] = 'application/json';
    accepted(req);
  });

  it(`accepts ${MAX_PARAMETERS} parameters and refuses one more, query and body counted together`, () => {
    const common = V1_COMMON.split('&').length;
    const fill = (n: number) => Array.from({ length: n }, (_, i) => `P${i}=x`).join('&');
    const atLimit = v1Raw(V1_COMMON + '&' + fill(MAX_PARAMETERS - common));
    expect(parsed(atLimit).params.size).toBe(MAX_PARAMETERS - common);
    expect(refusal(v1Raw(V1_COMMON + '&' + fill(MAX_PARAMETERS - common + 1)))).toEqual({
      code: 'InvalidParameter.TooMany',
      params: ['200'],
    });
    const split = v1Raw(V1_COMMON + '&' + fill(100), {
      method: 'POST',
      headers: { host: HOST, 'content-type': FORM },
      body: Buffer.from(Array.from({ length: MAX_PARAMETERS - common - 99 }, (_, i) => `Q${i}=y`).join('&')),
    });
    expect(refusal(split)).toEqual({ code: 'InvalidParameter.TooMany', params: ['200'] });
  });

  it('limits name and value lengths (counted after decoding)', () => {
    const name = 'N'.repeat(MAX_PARAMETER_NAME_LENGTH);
    const value = 'v'.repeat(MAX_PARAMETER_VALUE_LENGTH);
    expect(parsed(v1Raw(`${V1_COMMON}&${name}=${value}`)).params.get(name)).toBe(value);
    expect(
      parsed(v1Raw(`${V1_COMMON}&X=${'%41'.repeat(MAX_PARAMETER_VALUE_LENGTH)}`)).params.get('X'),
    ).toHaveLength(MAX_PARAMETER_VALUE_LENGTH);
    expect(refusal(v1Raw(`${V1_COMMON}&${name}N=x`))).toEqual({
      code: 'InvalidParameter.TooLong',
      params: [name + '...', '128'],
    });
    expect(refusal(v1Raw(`${V1_COMMON}&X=${value}v`))).toEqual({
      code: 'InvalidParameter.TooLong',
      params: ['X', '16384'],
    });
  });
});

describe('parseSignedRequest: V3 (ACS3-HMAC-SHA256)', () => {
  it('accepts a signed request and exposes the signing fields', () => {
    const req = accepted(v3Request({ query: { UserName: 'u1' } }));
    expect(req).toMatchObject({
      style: 'v3',
      accessKeyId: KEY_ID,
      action: 'ListUsers',
      version: '2015-05-01',
      nonce: 'nonce-3',
      timestamp: NOW,
      timestampMs: NOW_MS,
    });
    expect([...req.params]).toEqual([['UserName', 'u1']]);
  });

  it('merges query and form-body parameters (the body is signed through its hash)', () => {
    const req = accepted(v3Request({ query: { A1: 'q' }, body: 'B1=b&B2=%E4%B8%AD' }));
    expect(Object.fromEntries(req.params)).toEqual({ A1: 'q', B1: 'b', B2: '中' });
  });

  it('accepts Action/Version parameters that agree with the headers, and drops them from params', () => {
    const req = accepted(v3Request({ query: { Action: 'ListUsers', Version: '2015-05-01', X: '1' } }));
    expect([...req.params]).toEqual([['X', '1']]);
  });

  it('refuses Action/Version parameters that contradict the headers', () => {
    expect(refusal(v3Request({ query: { Action: 'DeleteUser' } }))).toEqual({
      code: 'InvalidParameter',
      params: ['Action'],
    });
    expect(refusal(v3Request({ body: 'Version=2019-08-15' }))).toEqual({
      code: 'InvalidParameter',
      params: ['Version'],
    });
  });

  it('tolerates spaces after the commas of the Authorization header', () => {
    const req = v3Request();
    req.headers.authorization = String(req.headers.authorization).replaceAll(',', ', ');
    accepted(req);
  });

  it.each(['ACS3-HMAC-SM3', 'ACS3-RSA-SHA256', 'ACS3-HMAC-SHA1', 'ACS3-'])(
    'refuses the %s algorithm with IncompleteSignature',
    (algorithm) => {
      const req = v3Request();
      req.headers.authorization = String(req.headers.authorization).replace('ACS3-HMAC-SHA256', algorithm);
      expect(refusal(req)).toEqual({
        code: 'IncompleteSignature',
        params: ['Unsupported signature algorithm.'],
      });
    },
  );

  it.each([
    ['no fields', 'ACS3-HMAC-SHA256'],
    ['no Signature', `ACS3-HMAC-SHA256 Credential=${KEY_ID},SignedHeaders=host`],
    ['an empty Credential', 'ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=00'],
    ['an unknown field', 'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=00,Region=x'],
    ['a repeated field', 'ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=host,Signature=00'],
    ['a field without =', 'ACS3-HMAC-SHA256 Credential=a,SignedHeaders,Signature=00'],
    ['unsorted SignedHeaders', 'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=x-acs-date;host,Signature=00'],
    ['repeated SignedHeaders', 'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;host,Signature=00'],
    ['upper-case SignedHeaders', 'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=Host,Signature=00'],
    [
      'an empty SignedHeaders entry',
      'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;;x-acs-date,Signature=00',
    ],
    [
      'authorization in SignedHeaders',
      'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=authorization;host,Signature=00',
    ],
  ])('refuses an Authorization with %s (IncompleteSignature)', (_what, authorization) => {
    const req = v3Request();
    req.headers.authorization = authorization;
    expect(refusal(req).code).toBe('IncompleteSignature');
  });

  it.each(['x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256'])(
    'refuses a request without %s (MissingParameter), also when it is empty',
    (name) => {
      const req = v3Request();
      req.headers[name] = undefined;
      expect(refusal(req)).toEqual({ code: 'MissingParameter', params: [name] });
      req.headers[name] = ' ';
      expect(refusal(req)).toEqual({ code: 'MissingParameter', params: [name] });
    },
  );

  // Security: each of these, left unsigned, could be changed in flight (replay with a new date or nonce,
  // another operation, another body, another endpoint).
  it.each([
    'host',
    'x-acs-action',
    'x-acs-content-sha256',
    'x-acs-date',
    'x-acs-signature-nonce',
    'x-acs-version',
  ])('refuses a signature that does not cover %s, even when it verifies', (name) => {
    const headers = v3BaseHeaders();
    const signedHeaders = Object.keys(headers)
      .filter((h) => h !== name)
      .sort();
    const authorization = referenceV3Authorization({
      method: 'POST',
      query: [],
      headers,
      signedHeaders,
      body: '',
      secret: SECRET,
    });
    const req = {
      method: 'POST',
      rawQuery: '',
      headers: { ...headers, authorization },
      body: Buffer.alloc(0),
    };
    expect(refusal(req)).toEqual({
      code: 'IncompleteSignature',
      params: [`SignedHeaders must include ${name}.`],
    });
  });

  // Security: the content type decides how the body is read, so a request with a body must sign it.
  it('refuses a body whose content-type is not signed', () => {
    const body = 'X=1';
    const headers = { ...v3BaseHeaders(body), 'content-type': FORM };
    const signedHeaders = Object.keys(headers)
      .filter((h) => h !== 'content-type')
      .sort();
    const authorization = referenceV3Authorization({
      method: 'POST',
      query: [],
      headers,
      signedHeaders,
      body,
      secret: SECRET,
    });
    const req = {
      method: 'POST',
      rawQuery: '',
      headers: { ...headers, authorization },
      body: Buffer.from(body),
    };
    expect(refusal(req)).toEqual({
      code: 'IncompleteSignature',
      params: ['SignedHeaders must include content-type when there is a body.'],
    });
  });

  it('refuses a V3 body that is not a form', () => {
    const body = '{"X":1}';
    const headers = { ...v3BaseHeaders(body), 'content-type': 'application/json' };
    const signedHeaders = Object.keys(headers).sort();
    const authorization = referenceV3Authorization({
      method: 'POST',
      query: [],
      headers,
      signedHeaders,
      body,
      secret: SECRET,
    });
    expect(
      refusal({
        method: 'POST',
        rawQuery: '',
        headers: { ...headers, authorization },
        body: Buffer.from(body),
      }),
    ).toEqual({
      code: 'InvalidParameter.ContentType',
    });
  });

  // parseV3 keeps the last few SignedHeaders lists it checked; a list met again, or evicted and met
  // again, must get the same answer as a fresh one.
  it('answers a SignedHeaders list met before as it answered it the first time', () => {
    const mustSign = [
      'host',
      'x-acs-action',
      'x-acs-content-sha256',
      'x-acs-date',
      'x-acs-signature-nonce',
      'x-acs-version',
    ];
    const headers = { ...v3BaseHeaders(), accept: 'application/json', 'x-acs-extra': 'e' };
    const names = Object.keys(headers).sort();
    // Subsets of few names, so that lists repeat, with and without eviction in between.
    const list = fc.tuple(fc.subarray(names, { minLength: 1 }), fc.boolean());
    fc.assert(
      fc.property(list, ([subset, reversed]) => {
        const signedHeaders = reversed && subset.length > 1 ? [...subset].reverse() : subset;
        const authorization = referenceV3Authorization({
          method: 'POST',
          query: [],
          headers,
          signedHeaders,
          body: '',
          secret: SECRET,
        });
        const req = {
          method: 'POST',
          rawQuery: '',
          headers: { ...headers, authorization },
          body: Buffer.alloc(0),
        };
        const unsigned = mustSign.find((name) => !subset.includes(name));
        if (signedHeaders !== subset) {
          expect(refusal(req).params).toEqual([
            'SignedHeaders must be lower-case, sorted and without repeats.',
          ]);
        } else if (unsigned !== undefined) {
          expect(refusal(req).params).toEqual([`SignedHeaders must include ${unsigned}.`]);
        } else {
          expect(accepted(req).style).toBe('v3');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a listed header that is absent, including names found only on Object.prototype', () => {
    for (const extra of ['x-acs-extra', 'constructor', '__proto__', 'tostring']) {
      const headers = v3BaseHeaders();
      const signedHeaders = [...Object.keys(headers), extra].sort();
      const authorization = referenceV3Authorization({
        method: 'POST',
        query: [],
        headers,
        signedHeaders,
        body: '',
        secret: SECRET,
      });
      expect(
        refusal({
          method: 'POST',
          rawQuery: '',
          headers: { ...headers, authorization },
          body: Buffer.alloc(0),
        }),
      ).toEqual({
        code: 'IncompleteSignature',
        params: [`Signed header ${extra} is missing.`],
      });
    }
  });

  // Security: the body is signed only through this hash.
  it('refuses an x-acs-content-sha256 that is not the lower-case hex SHA-256 of the body', () => {
    const req = v3Request({ body: 'X=1' });
    const tampered = { ...req, body: Buffer.from('X=2') };
    expect(refusal(tampered)).toEqual({
      code: 'IncompleteSignature',
      params: ['x-acs-content-sha256 does not match the body.'],
    });
    const upper = v3Request();
    upper.headers['x-acs-content-sha256'] = String(upper.headers['x-acs-content-sha256']).toUpperCase();
    expect(refusal(upper).params).toEqual(['x-acs-content-sha256 does not match the body.']);
  });

  it('canonicalises exactly the listed headers: one added on the way (a proxy) does not matter', () => {
    const req = v3Request({ query: { UserName: 'u1' } });
    req.headers['x-acs-added-by-proxy'] = 'yes';
    req.headers['x-forwarded-for'] = '10.0.0.1';
    req.headers['content-type'] = 'text/plain';
    accepted(req);
  });

  it('signs a repeated header as its trimmed values, sorted, joined with "," (SDK rule)', () => {
    const headers = { ...v3BaseHeaders(), 'x-acs-test': ['https ', ' http'] };
    const signedHeaders = Object.keys(headers).sort();
    const authorization = referenceV3Authorization({
      method: 'POST',
      query: [
        ['test', 'ok'],
        ['empty', ''],
      ],
      headers,
      signedHeaders,
      body: '',
      secret: SECRET,
    });
    const req = parsed({
      method: 'POST',
      rawQuery: 'test=ok&empty',
      headers: { ...headers, authorization },
      body: Buffer.alloc(0),
    });
    expect(req.canonical.style === 'v3' && req.canonical.canonicalHeaders).toContain(
      'x-acs-test:http,https\n',
    );
    expect(verifySignature(req, key)).toEqual({ ok: true });
  });

  it('refuses a signing header given twice', () => {
    const req = v3Request();
    req.headers['x-acs-date'] = [NOW, NOW];
    expect(refusal(req)).toEqual({ code: 'InvalidParameter.Duplicate', params: ['x-acs-date'] });
    const twice = v3Request();
    twice.headers.authorization = [String(twice.headers.authorization), String(twice.headers.authorization)];
    expect(refusal(twice)).toEqual({ code: 'InvalidParameter.Duplicate', params: ['authorization'] });
  });

  it('accepts single-element header arrays (Node headersDistinct)', () => {
    const req = v3Request({ body: 'X=1' });
    const distinct = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, v === undefined ? v : [String(v)]]),
    );
    accepted({ ...req, headers: distinct });
  });

  it('refuses a malformed x-acs-date with InvalidTimeStamp.Format', () => {
    for (const date of [
      '2026-11-27 23:02:42',
      'Fri, 27 Nov 2026 23:02:42 GMT',
      '2026-11-27T23:02:42+00:00',
    ]) {
      expect(refusal(v3Request({ date }))).toEqual({ code: 'InvalidTimeStamp.Format' });
    }
  });

  it('applies the same decoding rules and limits as V1', () => {
    const req = v3Request({ query: { X: '1' } });
    expect(refusal({ ...req, rawQuery: 'X=%E4' })).toEqual({ code: 'InvalidParameter.Encoding' });
    expect(refusal({ ...req, rawQuery: 'X=1&X=2' })).toEqual({
      code: 'InvalidParameter.Duplicate',
      params: ['X'],
    });
  });
});

describe('parseSignedRequest: robustness', () => {
  const headerValue = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
    fc.constant(undefined),
  );
  const authorization = fc.oneof(
    fc.string({ maxLength: 40 }).map((s) => 'ACS3-HMAC-SHA256 ' + s),
    fc.constantFrom(
      'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;x-acs-date,Signature=0',
      'ACS3-x',
      'Basic x',
    ),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );
  const rawQuery = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc
      .array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { maxLength: 12 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
    fc.constant(V1_COMMON),
  );

  it('never throws, and every refusal is a catalog code', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 8 }),
        rawQuery,
        fc.dictionary(
          fc.constantFrom(
            'host',
            'content-type',
            'x-acs-date',
            'x-acs-action',
            'x-acs-content-sha256',
            'x-acs-foo',
            '__proto__',
          ),
          headerValue,
        ),
        fc.option(authorization, { nil: undefined }),
        fc.uint8Array({ maxLength: 40 }),
        (method, query, headers, auth, body) => {
          const req: HttpRequestParts = {
            method,
            rawQuery: query,
            headers: { ...headers, authorization: auth },
            body: Buffer.from(body),
          };
          const result = parseSignedRequest(req);
          if (!result.ok) expect(isErrorCode(result.code)).toBe(true);
          else expect(verifySignature(result.value, key).ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
