// The HTTP face of Ramkey: RPC dispatch by (Version, Action) at `/`, JSON/XML rendering, the error
// envelope, and a health route. Business rules live in services; this layer parses and renders.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { FastifyBaseLogger } from 'fastify';
import { catalogEntry, formatMessage, type ErrorCode } from '../core/errors/catalog.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { parseSignedRequest, type HttpRequestParts, type SignedRequest } from '../core/signature/index.js';
import type { Ramkey } from '../services/ramkey.js';
import { Params } from './params.js';
import { findAction, isKnownVersion, type RegisteredAction } from './registry.js';
import { contentType, parseFormat, serialize, type Body, type ResponseFormat } from './render.js';

/** Bodies above this are refused with InvalidParameter.Body.TooLarge (RAM's own documents are < 7 KB). */
export const MAX_BODY_BYTES = 64 * 1024;

export interface AppOptions {
  ramkey: Ramkey;
  /** Where request failures are logged; nothing is logged when absent. */
  logger?: FastifyBaseLogger;
  /** CIDRs (or `true`) whose X-Forwarded-For is believed for the source IP. */
  trustProxy?: string[] | boolean;
  https?: { key: Buffer; cert: Buffer };
}

/** Finds the action a request names; unknown versions and actions are refused before authentication. */
export function route(request: SignedRequest): RegisteredAction {
  if (!isKnownVersion(request.version)) throw new RamkeyError('InvalidVersion');
  const def = findAction(request.version, request.action);
  if (!def) throw new RamkeyError('InvalidAction.NotFound');
  return def;
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

function hostId(request: FastifyRequest): string {
  const host = request.headers.host;
  return host && host.length <= 255 && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : 'ramkey';
}

export function buildApp(options: AppOptions): FastifyInstance {
  const { ramkey } = options;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: options.trustProxy ?? false,
    // Per-request lines are ours (debug level, no parameters); Fastify's would log every URL.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID().toUpperCase(),
    ...(options.https && { https: options.https }),
  });

  // Bodies stay raw bytes: V3 signs their SHA-256, and the core parses forms itself, strictly.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body);
  });

  function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown, format: ResponseFormat) {
    const error = toRamkeyError(err);
    const entry = catalogEntry(error.code);
    if (entry.httpStatus >= 500) {
      request.log.error({ err, reqId: request.id }, 'request failed');
    } else {
      request.log.debug({ code: error.code, detail: error.detail, reqId: request.id }, 'request refused');
    }
    const body: Body = {
      RequestId: request.id,
      HostId: hostId(request),
      Code: error.code,
      Message: error.message,
      ...(entry.recommend !== undefined && { Recommend: entry.recommend }),
      ...error.extra,
    };
    return reply
      .status(error.httpStatus)
      .header('content-type', contentType(format))
      .send(serialize(body, format, 'Error'));
  }

  async function handleRpc(request: FastifyRequest, reply: FastifyReply) {
    // Known once the parameters parse; until then errors guess it from the raw URL (error path only).
    let format: ResponseFormat | undefined;
    const sourceIp = clientIp(request);
    const call = ramkey.audit.begin({
      requestId: request.id,
      sourceIp,
      userAgent: request.headers['user-agent'],
      eventSource: hostId(request),
    });
    try {
      const parsed = parseSignedRequest(requestParts(request));
      if (!parsed.ok) throw new RamkeyError(parsed.code, parsed.params ? { params: parsed.params } : {});
      const signed = parsed.value;
      ramkey.audit.describe(call, signed);
      format = parseFormat(signed.params.get('Format'));
      const def = route(signed);
      const action = def.name;
      ramkey.audit.route(call, def.service, def.rw);
      const caller = await ramkey.gate.authenticate(signed, call);
      const params = new Params(signed.params);
      const p = caller.principal;
      const resources = def.unrestricted
        ? []
        : def.resources({
            accountId: p.accountId,
            callerUserName: p.kind === 'user' ? p.userName : undefined,
            params,
          });
      // The caller must be allowed on every resource the action touches.
      for (const resource of resources)
        await ramkey.gate.authorize(caller, {
          action: def.authAction,
          selfService: def.selfService,
          resource,
          context: {
            sourceIp,
            currentTime: ramkey.clock.now(),
            secureTransport: request.protocol === 'https',
            mfaPresent: false,
            userAgent: request.headers['user-agent'] ?? '',
          },
        });
      const ctx = { caller, params, ramkey, sourceIp };
      // A write action's change commits together with its audit event.
      const result =
        def.rw === 'Write' ? await ramkey.audit.write(call, () => def.handle(ctx)) : await def.handle(ctx);
      request.log.debug({ reqId: request.id, action, accessKeyId: caller.accessKeyId }, 'request served');
      return await reply
        .header('content-type', contentType(format))
        .send(serialize({ RequestId: request.id, ...result }, format, `${action}Response`));
    } catch (err) {
      const error = toRamkeyError(err);
      ramkey.audit.fail(call, error.code, auditedMessage(error));
      return await sendError(request, reply, error, format ?? formatOfUnparsed(request));
    } finally {
      await ramkey.audit.finish(call).catch((err: unknown) => {
        request.log.error({ err, reqId: request.id }, 'audit event not recorded');
      });
    }
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

  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new RamkeyError('InvalidAction.NotFound'), formatOfUnparsed(request)),
  );

  // Errors Fastify raises itself (oversized or unreadable bodies) get the protocol's envelope too.
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err, formatOfUnparsed(request)));

  return app;
}

/**
 * The message an audit event keeps. SignatureDoesNotMatch carries the string to sign, which holds
 * every signed parameter's value, secrets sent where they do not belong included: the event keeps
 * the catalog's message without it.
 */
function auditedMessage(error: RamkeyError): string {
  return error.code === 'SignatureDoesNotMatch' ? formatMessage(error.code) : error.message;
}

function toRamkeyError(err: unknown): RamkeyError {
  if (err instanceof RamkeyError) return err;
  const fastifyCode = (err as { code?: unknown }).code;
  const statusCode = (err as { statusCode?: unknown }).statusCode;
  const code: ErrorCode | undefined =
    fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? 'InvalidParameter.Body.TooLarge'
      : fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'InvalidParameter.ContentType'
        : typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500
          ? 'InvalidParameter'
          : undefined;
  if (code === 'InvalidParameter.Body.TooLarge')
    return new RamkeyError(code, { params: [String(MAX_BODY_BYTES)] });
  if (code === 'InvalidParameter') return new RamkeyError(code, { params: ['request'], cause: err });
  if (code) return new RamkeyError(code, { cause: err });
  return new RamkeyError('InternalError', { cause: err });
}
