// The protocol's error envelope, shared by every route: Alibaba's shape (RequestId, HostId, Code,
// Message, Recommend, and the error's extra fields such as AccessDeniedDetail), logged without secrets.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catalogEntry, formatMessage, type ErrorCode } from '../core/errors/catalog.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import type { Ramkey } from '../services/ramkey.js';
import { MAX_BODY_BYTES } from './limits.js';
import { contentType, serialize, type Body, type ResponseFormat } from './render.js';

/** The host the call was addressed to, when it is a plausible one (ActionTrail's eventSource). */
export function hostId(request: FastifyRequest): string {
  const host = request.headers.host;
  return host && host.length <= 255 && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : 'ramkey';
}

/** The error body a caller gets. */
export function errorBody(request: FastifyRequest, error: RamkeyError): Body {
  const entry = catalogEntry(error.code);
  return {
    RequestId: request.id,
    HostId: hostId(request),
    Code: error.code,
    Message: error.message,
    ...(entry.recommend !== undefined && { Recommend: entry.recommend }),
    ...error.extra,
  };
}

export function sendErrorReply(
  ramkey: Ramkey,
  request: FastifyRequest,
  reply: FastifyReply,
  error: RamkeyError,
  format: ResponseFormat,
  override?: { status: number; headers: Record<string, string> },
): FastifyReply {
  if (error.httpStatus >= 500) {
    request.log.error({ err: error.cause ?? error, reqId: request.id }, 'request failed');
  } else {
    // The detail names resources built from the caller's parameters: a secret sent as one is masked.
    const detail = error.detail === undefined ? undefined : ramkey.secretIndex.masker().text(error.detail);
    request.log.debug({ code: error.code, detail, reqId: request.id }, 'request refused');
  }
  return reply
    .status(override?.status ?? error.httpStatus)
    .headers(override?.headers ?? {})
    .header('content-type', contentType(format))
    .send(serialize(errorBody(request, error), format, 'Error'));
}

/**
 * The message an audit event keeps. SignatureDoesNotMatch carries the string to sign, which holds
 * every signed parameter's value, secrets sent where they do not belong included: the event keeps
 * the catalog's message without it.
 */
export function auditedMessage(error: RamkeyError): string {
  return error.code === 'SignatureDoesNotMatch' ? formatMessage(error.code) : error.message;
}

export function toRamkeyError(err: unknown): RamkeyError {
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
