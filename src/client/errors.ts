// Error bodies the client answers with itself, shaped as Ramkey's (and Alibaba Cloud's) own, so that
// the official SDKs on the far side read them like any other refusal.
//
// The client imports nothing of Ramkey (it ships alone), so the codes and messages are copied from
// the server's catalog (src/core/errors/catalog.ts); test/client/client.test.ts keeps them in step.
import { randomUUID } from 'node:crypto';

export const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';

/** A refusal the client makes itself: the HTTP status and the exact body to send. */
export interface LocalRefusal {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

/** The catalog's messages for the codes the client uses, word for word. */
export const MESSAGES = {
  ServiceUnavailable: 'The request has failed due to a temporary failure of the server.',
  IncompleteSignature: 'The request signature does not conform to Aliyun standards.',
  InternalError: 'An internal error occurred.',
  BodyTooLarge: 'The request body is larger than {0} bytes.',
} as const;

/**
 * An error body `{ RequestId, HostId, Code, Message }` with the given status. `requestId` ties it to
 * Ramkey's audit event when there is one; otherwise a fresh ID in Ramkey's format (an upper-case
 * UUID) lets the caller's report be found in this server's logs.
 */
export function refusal(
  status: number,
  code: string,
  message: string,
  host: string | undefined,
  requestId: string = randomUUID().toUpperCase(),
): LocalRefusal {
  const body = JSON.stringify({ RequestId: requestId, HostId: hostId(host), Code: code, Message: message });
  return { status, body, contentType: JSON_CONTENT_TYPE };
}

/** Fail closed: Ramkey could not be asked, or did not answer as the contract says. */
export function unavailable(host: string | undefined): LocalRefusal {
  return refusal(503, 'ServiceUnavailable', MESSAGES.ServiceUnavailable, host);
}

/**
 * The body does not hash to the signed x-acs-content-sha256: the code and message Ramkey answers
 * when it checks the body itself, so that a client sees the same refusal either way.
 */
export function bodyMismatch(host: string | undefined, requestId: string): LocalRefusal {
  const message = `${MESSAGES.IncompleteSignature} x-acs-content-sha256 does not match the body.`;
  return refusal(400, 'IncompleteSignature', message, host, requestId);
}

/** A body that no signature covers (an RPC V1 request signed over its query alone, say). */
export function bodyUnsigned(host: string | undefined, requestId: string): LocalRefusal {
  const message = `${MESSAGES.IncompleteSignature} The request body is not covered by the signature.`;
  return refusal(400, 'IncompleteSignature', message, host, requestId);
}

export function bodyTooLarge(host: string | undefined, limit: number): LocalRefusal {
  const message = MESSAGES.BodyTooLarge.replace('{0}', String(limit));
  return refusal(413, 'InvalidParameter.Body.TooLarge', message, host);
}

/** A fault on this server's side, such as a middleware set up so that it cannot see the body. */
export function internalError(host: string | undefined): LocalRefusal {
  return refusal(500, 'InternalError', MESSAGES.InternalError, host);
}

/** The HostId Ramkey reports: the Host header when it looks like one, else `ramkey`. */
function hostId(host: string | undefined): string {
  return host && host.length <= 255 && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : 'ramkey';
}
