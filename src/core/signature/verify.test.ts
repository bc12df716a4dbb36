// verifySignature: signed requests verify, and no change to what was signed survives verification.
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadAcceptedVectors, type SignatureVector } from '../../../test/vectors/load-vectors.js';
import {
  FORM,
  HOST,
  KEY_ID,
  NOW,
  SECRET,
  v1Request,
  v3Request,
} from '../../../test/vectors/request-builders.js';
import { canonicalQueryString, v1StringToSign } from './canonical-request.js';
import {
  checkTimestamp,
  MAX_CLOCK_SKEW_MS,
  parseSignedRequest,
  percentEncode,
  prepareSigningKey,
  signRpcV1,
  signV3,
  verifySignature,
  type HttpRequestParts,
  type SignedRequest,
} from './index.js';

const key = prepareSigningKey(SECRET);

function parse(req: HttpRequestParts): SignedRequest {
  const result = parseSignedRequest(req);
  if (!result.ok) throw new Error(`parse refused: ${result.code} ${JSON.stringify(result.params)}`);
  return result.value;
}

// ---------------------------------------------------------------------------------------------
// verify(sign(r)) is ok

const RESERVED = new Set([
  'Action',
  'Version',
  'AccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
]);

/** Text with the characters encoders get wrong made frequent: space, * ~ + & = % / and non-ASCII. */
const text = (minLength: number, maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(' ', '*', '~', '+', '&', '=', '%', '/', "'", '(', '!', '中', '😀', 'é'),
      },
      { weight: 5, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    ),
    minLength,
    maxLength,
  });
const paramName = text(1, 16).filter((n) => !RESERVED.has(n));
const paramSet = fc.uniqueArray(fc.tuple(paramName, text(0, 24)), { selector: (p) => p[0], maxLength: 12 });

/** A form body as a browser or curl would send it (encodeURIComponent, not Alibaba's encoder). */
function formBody(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

describe('verify(sign(r)) is ok', () => {
  it('V1 GET, parameters in the query', () => {
    fc.assert(
      fc.property(paramSet, (pairs) => {
        const req = parse(
          v1Request({ method: 'GET', params: { Action: 'A', Version: 'v', ...Object.fromEntries(pairs) } }),
        );
        expect(verifySignature(req, key)).toEqual({ ok: true });
        expect(Object.fromEntries(req.params)).toEqual(Object.fromEntries(pairs));
      }),
      { numRuns: 300 },
    );
  });

  it('V1 POST, parameters in a form body', () => {
    fc.assert(
      fc.property(paramSet, (pairs) => {
        const req = parse(
          v1Request({
            method: 'POST',
            inBody: true,
            params: { Action: 'A', Version: 'v', ...Object.fromEntries(pairs) },
          }),
        );
        expect(verifySignature(req, key)).toEqual({ ok: true });
        expect(Object.fromEntries(req.params)).toEqual(Object.fromEntries(pairs));
      }),
      { numRuns: 300 },
    );
  });

  it('V3, parameters in the query and in a form body', () => {
    fc.assert(
      fc.property(
        paramSet,
        fc.nat(),
        fc.constantFrom<'GET' | 'POST'>('GET', 'POST'),
        (pairs, cut, method) => {
          const at = pairs.length === 0 ? 0 : cut % (pairs.length + 1);
          const inQuery = pairs.slice(0, at);
          const inBody = pairs.slice(at);
          const req = parse(
            v3Request({
              method,
              query: Object.fromEntries(inQuery),
              body: inBody.length > 0 ? formBody(inBody) : undefined,
            }),
          );
          expect(verifySignature(req, key)).toEqual({ ok: true });
          expect(Object.fromEntries(req.params)).toEqual(Object.fromEntries(pairs));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('V3 with a raw query string written by another encoder (the canonical form is rebuilt)', () => {
    fc.assert(
      fc.property(paramSet, (pairs) => {
        const req = v3Request({ query: Object.fromEntries(pairs) });
        const rawQuery = pairs
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replaceAll('%20', '+')}`)
          .join('&');
        expect(verifySignature(parse({ ...req, rawQuery }), key)).toEqual({ ok: true });
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// V1: the canonicalized string cut from the request as sent, against the one rebuilt

/** Ways a client may spell a component; only the first is Alibaba's canonical form. */
const SPELLINGS: Record<string, (s: string) => string> = {
  canonical: percentEncode,
  lowerHex: (s) => percentEncode(s).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
  plus: (s) => percentEncode(s).replaceAll('%20', '+'),
  escapedUnreserved: (s) => {
    const at = s.search(/[A-Za-z0-9~]/);
    if (at < 0) return percentEncode(s);
    const escape = '%' + s.charCodeAt(at).toString(16).toUpperCase();
    return percentEncode(s.slice(0, at)) + escape + percentEncode(s.slice(at + 1));
  },
  encodeURIComponent, // leaves ! ' ( ) * raw
};
const spelling = fc.constantFrom(...Object.keys(SPELLINGS));

/**
 * A V1 request laid out every way a client might: every parameter spelled one way or another, the
 * names sorted (decoded or encoded) or not, Signature anywhere, the pieces in the query, the body or
 * both, and now and then an empty piece. Signed over the decoded parameters with the general
 * builder, v1StringToSign.
 */
const v1Layout = fc.record({
  method: fc.constantFrom('GET', 'POST'),
  pairs: paramSet,
  nonce: text(1, 12),
  allCanonical: fc.boolean(),
  spellings: fc.array(spelling, { minLength: 40, maxLength: 40 }),
  order: fc.constantFrom('decoded', 'decoded', 'encoded', 'shuffled'),
  shuffleKeys: fc.array(fc.double({ noNaN: true }), { minLength: 40, maxLength: 40 }),
  signatureAt: fc.option(fc.nat(), { freq: 1 }),
  source: fc.constantFrom('query', 'body', 'query', 'both'),
  cut: fc.nat(),
  emptyPiece: fc.constantFrom(false, false, false, true),
});

type V1Layout = typeof v1Layout extends fc.Arbitrary<infer T> ? T : never;

interface LaidOut {
  readonly req: HttpRequestParts;
  /** The parameters signed, decoded. */
  readonly signed: [string, string][];
  /** Whether the parser may take the canonicalized string as sent (worked out independently). */
  readonly asSent: boolean;
}

function layOut(l: V1Layout): LaidOut {
  const signed: [string, string][] = [
    ['Action', 'A'],
    ['Version', '2015-05-01'],
    ['AccessKeyId', KEY_ID],
    ['SignatureMethod', 'HMAC-SHA1'],
    ['SignatureVersion', '1.0'],
    ['SignatureNonce', l.nonce],
    ['Timestamp', NOW],
    ...l.pairs,
  ];
  const signature = key.v1.digest(v1StringToSign(l.method, signed), 'base64');
  const spell = (s: string, i: number) =>
    (l.allCanonical ? percentEncode : (SPELLINGS[l.spellings[i] ?? 'canonical'] ?? percentEncode))(s);
  let pieces = signed.map(([name, value], i) => ({
    name,
    text: spell(name, 2 * i) + '=' + spell(value, 2 * i + 1),
    canonical: spell(name, 2 * i) === percentEncode(name) && spell(value, 2 * i + 1) === percentEncode(value),
    key: l.shuffleKeys[i] ?? 0,
  }));
  if (l.order === 'decoded') pieces.sort((a, b) => (a.name < b.name ? -1 : 1));
  if (l.order === 'encoded') pieces.sort((a, b) => (a.text < b.text ? -1 : 1));
  if (l.order === 'shuffled') pieces.sort((a, b) => a.key - b.key);
  const sortedByName = pieces.every((p, i) => i === 0 || (pieces[i - 1]?.name ?? '') < p.name);
  const at = l.signatureAt === null ? pieces.length : l.signatureAt % (pieces.length + 1);
  const signaturePiece = {
    name: 'Signature',
    text: 'Signature=' + percentEncode(signature),
    canonical: true,
    key: 0,
  };
  pieces = [...pieces.slice(0, at), signaturePiece, ...pieces.slice(at)];
  const texts = pieces.map((p) => p.text);
  if (l.emptyPiece) texts.splice(l.cut % (texts.length + 1), 0, '');
  const cut = l.source === 'query' ? texts.length : l.source === 'body' ? 0 : l.cut % (texts.length + 1);
  const rawQuery = texts.slice(0, cut).join('&');
  const body = texts.slice(cut).join('&');
  const req: HttpRequestParts = {
    method: l.method,
    rawQuery,
    headers: body === '' ? { host: HOST } : { host: HOST, 'content-type': FORM },
    body: Buffer.from(body, 'latin1'),
  };
  // The one source that carries the pieces (an empty piece alone in the other is no piece).
  const source = rawQuery === '' ? body : body === '' ? rawQuery : undefined;
  const asSent =
    source !== undefined &&
    !source.split('&').includes('') &&
    pieces.every((p) => p.canonical) &&
    at === pieces.length - 1 &&
    sortedByName;
  return { req, signed, asSent };
}

describe('V1: the canonicalized string as sent', () => {
  it('is taken exactly when the request carries it, and signs the same bytes as the one rebuilt', () => {
    let taken = 0;
    fc.assert(
      fc.property(v1Layout, (layout) => {
        const { req, signed, asSent } = layOut(layout);
        const parsed = parse(req);
        expect(verifySignature(parsed, key)).toEqual({ ok: true });
        if (parsed.canonical.style !== 'v1') throw new Error('expected a V1 request');
        const { canonicalizedQuery } = parsed.canonical;
        expect(canonicalizedQuery !== undefined).toBe(asSent);
        if (canonicalizedQuery !== undefined) {
          taken++;
          expect(canonicalizedQuery).toBe(canonicalQueryString(signed));
        }
        // With a wrong signature, the strings to sign of the mismatch: as sent, rebuilt, and the spec's.
        const wrong = 'A'.repeat(27) + '=';
        const asReceived = { ...parsed, canonical: { ...parsed.canonical, signature: wrong } };
        const rebuilt = {
          ...asReceived,
          canonical: { ...asReceived.canonical, canonicalizedQuery: undefined },
        };
        const expected = {
          ok: false,
          code: 'SignatureDoesNotMatch',
          stringToSign: v1StringToSign(req.method, signed),
        };
        expect(verifySignature(asReceived, key)).toEqual(expected);
        expect(verifySignature(rebuilt, key)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
    // Not vacuous: some 15% of the layouts carry the canonicalized string (about 150 of 1,000).
    expect(taken).toBeGreaterThan(50);
  });
});

// ---------------------------------------------------------------------------------------------
// Changing any signed byte makes verification fail

/** One signed thing to change: the method, a parameter's name or value, a signed header, a body byte. */
type Target =
  | { kind: 'method' }
  | { kind: 'name' | 'value'; source: 'query' | 'body'; index: number }
  | { kind: 'header'; name: string }
  | { kind: 'bodyByte' };

function decodePairs(encoded: string): [string, string][] {
  return [...new URLSearchParams(encoded)];
}

function signedHeaderNames(v: SignatureVector): string[] {
  const auth = v.request.headers.authorization ?? '';
  const list = /SignedHeaders=([^,]*)/.exec(auth)?.[1] ?? '';
  return list.split(';');
}

function targetsOf(v: SignatureVector): Target[] {
  const targets: Target[] = [{ kind: 'method' }];
  const bodyIsForm = v.style === 'v1';
  const sources: ['query' | 'body', string][] = [['query', v.request.rawQuery]];
  if (bodyIsForm) sources.push(['body', v.request.body]);
  for (const [source, encoded] of sources) {
    decodePairs(encoded).forEach((_, index) => {
      targets.push({ kind: 'name', source, index }, { kind: 'value', source, index });
    });
  }
  if (v.style === 'v3') {
    for (const name of signedHeaderNames(v)) targets.push({ kind: 'header', name });
    if (v.request.body.length > 0) targets.push({ kind: 'bodyByte' });
  }
  return targets;
}

/** Replaces the code point at `position` (modulo the length) with `replacement`, or inserts it into ''. */
function mutateText(s: string, position: number, replacement: string): string {
  const points = Array.from(s);
  if (points.length === 0) return replacement;
  const at = position % points.length;
  points[at] = points[at] === replacement ? (replacement === 'x' ? 'y' : 'x') : replacement;
  return points.join('');
}

function rebuild(pairs: [string, string][]): string {
  return pairs.map(([k, val]) => `${encodeURIComponent(k)}=${encodeURIComponent(val)}`).join('&');
}

/** The vector's request with one signed thing changed; query and form body are re-encoded from the decoded pairs. */
function mutated(
  v: SignatureVector,
  target: Target,
  position: number,
  replacement: string,
): HttpRequestParts {
  const method =
    target.kind === 'method' ? mutateText(v.request.method, position, replacement) : v.request.method;
  const headers: Record<string, string> = { ...v.request.headers };
  let rawQuery = v.request.rawQuery;
  let body = Buffer.from(v.request.body);
  if (target.kind === 'name' || target.kind === 'value') {
    const encoded = target.source === 'query' ? rawQuery : v.request.body;
    const pairs = decodePairs(encoded);
    const pair = pairs[target.index];
    if (pair)
      pair[target.kind === 'name' ? 0 : 1] = mutateText(
        pair[target.kind === 'name' ? 0 : 1],
        position,
        replacement,
      );
    if (target.source === 'query') rawQuery = rebuild(pairs);
    else body = Buffer.from(rebuild(pairs));
  } else if (target.kind === 'header') {
    headers[target.name] = mutateText(headers[target.name] ?? '', position, replacement);
  } else if (target.kind === 'bodyByte') {
    const at = position % body.length;
    body[at] = ((body[at] ?? 0) + 1 + (replacement.charCodeAt(0) % 255)) % 256;
  }
  return { method, rawQuery, headers, body };
}

const replacementChar = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
  fc.constantFrom(' ', '\t', '%', '+', '&', '=', '中', 'é', '\u00a0', 'A', 'a', '0'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

const accepted = loadAcceptedVectors();

describe('changing any signed byte makes verification fail', () => {
  it.each(accepted.map((v) => [v.id, v] as const))(
    '%s: the re-encoded, unchanged request still verifies',
    (_id, v) => {
      const rebuilt: HttpRequestParts = {
        method: v.request.method,
        rawQuery: rebuild(decodePairs(v.request.rawQuery)),
        headers: v.request.headers,
        body: Buffer.from(v.style === 'v1' ? rebuild(decodePairs(v.request.body)) : v.request.body),
      };
      expect(verifySignature(parse(rebuilt), prepareSigningKey(v.accessKeySecret))).toEqual({ ok: true });
    },
  );

  // Security: the central property of a signature. Whatever single character of the signed material
  // changes (method, parameter names and values, signed headers, body), the request is refused.
  it.each(accepted.map((v) => [v.id, v] as const))('%s: one changed character is refused', (_id, v) => {
    const targets = targetsOf(v);
    const signingKey = prepareSigningKey(v.accessKeySecret);
    fc.assert(
      fc.property(fc.nat(), fc.nat(), replacementChar, (which, position, replacement) => {
        const target = targets[which % targets.length] ?? { kind: 'method' };
        const result = parseSignedRequest(mutated(v, target, position, replacement));
        if (result.ok) expect(verifySignature(result.value, signingKey).ok).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed and wrong signatures

describe('verifySignature refuses wrong and malformed signatures', () => {
  function v1WithSignature(signature: string): SignedRequest {
    const req = v1Request();
    const rawQuery = req.rawQuery.replace(/Signature=[^&]*$/, 'Signature=' + encodeURIComponent(signature));
    return parse({ ...req, rawQuery });
  }
  function v3WithSignature(signature: string): SignedRequest {
    const req = v3Request();
    const authorization = String(req.headers.authorization).replace(
      /Signature=[0-9a-f]+$/,
      'Signature=' + signature,
    );
    return parse({ ...req, headers: { ...req.headers, authorization } });
  }
  const goodV1 = /Signature=([^&]*)$/.exec(v1Request().rawQuery)?.[1] ?? '';
  const v1Signature = decodeURIComponent(goodV1);
  const v3Signature = /Signature=([0-9a-f]+)$/.exec(String(v3Request().headers.authorization))?.[1] ?? '';

  it('accepts the genuine signatures these cases start from', () => {
    expect(verifySignature(v1WithSignature(v1Signature), key)).toEqual({ ok: true });
    expect(verifySignature(v3WithSignature(v3Signature), key)).toEqual({ ok: true });
  });

  it.each([
    ['too short', v1Signature.slice(0, 27)],
    ['too long', v1Signature + 'A'],
    ['without padding', v1Signature.slice(0, 27) + 'A'],
    ['base64url characters', v1Signature.replace(/.{4}/, '-_-_')],
    ['a non-base64 character', '!' + v1Signature.slice(1)],
    ['twice as long', v1Signature + v1Signature],
    ['non-ASCII', '中' + v1Signature.slice(1)],
    ['followed by a newline', v1Signature.slice(0, 27) + '\n'],
    ['then a newline', v1Signature + '\n'],
  ])('V1: a signature %s is a mismatch', (_what, signature) => {
    const req = v1WithSignature(signature);
    const verdict = verifySignature(req, key);
    expect(verdict).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verdict.ok || verdict.stringToSign.startsWith('GET&%2F&AccessKeyId%3D')).toBe(true);
  });

  it('V1: a non-canonical base64 spelling of the right digest is a mismatch', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = alphabet.indexOf(v1Signature.charAt(26));
    const variant = v1Signature.slice(0, 26) + alphabet.charAt(last | 1) + '=';
    // Node's lenient decoder reads it as the very same 20 bytes...
    expect(Buffer.from(variant, 'base64').equals(Buffer.from(v1Signature, 'base64'))).toBe(true);
    // ...but a signature has one spelling.
    expect(verifySignature(v1WithSignature(variant), key).ok).toBe(false);
  });

  it.each([
    ['too short', v3Signature.slice(0, 63)],
    ['too long', v3Signature + '0'],
    ['upper-case', v3Signature.toUpperCase()],
    ['a non-hex character', 'g' + v3Signature.slice(1)],
    ['odd junk after it', v3Signature + 'zz'],
    ['half of it', v3Signature.slice(0, 32)],
    ['with a newline inside', v3Signature.slice(0, 63) + '\n'],
  ])('V3: a signature %s is a mismatch', (_what, signature) => {
    const verdict = verifySignature(v3WithSignature(signature), key);
    expect(verdict).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verdict.ok || verdict.stringToSign.startsWith('ACS3-HMAC-SHA256\n')).toBe(true);
  });

  // The Authorization parser trims a field, so this one is put in the parsed request directly: `$`
  // must mean the end of the signature, not the end of a line.
  it('V3: a signature then a newline is a mismatch', () => {
    const req = v3WithSignature(v3Signature);
    const canonical = { ...req.canonical, signature: v3Signature + '\n' };
    expect(verifySignature({ ...req, canonical }, key).ok).toBe(false);
  });

  it('refuses a signature made with another secret, and one made for another method (V1 signs the method)', () => {
    expect(verifySignature(parse(v1Request({ secret: SECRET + 'x' })), key).ok).toBe(false);
    expect(verifySignature(parse(v3Request({ secret: SECRET.slice(1) })), key).ok).toBe(false);
    const get = v1Request({ method: 'GET' });
    expect(verifySignature(parse({ ...get, method: 'POST' }), key).ok).toBe(false);
  });

  it('keeps V1 and V3 keys apart (V1 keys HMAC-SHA1 with secret + "&", V3 HMAC-SHA256 with the secret)', () => {
    const signed = signRpcV1({
      method: 'GET',
      params: { Action: 'A', Version: 'v' },
      accessKeyId: KEY_ID,
      secret: 'abc',
      nonce: 'n',
      timestamp: NOW,
    });
    const req = parse({
      method: 'GET',
      rawQuery: signed.query,
      headers: { host: HOST },
      body: Buffer.alloc(0),
    });
    expect(verifySignature(req, prepareSigningKey('abc')).ok).toBe(true);
    expect(verifySignature(req, prepareSigningKey('abc&')).ok).toBe(false);
  });

  // Security: a prepared key is key-equivalent material.
  it('never prints a prepared key', () => {
    const prepared = prepareSigningKey('TopSecretValue');
    expect(JSON.stringify(prepared)).not.toContain('TopSecret');
    expect(inspect(prepared)).not.toContain('TopSecret');
    expect(JSON.stringify(prepared)).toBe('{"v1":"[HmacKey]","v3":"[HmacKey]"}');
  });
});

describe('signers', () => {
  it('signRpcV1 refuses parameters it sets itself', () => {
    for (const name of [
      'AccessKeyId',
      'Signature',
      'SignatureMethod',
      'SignatureVersion',
      'SignatureNonce',
      'Timestamp',
    ]) {
      expect(() =>
        signRpcV1({
          method: 'GET',
          params: { [name]: 'x' },
          accessKeyId: KEY_ID,
          secret: SECRET,
          nonce: 'n',
          timestamp: NOW,
        }),
      ).toThrow(TypeError);
    }
  });

  it('signV3 sends content-type only when given, and signs every header it sets', () => {
    const base = {
      method: 'POST' as const,
      host: HOST,
      action: 'A',
      version: 'v',
      query: {},
      accessKeyId: KEY_ID,
      secret: SECRET,
      nonce: 'n',
      date: NOW,
    };
    const without = signV3({ ...base, body: '' });
    expect(Object.keys(without.headers).sort()).toEqual([
      'authorization',
      'host',
      'x-acs-action',
      'x-acs-content-sha256',
      'x-acs-date',
      'x-acs-signature-nonce',
      'x-acs-version',
    ]);
    expect(without.headers.authorization).toMatch(
      /^ACS3-HMAC-SHA256 Credential=LTAI\w+,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=[0-9a-f]{64}$/,
    );
    const withBody = signV3({ ...base, body: 'X=1', contentType: FORM });
    expect(withBody.headers['content-type']).toBe(FORM);
    expect(withBody.headers.authorization).toContain('SignedHeaders=content-type;host;');
  });
});

describe('the TSDoc examples hold', () => {
  it('parseSignedRequest, verifySignature, checkTimestamp, percentEncode', () => {
    expect(
      parseSignedRequest({ method: 'GET', rawQuery: 'Action=ListUsers', headers: {}, body: Buffer.alloc(0) }),
    ).toEqual({
      ok: false,
      code: 'MissingParameter',
      params: ['Version'],
    });
    const signed = signRpcV1({
      method: 'GET',
      params: { Action: 'ListUsers', Version: '2015-05-01' },
      accessKeyId: 'LTAI5tExample',
      secret: 's3cr3t',
      nonce: 'n-1',
      timestamp: '2026-01-01T00:00:00Z',
    });
    const parsed = parseSignedRequest({
      method: 'GET',
      rawQuery: signed.query,
      headers: {},
      body: Buffer.alloc(0),
    });
    expect(parsed.ok && verifySignature(parsed.value, prepareSigningKey('s3cr3t'))).toEqual({ ok: true });
    expect(checkTimestamp({ timestampMs: 0 }, 900_001, MAX_CLOCK_SKEW_MS)).toEqual({
      ok: false,
      code: 'InvalidTimeStamp.Expired',
    });
    expect(percentEncode('a b*~/')).toBe('a%20b%2A~%2F');
  });
});
