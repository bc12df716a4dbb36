// The HTTP face of Ramkey: RPC dispatch by (Version, Action) at `/`, JSON/XML rendering, the error
// envelope, and a health route. Business rules live in services; this layer parses and renders.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { FastifyBaseLogger } from 'fastify';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { parseSignedRequest, type HttpRequestParts, type SignedRequest } from '../core/signature/index.js';
import { isAuthenticated, type CallRecord } from '../services/audit-trail.js';
import type { Connection } from '../services/gate/admission.js';
import { SUCCESS } from '../services/metrics.js';
import type { Ramkey } from '../services/ramkey.js';
import { defaultConsoleDir, registerConsole } from './console.js';
import { admitAndRun, resourcesOf } from './dispatch.js';
import { auditedMessage, hostId, sendErrorReply, toRamkeyError } from './error-reply.js';
import { DEFAULT_GATEWAYS, GatewayList, registerForwardAuth } from './forward-auth.js';

/** For `ramkey serve`, to refuse a malformed RAMKEY_GATEWAYS before it opens anything. */
export { GatewayList };
import { MAX_BODY_BYTES, MAX_HEADER_BYTES } from './limits.js';
import { Params } from './params.js';
import { findAction, isKnownVersion, type RegisteredAction } from './registry.js';
import { contentType, parseFormat, serialize, type Body, type ResponseFormat } from './render.js';

/** How long a client may take and how many may connect at once; every limit guards against slow floods. */
export interface ConnectionLimits {
  /** Receiving a whole request, headers and body (a body trickled byte by byte cannot hold a socket). */
  requestTimeoutMs: number;
  /** Receiving the request's headers. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections at once; more are closed as soon as they are accepted. */
  maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 4_096,
};

export interface AppOptions {
  ramkey: Ramkey;
  /** Where request failures are logged; nothing is logged when absent. */
  logger?: FastifyBaseLogger;
  /** CIDRs (or `true`) whose X-Forwarded-For is believed for the source IP. */
  trustProxy?: string[] | boolean;
  https?: { key: Buffer; cert: Buffer };
  /**
   * Addresses and CIDRs of the gateways that may ask for forward authentication, and whose word
   * (X-Real-IP, X-Forwarded-For) is taken for the client's address there; loopback when absent.
   */
  gateways?: readonly string[];
  /** Addresses and CIDRs that may read `/metrics` (RAMKEY_METRICS_FROM); loopback when absent. */
  metricsFrom?: readonly string[];
  connectionLimits?: Partial<ConnectionLimits>;
  /** The built web console served at /console (default: dist/console). */
  consoleDir?: string;
}

/** Who may read `/metrics` when RAMKEY_METRICS_FROM is not set: a scraper on the same machine. */
export const DEFAULT_METRICS_FROM: readonly string[] = ['127.0.0.0/8', '::1'];

interface Route {
  def: RegisteredAction;
  params: Params;
}

/** Finds the action a request names; unknown versions and actions are refused before authentication. */
export function route(request: SignedRequest): Route {
  if (!isKnownVersion(request.version)) throw new RamkeyError('InvalidVersion');
  const def = findAction(request.version, request.action);
  if (!def) throw new RamkeyError('InvalidAction.NotFound');
  return { def, params: new Params(request.params) };
}

function requestParts(request: FastifyRequest): HttpRequestParts {
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  return {
    method: request.method,
    rawQuery: q === -1 ? '' : url.slice(q + 1),
    headers: request.raw.headersDistinct,
    body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
  };
}

/** Best effort for errors raised before the parameters could be parsed: XML only when clearly asked. */
function formatOfUnparsed(request: FastifyRequest): ResponseFormat {
  return /[?&]Format=xml(&|$)/i.test(request.raw.url ?? '') ? 'XML' : 'JSON';
}

/**
 * The caller's address: the socket's, or with RAMKEY_TRUST_PROXY the client a trusted proxy names in
 * X-Forwarded-For, which is free text: anything that is not an IP address becomes `(invalid)`, so it
 * can neither pass a source-IP condition nor pile up in the audit trail as made-up addresses.
 */
function clientIp(request: FastifyRequest): string {
  return isIP(request.ip) === 0 ? '(invalid)' : request.ip;
}

function connectionOf(request: FastifyRequest): Connection {
  return {
    sourceIp: clientIp(request),
    secureTransport: request.protocol === 'https',
    userAgent: request.headers['user-agent'] ?? '',
  };
}

/** What serving a call produced: the record of it, and the body or error to render. */
type Served = { call: CallRecord; format: ResponseFormat } & (
  { body: Body; error?: undefined } | { body?: undefined; error: RamkeyError }
);

export function buildApp(options: AppOptions): FastifyInstance {
  const { ramkey } = options;
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits };
  const serverTimeouts = {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: limits.headersTimeoutMs,
    // Node enforces the request and header timeouts on this tick (30 s by default: far too coarse).
    connectionsCheckingInterval: Math.max(10, Math.min(1000, limits.headersTimeoutMs / 4)),
  };
  const app = Fastify({
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: serverTimeouts,
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: options.trustProxy ?? false,
    // Per-request lines are ours (debug level, no parameters); Fastify's would log every URL.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID().toUpperCase(),
    ...(options.https && { https: { ...options.https, ...serverTimeouts } }),
  });

  app.server.maxConnections = limits.maxConnections;

  // Bodies stay raw bytes: V3 signs their SHA-256, and the core parses forms itself, strictly.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body);
  });

  const sendError = (request: FastifyRequest, reply: FastifyReply, err: unknown, format: ResponseFormat) =>
    sendErrorReply(ramkey, request, reply, toRamkeyError(err), format);

  /** A call's way through: parse, route, admit, dispatch. Every outcome is a value for the audit trail. */
  async function serve(request: FastifyRequest, arrived: CallRecord, startedAt: number): Promise<Served> {
    let call = arrived;
    // Known once the parameters parse; until then errors guess it from the raw URL (error path only).
    let format: ResponseFormat | undefined;
    try {
      const parsed = parseSignedRequest(requestParts(request));
      if (!parsed.ok) throw new RamkeyError(parsed.code, parsed.params ? { params: parsed.params } : {});
      const signed = parsed.value;
      call = { ...call, request: signed };
      format = parseFormat(signed.params.get('Format'));
      const { def, params } = route(signed);
      call = { ...call, action: def };
      const pending = ramkey.gate.admit({
        request: signed,
        action: def,
        resources: resourcesOf(ramkey, def, params),
        connection: call.connection,
      });
      const run = await admitAndRun(ramkey, call, def, params, { pending, route: 'rpc', startedAt });
      call = run.call;
      if (!run.ok) throw run.error;
      return { call, format, body: run.body };
    } catch (err) {
      const error = toRamkeyError(err);
      return {
        call: { ...call, error: { code: error.code, message: auditedMessage(error) } },
        format: format ?? formatOfUnparsed(request),
        error,
      };
    }
  }

  /**
   * Refuses the call before anything is parsed or verified: its source keeps failing to authenticate,
   * or the audit trail is behind (a call is slowed down rather than its event lost).
   */
  function throttled(request: FastifyRequest, arrived: CallRecord): Served | undefined {
    if (ramkey.failures.allows(arrived.connection.sourceIp) && !ramkey.audit.backlogged()) return undefined;
    const error = new RamkeyError('Throttling');
    return {
      call: { ...arrived, error: { code: error.code, message: error.message } },
      format: formatOfUnparsed(request),
      error,
    };
  }

  async function handleRpc(request: FastifyRequest, reply: FastifyReply) {
    const startedAt = performance.now();
    const arrived: CallRecord = {
      requestId: request.id,
      receivedAt: ramkey.clock.now(),
      host: hostId(request),
      connection: connectionOf(request),
    };
    let served = throttled(request, arrived);
    if (!served) {
      served = await serve(request, arrived, startedAt);
      if (!isAuthenticated(served.call)) ramkey.failures.fail(arrived.connection.sourceIp);
    }
    const { call, format, body, error } = served;
    await ramkey.audit.record(call).catch((err: unknown) => {
      request.log.error({ err, reqId: request.id }, 'audit event not recorded');
    });
    ramkey.metrics.countRequest('rpc', call.action?.authAction, error ? error.code : SUCCESS);
    if (error) return sendError(request, reply, error, format);
    request.log.debug(
      { reqId: request.id, action: call.action?.name, accessKeyId: call.request?.accessKeyId },
      'request served',
    );
    return reply
      .header('content-type', contentType(format))
      .send(serialize({ RequestId: request.id, ...body }, format, `${call.action?.name ?? ''}Response`));
  }

  app.route({ method: ['GET', 'POST'], url: '/', handler: handleRpc });

  // Unauthenticated liveness probe. It accepts the same shapes of request as `/` so that the
  // benchmark can send it byte-identical traffic.
  app.route({
    method: ['GET', 'POST'],
    url: '/health',
    handler: (request, reply) =>
      reply
        .header('content-type', contentType('JSON'))
        .send(JSON.stringify({ RequestId: request.id, Status: 'ok' })),
  });

  // Probes for orchestrators and load balancers, unauthenticated: they name each dependency and its
  // state, never an address or a secret. Liveness: the process serves (restart it if not).
  app.get('/healthz', (_request, reply) =>
    reply.header('content-type', contentType('JSON')).send(JSON.stringify({ status: 'ok' })),
  );
  // Readiness: send it traffic only while 200 (a 503 lists what is down; it recovers by itself).
  app.get('/readyz', async (_request, reply) => {
    const { ready, checks } = await ramkey.readiness();
    return reply
      .code(ready ? 200 : 503)
      .header('content-type', contentType('JSON'))
      .send(JSON.stringify({ status: ready ? 'ready' : 'not ready', checks }));
  });

  // Prometheus metrics: operational data (request rates, error codes, queue depths), but no secrets,
  // AccessKey IDs, accounts or addresses. Answered to RAMKEY_METRICS_FROM's addresses only, judged by
  // the connection's peer (a forwarded header could name any address).
  const metricsFrom = GatewayList.parse(options.metricsFrom ?? DEFAULT_METRICS_FROM);
  app.get('/metrics', async (request, reply) => {
    if (!metricsFrom.includes(request.socket.remoteAddress)) {
      return reply
        .code(403)
        .header('content-type', 'text/plain; charset=utf-8')
        .send('Forbidden: /metrics answers the addresses in RAMKEY_METRICS_FROM only.\n');
    }
    return reply.header('content-type', ramkey.metrics.contentType).send(await ramkey.metrics.text());
  });

  // Leak reports from registered reporters (secret-scanning partners, `ramkey scan --report`): signed
  // with the reporter's secret, never with an AccessKey. See LeakResponse.report.
  app.post('/leak-reports', async (request, reply) => {
    const sourceIp = clientIp(request);
    if (!ramkey.failures.allows(sourceIp)) {
      return sendError(request, reply, new RamkeyError('Throttling'), 'JSON');
    }
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    try {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const outcome = await ramkey.leaks.report(
        {
          reporter: header('x-ramkey-reporter'),
          timestamp: header('x-ramkey-timestamp'),
          signature: header('x-ramkey-signature'),
        },
        body,
        { requestId: request.id, sourceIp },
      );
      return await reply.header('content-type', contentType('JSON')).send(
        JSON.stringify({
          RequestId: request.id,
          Results: outcome.results.map((r) => ({ Index: r.index, Matched: r.matched })),
        }),
      );
    } catch (err) {
      if (err instanceof RamkeyError && err.code.startsWith('InvalidLeakReport.'))
        ramkey.failures.fail(sourceIp);
      return sendError(request, reply, err, 'JSON');
    }
  });

  registerForwardAuth(app, {
    ramkey,
    gateways: GatewayList.parse(options.gateways ?? DEFAULT_GATEWAYS),
    resolve: (accountId, request) => ramkey.services.resolve(accountId, request),
    sendError: (request, reply, error, nginx) => sendErrorReply(ramkey, request, reply, error, 'JSON', nginx),
  });

  registerConsole(app, { ramkey, consoleDir: options.consoleDir ?? defaultConsoleDir(), connectionOf });

  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new RamkeyError('InvalidAction.NotFound'), formatOfUnparsed(request)),
  );

  // Errors Fastify raises itself (oversized or unreadable bodies) get the protocol's envelope too.
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err, formatOfUnparsed(request)));

  return app;
}
