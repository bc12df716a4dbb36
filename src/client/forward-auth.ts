// The forward-auth client: hands the parts of a signed request to Ramkey's `/forward-auth` and turns
// the answer into a verdict. An allow carries who signed; a refusal carries Ramkey's status and body,
// to be passed to the caller unchanged (the official SDKs read it as any Alibaba Cloud error).
//
// It fails closed: no answer, a late one, or one that is not the contract's becomes a 503
// ServiceUnavailable refusal, never an allow. Like all of src/client it depends on Node alone (its
// built-in modules and the global fetch), so that any Node service can take it without Ramkey's server.
import { JSON_CONTENT_TYPE, unavailable } from './errors.js';

/** Who signed an allowed request, as Ramkey answers it (the JSON body's field names). */
export interface RamkeyIdentity {
  /** Ramkey's ID for this check: its audit event carries the same. */
  readonly RequestId: string;
  readonly AccountId: string;
  readonly PrincipalType: 'Account' | 'RAMUser';
  readonly PrincipalName: string;
  readonly UserId: string;
  readonly AccessKeyId: string;
  /** The product and action the request calls (`x-acs-action`, or RPC V1's `Action`). */
  readonly Service: string;
  readonly Action: string;
  /** The body's SHA-256 that the signature covers (lower-case hex); empty when none is signed (V1). */
  readonly ContentSha256: string;
  /** Ramkey hashed the body itself (it was sent along); otherwise the caller must check it. */
  readonly BodyVerified: boolean;
}

/** The parts of the incoming request that Ramkey needs, as the server received them. */
export interface RequestParts {
  readonly method: string;
  /** Path and query exactly as received (the request target): percent-encoding untouched. */
  readonly url: string;
  /** Node's `IncomingHttpHeaders` (lower-case names) or alike. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The client's address as this server sees it, for Ramkey's network policies and `acs:SourceIp`. */
  readonly clientIp?: string | undefined;
  /** The body, to have Ramkey check it against `x-acs-content-sha256` (never sent with GET or HEAD). */
  readonly body?: Buffer | undefined;
}

export type Verdict =
  | { readonly allowed: true; readonly identity: RamkeyIdentity }
  | {
      readonly allowed: false;
      readonly status: number;
      /** The exact body to send back: Ramkey's, or the client's own when Ramkey could not be asked. */
      readonly body: string;
      readonly contentType: string;
      /** Why Ramkey could not be asked (the 503 is the client's own); for logs, not for the caller. */
      readonly cause?: Error;
    };

export interface ForwardAuthClientOptions {
  /** Ramkey's base URL, such as `http://ramkey.internal:8080`; `/forward-auth` is appended to its path. */
  readonly endpoint: string | URL;
  /** How long to wait for the whole answer before refusing with 503; default {@link DEFAULT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** The fetch to use (a test double, or one with its own TLS agent); default the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
}

export interface ForwardAuthClient {
  /** Never rejects: every failure is a refusal. */
  verify(parts: RequestParts): Promise<Verdict>;
}

/** Verification takes Ramkey well under a millisecond; seconds of silence mean it is in trouble. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Not forwarded: the hop-by-hop headers (they describe the caller's connection, not the request,
 * and fetch refuses some of them); content-length and expect (fetch frames what it sends, and
 * refuses expect); host (fetch always sends Ramkey's own: X-Forwarded-Host carries the original);
 * and the headers the contract sets, plus the forwarding headers a client could forge its address
 * with, which Ramkey must only ever learn from X-Real-IP.
 */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'content-length',
  'expect',
  'host',
  'x-original-method',
  'x-original-uri',
  'x-forwarded-host',
  'x-real-ip',
  'x-forwarded-for',
  'forwarded',
]);

export function createForwardAuthClient(options: ForwardAuthClientOptions): ForwardAuthClient {
  // A bad endpoint or timeout is a setup mistake: say so at start-up, not on every request.
  const url = forwardAuthUrl(options.endpoint);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`createForwardAuthClient: timeoutMs must be a positive number, not ${timeoutMs}`);
  }
  const fetchFn = options.fetch ?? globalThis.fetch;

  async function ask(parts: RequestParts, signal: AbortSignal): Promise<Verdict> {
    const method = parts.method.toUpperCase();
    // fetch refuses a body with GET or HEAD; such a body then goes unchecked by Ramkey (BodyVerified
    // false), and the caller checks it.
    const sendsBody = parts.body !== undefined && method !== 'GET' && method !== 'HEAD';
    const response = await fetchFn(url, {
      method: parts.method,
      headers: forwardHeaders(parts),
      ...(sendsBody && { body: parts.body }),
      // A redirect is no answer of the contract; following one would ask someone else.
      redirect: 'error',
      signal,
    });
    const text = await response.text();

    if (response.status === 200) {
      // An answer to HEAD has no body: the identity is in the X-Ramkey-* headers alone.
      const identity = method === 'HEAD' ? identityOfHeaders(response.headers) : identityOfJson(text);
      if (identity === undefined) throw new Error('Ramkey answered 200 without the identity of the contract');
      // Only a body that was sent can have been verified: believing otherwise would skip the check.
      return { allowed: true, identity: sendsBody ? identity : { ...identity, BodyVerified: false } };
    }
    if (response.status >= 400 && response.status <= 599 && (method === 'HEAD' || isErrorBody(text))) {
      const contentType = response.headers.get('content-type') ?? JSON_CONTENT_TYPE;
      return { allowed: false, status: response.status, body: text, contentType };
    }
    throw new Error(`Ramkey answered HTTP ${response.status} without an error body of the contract`);
  }

  return {
    async verify(parts) {
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      // The race bounds the wait even for a fetch that ignores its signal; the abort frees the socket.
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          const error = new Error(`Ramkey did not answer within ${timeoutMs} ms`);
          controller.abort(error);
          reject(error);
        }, timeoutMs);
      });
      try {
        return await Promise.race([ask(parts, controller.signal), late]);
      } catch (err) {
        const cause = err instanceof Error ? err : new Error(String(err));
        return { allowed: false, ...unavailable(originalHost(parts.headers)), cause };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The original Host: HTTP/1's header, or HTTP/2's :authority. */
export function originalHost(headers: RequestParts['headers']): string | undefined {
  const value = headers.host ?? headers[':authority'];
  return typeof value === 'string' ? value : value?.[0];
}

function forwardAuthUrl(endpoint: string | URL): string {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`createForwardAuthClient: endpoint must be an http(s) URL, not ${url.protocol}`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '') + '/forward-auth';
  url.search = '';
  url.hash = '';
  return url.href;
}

function forwardHeaders(parts: RequestParts): Headers {
  // Headers the Connection header names are hop-by-hop as well (RFC 9110, 7.6.1).
  const connection = parts.headers.connection;
  const hopByHop = new Set(
    (typeof connection === 'string' ? connection : (connection ?? []).join(','))
      .split(',')
      .map((token) => token.trim().toLowerCase()),
  );
  const headers = new Headers();
  for (const [rawName, value] of Object.entries(parts.headers)) {
    const name = rawName.toLowerCase();
    // HTTP/2 pseudo-headers (:method, :path...) are not headers; the parts carry what they say.
    if (value === undefined || name.startsWith(':') || NOT_FORWARDED.has(name) || hopByHop.has(name))
      continue;
    if (typeof value === 'string') headers.append(name, value);
    else for (const item of value) headers.append(name, item);
  }
  headers.set('x-original-method', parts.method);
  headers.set('x-original-uri', parts.url);
  const host = originalHost(parts.headers);
  if (host !== undefined) headers.set('x-forwarded-host', host);
  if (parts.clientIp !== undefined && parts.clientIp !== '') headers.set('x-real-ip', parts.clientIp);
  return headers;
}

/** A refusal's body must be the JSON error the SDKs parse; anything else is not Ramkey speaking. */
function isErrorBody(text: string): boolean {
  const value = parseJson(text);
  return isRecord(value) && typeof value.Code === 'string';
}

function identityOfJson(text: string): RamkeyIdentity | undefined {
  const value = parseJson(text);
  return isRecord(value) ? identityOf(value) : undefined;
}

const IDENTITY_HEADERS = {
  RequestId: 'x-ramkey-request-id',
  AccountId: 'x-ramkey-account-id',
  PrincipalType: 'x-ramkey-principal-type',
  PrincipalName: 'x-ramkey-principal-name',
  UserId: 'x-ramkey-user-id',
  AccessKeyId: 'x-ramkey-access-key-id',
  Service: 'x-ramkey-service',
  Action: 'x-ramkey-action',
  ContentSha256: 'x-ramkey-content-sha256',
  BodyVerified: 'x-ramkey-body-verified',
} as const satisfies Record<keyof RamkeyIdentity, string>;

function identityOfHeaders(headers: Headers): RamkeyIdentity | undefined {
  const value: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(IDENTITY_HEADERS)) value[field] = headers.get(name) ?? undefined;
  const verified = value.BodyVerified;
  value.BodyVerified = verified === 'true' ? true : verified === 'false' ? false : undefined;
  return identityOf(value);
}

/** The identity, field by field; `undefined` when the answer is not the contract's. */
function identityOf(value: Record<string, unknown>): RamkeyIdentity | undefined {
  const { RequestId, AccountId, PrincipalType, PrincipalName, UserId, AccessKeyId, Service, Action } = value;
  // RPC V1 signs no body hash: an answer may leave it out or empty.
  const ContentSha256 = value.ContentSha256 ?? '';
  const BodyVerified = value.BodyVerified;
  if (
    !nonEmpty(RequestId) ||
    !nonEmpty(AccountId) ||
    (PrincipalType !== 'Account' && PrincipalType !== 'RAMUser') ||
    typeof PrincipalName !== 'string' ||
    typeof UserId !== 'string' ||
    !nonEmpty(AccessKeyId) ||
    typeof Service !== 'string' ||
    !nonEmpty(Action) ||
    typeof ContentSha256 !== 'string' ||
    typeof BodyVerified !== 'boolean'
  ) {
    return undefined;
  }
  // Picked field by field: nothing else in the answer reaches the application as identity.
  return {
    RequestId,
    AccountId,
    PrincipalType,
    PrincipalName,
    UserId,
    AccessKeyId,
    Service,
    Action,
    ContentSha256,
    BodyVerified,
  };
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
