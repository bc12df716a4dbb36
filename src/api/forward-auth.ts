// Forward authentication: a gateway (nginx `auth_request`, Envoy `ext_authz`, Traefik `forwardAuth`)
// or a Node upstream asks whether a request to the platform's own API may pass. The request is
// verified through the same gate as Ramkey's own actions (signature, time, nonce, key status, network
// policy, leak restriction, RAM policies), mapped to a custom service's action, audited under that
// service, and answered with the caller's identity or an error the official SDKs understand.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { isInIpRange, parseIpAddress, parseIpRange, type IpRange } from '../core/policy/ip-range.js';
import { EMPTY_BODY_SHA256, parseSignedRequest } from '../core/signature/index.js';
import type { ActionFacts } from '../services/action-facts.js';
import { isAuthenticated, type CallRecord } from '../services/audit-trail.js';
import type { Connection } from '../services/gate/admission.js';
import { SUCCESS } from '../services/metrics.js';
import type { Principal } from '../services/principal.js';
import type { Ramkey } from '../services/ramkey.js';
import type { ForwardedRequest, ServiceResolution } from '../services/service-directory.js';
import { auditedMessage, errorBody, toRamkeyError } from './error-reply.js';

/** Where gateways send their questions (see Convention for the routes under it). */
export const FORWARD_AUTH_PATH = '/forward-auth';

/** The gateways' addresses when RAMKEY_GATEWAYS is not set: a gateway on the same machine. */
export const DEFAULT_GATEWAYS: readonly string[] = ['127.0.0.0/8', '::1'];

/** The longest original URI accepted (nginx's default large_client_header_buffers line is 8 KiB). */
const MAX_URI_LENGTH = 8192;

/** The headers an upstream may trust once Ramkey allowed the request (the gateway copies them). */
export const IDENTITY_HEADERS = {
  requestId: 'x-ramkey-request-id',
  accountId: 'x-ramkey-account-id',
  principalType: 'x-ramkey-principal-type',
  principalName: 'x-ramkey-principal-name',
  userId: 'x-ramkey-user-id',
  accessKeyId: 'x-ramkey-access-key-id',
  service: 'x-ramkey-service',
  action: 'x-ramkey-action',
  contentSha256: 'x-ramkey-content-sha256',
  bodyVerified: 'x-ramkey-body-verified',
} as const;

/**
 * The addresses forward authentication answers, and whose word it takes for the client's address
 * (X-Real-IP, X-Forwarded-For): anyone else could claim to be any client and so pass a network policy.
 */
export class GatewayList {
  private constructor(private readonly ranges: readonly IpRange[]) {}

  /** Parses addresses and CIDRs; throws naming the first that is neither. */
  static parse(entries: readonly string[]): GatewayList {
    return new GatewayList(
      entries.map((entry) => {
        const range = parseIpRange(entry);
        if (!range) throw new Error(`not an IP address or CIDR: ${JSON.stringify(entry)}`);
        return range;
      }),
    );
  }

  includes(address: string | undefined): boolean {
    const bytes = address === undefined ? undefined : parseIpAddress(stripMappedPrefix(address));
    return bytes !== undefined && this.ranges.some((range) => isInIpRange(bytes, range));
  }
}

/** Node reports IPv4 peers of a dual-stack socket as `::ffff:a.b.c.d`. */
function stripMappedPrefix(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Maps a forwarded request to a custom service's action for the caller's account (ServiceDirectory). */
export type ResolveServiceAction = (
  accountId: string,
  request: ForwardedRequest,
) => ServiceResolution | Promise<ServiceResolution>;

export interface ForwardAuthDeps {
  ramkey: Ramkey;
  gateways: GatewayList;
  resolve: ResolveServiceAction;
  /** The shared error envelope (error-reply.ts), with another status and extra headers for nginx. */
  sendError(
    request: FastifyRequest,
    reply: FastifyReply,
    error: RamkeyError,
    nginx?: { status: number; headers: Record<string, string> },
  ): FastifyReply;
}

/** What the gateway says the client sent. */
interface OriginalRequest {
  method: string;
  path: string;
  rawQuery: string;
  host: string;
  connection: Connection;
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export function registerForwardAuth(app: FastifyInstance, deps: ForwardAuthDeps): void {
  const route = (url: string, convention: Convention) =>
    app.route({
      method: METHODS,
      url,
      handler: (request: FastifyRequest, reply: FastifyReply) => handle(deps, request, reply, convention),
    });
  route(FORWARD_AUTH_PATH, 'original');
  route(`${FORWARD_AUTH_PATH}/traefik`, 'traefik');
  route(ENVOY_PREFIX, 'envoy');
  route(`${ENVOY_PREFIX}/*`, 'envoy');
}

async function handle(
  deps: ForwardAuthDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  convention: Convention,
) {
  const { ramkey } = deps;
  const startedAt = performance.now();
  // nginx's auth_request passes only 401 and 403 on (anything else becomes a 500): the real status
  // travels in a header, and the error body in another, for the configuration's error page to use.
  const nginx = header(request, 'x-ramkey-gateway')?.toLowerCase() === 'nginx';
  const refuse = (error: RamkeyError, action?: ActionFacts) => {
    ramkey.metrics.countRequest('forward-auth', action?.authAction, error.code);
    return deps.sendError(
      request,
      reply,
      error,
      nginx
        ? {
            status: 403,
            headers: {
              'x-ramkey-status': String(error.httpStatus),
              'x-ramkey-error': errorHeaderValue(request, error),
            },
          }
        : undefined,
    );
  };

  if (!deps.gateways.includes(request.socket.remoteAddress)) {
    return refuse(new RamkeyError('Forbidden.NotGateway'));
  }
  let original: OriginalRequest;
  try {
    original = originalRequest(request, convention);
  } catch (err) {
    return refuse(err instanceof RamkeyError ? err : new RamkeyError('InternalError', { cause: err }));
  }
  const arrived: CallRecord = {
    requestId: request.id,
    receivedAt: ramkey.clock.now(),
    host: original.host,
    connection: original.connection,
  };
  let served: Served;
  if (!ramkey.failures.allows(arrived.connection.sourceIp) || ramkey.audit.backlogged()) {
    const error = new RamkeyError('Throttling');
    served = { call: { ...arrived, error: { code: error.code, message: error.message } }, error };
  } else {
    served = await serve(deps, request, original, arrived, startedAt);
    if (!isAuthenticated(served.call)) ramkey.failures.fail(arrived.connection.sourceIp);
  }
  await ramkey.audit.record(served.call).catch((err: unknown) => {
    request.log.error({ err, reqId: request.id }, 'audit event not recorded');
  });
  if (served.error) {
    return refuse(served.error, served.call.action);
  }
  ramkey.metrics.countRequest('forward-auth', served.call.action?.authAction, SUCCESS);
  return reply
    .headers(identityHeaders(served.identity))
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify(served.identity));
}

/** The caller, as an upstream may rely on it; the JSON body and the headers say the same. */
interface Identity {
  RequestId: string;
  AccountId: string;
  PrincipalType: 'Account' | 'RAMUser';
  /** The RAM user's name; `root` for the account itself. */
  PrincipalName: string;
  /** The RAM user's ID; the account ID for the account itself (as GetCallerIdentity has it). */
  UserId: string;
  AccessKeyId: string;
  Service: string;
  Action: string;
  /** The SHA-256 the signature covers the body by. Unless BodyVerified, the upstream must check it. */
  ContentSha256: string;
  /** Whether Ramkey saw the body and checked it against ContentSha256. */
  BodyVerified: boolean;
}

type Served =
  | { call: CallRecord; identity: Identity; error?: undefined }
  | { call: CallRecord; identity?: undefined; error: RamkeyError };

/** Stands in for the action of a request whose key does not exist: the gate refuses it first. */
const UNRESOLVED: ActionFacts = Object.freeze({
  service: 'Ram',
  version: '',
  name: '',
  authAction: '',
  authAliases: [],
  rw: 'Read',
  selfService: false,
  unrestricted: false,
  risk: 'standard',
});

async function serve(
  deps: ForwardAuthDeps,
  request: FastifyRequest,
  original: OriginalRequest,
  arrived: CallRecord,
  startedAt: number,
): Promise<Served> {
  const { ramkey } = deps;
  let call = arrived;
  try {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const headers = { ...request.raw.headersDistinct, host: [original.host] };
    const parsed = parseSignedRequest(
      { method: original.method, rawQuery: original.rawQuery, headers, body },
      { path: original.path, body: 'opaque' },
    );
    if (!parsed.ok) throw new RamkeyError(parsed.code, parsed.params ? { params: parsed.params } : {});
    const signed = parsed.value;
    call = { ...call, request: signed };

    const pendingOwner = ramkey.gate.keyOwner(signed.accessKeyId);
    const owner: Principal | undefined = pendingOwner instanceof Promise ? await pendingOwner : pendingOwner;
    let facts = UNRESOLVED;
    let resources: readonly string[] = [];
    if (owner) {
      const pending = deps.resolve(owner.accountId, {
        host: original.host,
        method: original.method,
        path: original.path,
        query: signed.params,
        action: signed.action,
      });
      const resolution = pending instanceof Promise ? await pending : pending;
      if (!resolution.ok) throw resolution.error;
      // V1 signs the parameters only: a path-routed action would take its name and resources from
      // text the signature does not cover.
      if (signed.style === 'v1' && resolution.routed) {
        throw new RamkeyError('IncompleteSignature', {
          params: ['The path is not signed by a V1 signature: sign with ACS3-HMAC-SHA256.'],
        });
      }
      facts = resolution.facts;
      resources = resolution.resources;
      call = { ...call, action: facts };
    }

    const pendingAdmission = ramkey.gate.admit({
      request: signed,
      action: facts,
      resources: () => resources,
      connection: call.connection,
    });
    const admission = pendingAdmission instanceof Promise ? await pendingAdmission : pendingAdmission;
    ramkey.metrics.gateDecided('forward-auth', startedAt);
    call = { ...call, admission };
    if (!admission.admitted) throw admission.refusal;

    const p = admission.principal;
    const bodyVerified = body.length > 0;
    const contentSha256 =
      signed.canonical.style === 'v3'
        ? signed.canonical.hashedPayload
        : body.length > 0
          ? createHash('sha256').update(body).digest('hex')
          : EMPTY_BODY_SHA256;
    return {
      call,
      identity: {
        RequestId: request.id,
        AccountId: p.accountId,
        PrincipalType: p.kind === 'root' ? 'Account' : 'RAMUser',
        PrincipalName: p.kind === 'root' ? 'root' : p.userName,
        UserId: p.kind === 'root' ? p.accountId : p.userId,
        AccessKeyId: signed.accessKeyId,
        Service: facts.service,
        Action: facts.name,
        ContentSha256: contentSha256,
        BodyVerified: bodyVerified,
      },
    };
  } catch (err) {
    const error = toRamkeyError(err);
    return { call: { ...call, error: { code: error.code, message: auditedMessage(error) } }, error };
  }
}

function identityHeaders(identity: Identity): Record<string, string> {
  const h = IDENTITY_HEADERS;
  return {
    [h.requestId]: identity.RequestId,
    [h.accountId]: identity.AccountId,
    [h.principalType]: identity.PrincipalType,
    [h.principalName]: identity.PrincipalName,
    [h.userId]: identity.UserId,
    [h.accessKeyId]: identity.AccessKeyId,
    [h.service]: identity.Service,
    [h.action]: identity.Action,
    [h.contentSha256]: identity.ContentSha256,
    [h.bodyVerified]: String(identity.BodyVerified),
  };
}

/**
 * The error body as one header value for nginx's error page: JSON with everything outside printable
 * ASCII escaped, so it is a valid header value whatever the message holds.
 */
function errorHeaderValue(request: FastifyRequest, error: RamkeyError): string {
  return JSON.stringify(errorBody(request, error)).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * How a gateway describes the client's request. Each route reads one convention only, so a header a
 * client sent cannot stand in for one its gateway sets (Traefik passes the client's X-Original-URI
 * on, nginx its X-Forwarded-For).
 *
 * - `original` (`/forward-auth`; nginx's auth_request, the verification client): X-Original-Method,
 *   X-Original-URI, X-Forwarded-Host, X-Real-IP, X-Forwarded-Proto, each set by the gateway.
 * - `traefik` (`/forward-auth/traefik`): X-Forwarded-Method, -Uri, -Host, -Proto, and the last
 *   X-Forwarded-For entry, which Traefik sets from the connection.
 * - `envoy` (`/forward-auth/envoy/...`, ext_authz's `path_prefix`): the request itself (method, path
 *   after the prefix, Host, body), the client being the last X-Forwarded-For entry Envoy appended.
 */
export type Convention = 'original' | 'traefik' | 'envoy';

const ENVOY_PREFIX = `${FORWARD_AUTH_PATH}/envoy`;

const TOKEN = /^[A-Z]{1,16}$/;
const HOST = /^[A-Za-z0-9.:[\]-]{1,255}$/;

function required(request: FastifyRequest, name: string): string {
  const value = header(request, name);
  if (value === undefined || value === '') throw new RamkeyError('MissingParameter', { params: [name] });
  return value;
}

function lastForwardedFor(request: FastifyRequest): string | undefined {
  return header(request, 'x-forwarded-for')?.split(',').pop()?.trim();
}

function originalRequest(request: FastifyRequest, convention: Convention): OriginalRequest {
  let method: string;
  let uri: string;
  let host: string;
  let claimedIp: string | undefined;
  if (convention === 'original') {
    method = required(request, 'x-original-method');
    uri = required(request, 'x-original-uri');
    host = required(request, 'x-forwarded-host');
    claimedIp = header(request, 'x-real-ip')?.trim();
  } else if (convention === 'traefik') {
    method = required(request, 'x-forwarded-method');
    uri = required(request, 'x-forwarded-uri');
    host = required(request, 'x-forwarded-host');
    claimedIp = lastForwardedFor(request);
  } else {
    method = request.method;
    uri = (request.raw.url ?? '').slice(ENVOY_PREFIX.length);
    if (!uri.startsWith('/')) uri = '/' + uri;
    host = header(request, 'host') ?? '';
    claimedIp = lastForwardedFor(request);
  }
  if (!TOKEN.test(method)) throw new RamkeyError('InvalidParameter', { params: ['method'] });
  // Printable ASCII only: a request target is sent percent-encoded, and the path is signed as sent.
  if (
    !uri.startsWith('/') ||
    uri.length > MAX_URI_LENGTH ||
    !/^[\x21-\x7e]*$/.test(uri) ||
    uri.includes('#')
  ) {
    throw new RamkeyError('InvalidParameter', { params: ['URI'] });
  }
  if (!HOST.test(host)) throw new RamkeyError('InvalidParameter', { params: ['Host'] });
  const q = uri.indexOf('?');
  // Without a claim, the client is the gateway's own connection.
  const sourceIp = stripMappedPrefix(claimedIp ?? request.socket.remoteAddress ?? '');
  return {
    method,
    path: q < 0 ? uri : uri.slice(0, q),
    rawQuery: q < 0 ? '' : uri.slice(q + 1),
    host,
    connection: {
      sourceIp: isIP(sourceIp) === 0 ? '(invalid)' : sourceIp,
      secureTransport: header(request, 'x-forwarded-proto')?.toLowerCase() === 'https',
      userAgent: header(request, 'user-agent') ?? '',
    },
  };
}
