// A stand-in for Ramkey's /forward-auth on a real listener, per the contract, for the client's tests;
// and the signer the tests' "customers" sign with.
//
// It checks a V3 signature as Ramkey would, from what the client passes on (X-Original-Method,
// X-Original-URI, X-Forwarded-Host and the signed headers), so a client that loses or bends any of
// them is refused; it checks a forwarded body against x-acs-content-sha256; and it records every
// request it receives, for the tests to look at.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const KEY_ID = 'LTAI5tClientTestKey00001';
export const SECRET = 'ClientTestSecret0123456789abcdef';
export const ACCOUNT_ID = '1234567890123456';

/** What the stand-in received, as it received it. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Behaviour =
  /** Check the signature (and a forwarded body) and answer per the contract. */
  | 'verify'
  /** Accept the connection and never answer. */
  | 'hang'
  /** Answer 200 with an HTML page, as a misrouted proxy might. */
  | 'html';

export interface FakeRamkey {
  /** The endpoint to give createForwardAuthClient. */
  readonly endpoint: string;
  readonly received: Received[];
  /** The bodies it answered with, byte for byte, in order. */
  readonly sent: Buffer[];
  behaviour: Behaviour;
  /** Actions the signer's policy refuses (403 NoPermission with an AccessDeniedDetail). */
  readonly denied: Set<string>;
  close(): Promise<void>;
}

export async function startFakeRamkey(): Promise<FakeRamkey> {
  const received: Received[] = [];
  const sent: Buffer[] = [];
  const denied = new Set<string>();
  const fake = { behaviour: 'verify' as Behaviour };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const got: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(got);
      if (fake.behaviour === 'hang') return;
      if (fake.behaviour === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
        return;
      }
      const answer = judge(got, denied);
      sent.push(Buffer.from(answer.body));
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    sent,
    get behaviour() {
      return fake.behaviour;
    },
    set behaviour(value: Behaviour) {
      fake.behaviour = value;
    },
    denied,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Ramkey's part, as far as the tests need it. */
function judge(got: Received, denied: Set<string>): Answer {
  const requestId = randomUUID().toUpperCase();
  const error = (status: number, Code: string, Message: string, extra: object = {}): Answer => ({
    status,
    headers: { 'content-type': 'application/json;charset=utf-8' },
    body: JSON.stringify({ RequestId: requestId, HostId: 'ramkey.test', Code, Message, ...extra }),
  });
  if (got.url !== '/forward-auth') return error(404, 'InvalidAction.NotFound', 'Not the forward-auth path.');

  const header = (name: string) => {
    const value = got.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const method = header('x-original-method');
  const uri = header('x-original-uri');
  const host = header('x-forwarded-host');
  if (method === undefined || uri === undefined || host === undefined) {
    return error(
      400,
      'MissingParameter',
      'X-Original-Method, X-Original-URI and X-Forwarded-Host are required.',
    );
  }
  const match = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(
    header('authorization') ?? '',
  );
  if (!match)
    return error(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
  const [, keyId = '', signedHeaders = '', signature = ''] = match;
  if (keyId !== KEY_ID) {
    return error(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  }
  const declared = header('x-acs-content-sha256') ?? '';
  // A body was sent along: it must be the one the signature covers (an empty one counts as none).
  const bodyVerified = got.body.length > 0;
  if (bodyVerified && createHash('sha256').update(got.body).digest('hex') !== declared) {
    return error(
      400,
      'IncompleteSignature',
      'The request signature does not conform to Aliyun standards. x-acs-content-sha256 does not match the body.',
    );
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) {
    // fetch sends Ramkey's own Host: the signed one comes as X-Forwarded-Host.
    const value = name === 'host' ? host : header(name);
    if (value === undefined) return error(400, 'IncompleteSignature', `Signed header ${name} is missing.`);
    headers[name] = value;
  }
  const [path, query] = splitUri(uri);
  const expected = v3Signature({ method, path, query: decodeQuery(query), headers, hashedPayload: declared });
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    return error(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
  }

  const action = header('x-acs-action') ?? '';
  const service = host.split('.')[0] ?? '';
  if (denied.has(action)) {
    return error(403, 'NoPermission', 'You are not authorized to do this action.', {
      Recommend: 'https://ramkey.test/troubleshoot?RequestId=' + requestId,
      AccessDeniedDetail: {
        PolicyType: 'AccountLevelIdentityBasedPolicy',
        AuthPrincipalType: 'SubUser',
        AuthPrincipalDisplayName: 'billing-app',
        NoPermissionType: 'ImplicitDeny',
        AuthAction: `${service}:${action}`,
      },
    });
  }
  const identity = {
    RequestId: requestId,
    AccountId: ACCOUNT_ID,
    PrincipalType: 'RAMUser',
    PrincipalName: 'billing-app',
    UserId: '200000000000001',
    AccessKeyId: keyId,
    Service: service,
    Action: action,
    ContentSha256: declared,
    BodyVerified: bodyVerified,
  };
  return {
    status: 200,
    headers: {
      'content-type': 'application/json;charset=utf-8',
      'x-ramkey-request-id': identity.RequestId,
      'x-ramkey-account-id': identity.AccountId,
      'x-ramkey-principal-type': identity.PrincipalType,
      'x-ramkey-principal-name': identity.PrincipalName,
      'x-ramkey-user-id': identity.UserId,
      'x-ramkey-access-key-id': identity.AccessKeyId,
      'x-ramkey-service': identity.Service,
      'x-ramkey-action': identity.Action,
      'x-ramkey-content-sha256': identity.ContentSha256,
      'x-ramkey-body-verified': String(identity.BodyVerified),
    },
    body: JSON.stringify(identity),
  };
}

/** The SDKs' percent-encoding (RFC 3986 unreserved characters stay). */
function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

function splitUri(uri: string): [string, string] {
  const at = uri.indexOf('?');
  return at < 0 ? [uri, ''] : [uri.slice(0, at), uri.slice(at + 1)];
}

function decodeQuery(query: string): [string, string][] {
  if (query === '') return [];
  return query.split('&').map((pair) => {
    const at = pair.indexOf('=');
    const [name, value] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    return [decodeURIComponent(name), decodeURIComponent(value)];
  });
}

/** ACS3-HMAC-SHA256 over the canonical request, its CanonicalURI the (encoded) path as sent. */
function v3Signature(input: {
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  hashedPayload: string;
}): string {
  const query = input.query
    .map(([name, value]) => `${encode(name)}=${encode(value)}`)
    .sort()
    .join('&');
  const names = Object.keys(input.headers).sort();
  const canonicalHeaders = names.map((name) => `${name}:${(input.headers[name] ?? '').trim()}\n`).join('');
  const canonical = [
    input.method,
    input.path,
    query,
    canonicalHeaders,
    names.join(';'),
    input.hashedPayload,
  ].join('\n');
  const stringToSign = 'ACS3-HMAC-SHA256\n' + createHash('sha256').update(canonical).digest('hex');
  return createHmac('sha256', SECRET).update(stringToSign).digest('hex');
}

/**
 * A request as the official SDK signs it with V3: host, content-type (with a body) and the x-acs-*
 * headers signed, the body's SHA-256 in x-acs-content-sha256. `path` may carry percent-encoding;
 * `query` is encoded here. Returns the request target and the headers to send.
 */
export function signV3(input: {
  method: string;
  host: string;
  path?: string;
  query?: Record<string, string>;
  action: string;
  body?: string | Buffer;
  contentType?: string;
  nonce?: string;
}): { url: string; headers: Record<string, string> } {
  const body = input.body ?? '';
  const path = input.path ?? '/';
  const query = Object.entries(input.query ?? {});
  const headers: Record<string, string> = {
    host: input.host,
    'x-acs-action': input.action,
    'x-acs-version': '2024-01-01',
    'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': input.nonce ?? randomUUID(),
    'x-acs-content-sha256': createHash('sha256').update(body).digest('hex'),
  };
  if (input.contentType !== undefined) headers['content-type'] = input.contentType;
  const signature = v3Signature({
    method: input.method,
    path,
    query,
    headers,
    hashedPayload: headers['x-acs-content-sha256'] ?? '',
  });
  const signedHeaders = Object.keys(headers).sort().join(';');
  headers.authorization = `ACS3-HMAC-SHA256 Credential=${KEY_ID},SignedHeaders=${signedHeaders},Signature=${signature}`;
  const search = query.map(([name, value]) => `${encode(name)}=${encode(value)}`).join('&');
  return { url: search === '' ? path : `${path}?${search}`, headers };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body's bytes, exactly. */
  body: Buffer;
}

/**
 * Sends a request with node:http, which sends the target and the Host header exactly as given (fetch
 * would normalise the one and replace the other).
 */
export function send(
  port: number,
  input: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: string | Buffer;
    /** Send the body chunked, without a Content-Length. */
    chunked?: boolean;
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = input.body === undefined ? undefined : Buffer.from(input.body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: input.method,
        path: input.url,
        headers: {
          ...input.headers,
          ...(body &&
            (input.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(body.length) })),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body && input.chunked) {
      // Two chunks, so that no length is known before the end.
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      req.end(body.subarray(half));
    } else {
      req.end(body);
    }
  });
}
