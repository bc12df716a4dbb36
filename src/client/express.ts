// Express middleware: the request passes Ramkey's forward-auth before the next handler runs. It uses
// Node's request and response only (Express is named nowhere, not even as a type), so it serves any
// Connect-style server as well.
//
// Express has no hook between reading a body and parsing it, so the middleware finds the raw bytes
// where a body parser left them (`req.rawBody` from `express.json({ verify: keepRawBody })`, or the
// Buffer of `express.raw()`), or, mounted before any parser, reads the body itself and leaves it in
// `req.body` as a Buffer, as express.raw() would. A parser that read the body and kept no bytes is a
// setup error: the middleware passes an Error to next() rather than let an unchecked body through.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './body.js';
import { bodyTooLarge, type LocalRefusal } from './errors.js';
import { originalHost, type ForwardAuthClient, type RamkeyIdentity } from './forward-auth.js';
import { checkBody, declaredLength, type ForwardAuthOptions } from './guard.js';

declare global {
  // Express merges its Request type with this global namespace (@types/express-serve-static-core);
  // without Express installed it is an empty declaration.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Who signed the request, once Ramkey allowed it (set by expressForwardAuth). */
      ramkey?: RamkeyIdentity;
      /** The body's bytes as received (set by keepRawBody, or by expressForwardAuth when it reads the body). */
      rawBody?: Buffer;
    }
  }
}

/** What the middleware uses of a request; Express's Request has all of it. */
export interface ForwardAuthRequest extends IncomingMessage {
  originalUrl?: string;
  ip?: string | undefined;
  body?: unknown;
  rawBody?: unknown;
  ramkey?: RamkeyIdentity;
}

export interface ExpressForwardAuthOptions extends ForwardAuthOptions<ForwardAuthRequest> {
  /** The largest body, in bytes, that the middleware reads itself; default 1 MiB (as Fastify's). */
  readonly bodyLimit?: number;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * A middleware for `app.use(...)` (or a route): on an allow it sets `req.ramkey` and calls next();
 * refusals are Ramkey's status and body, unchanged; a body that does not match the signed hash is
 * refused with 400 IncompleteSignature, one over `bodyLimit` with 413 InvalidParameter.Body.TooLarge.
 */
export function expressForwardAuth(
  client: ForwardAuthClient,
  options: ExpressForwardAuthOptions = {},
): (req: ForwardAuthRequest, res: ServerResponse, next: (err?: unknown) => void) => void {
  const forwardBody = options.forwardBody ?? false;
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const clientIp = options.clientIp ?? ((req: ForwardAuthRequest) => req.ip ?? req.socket.remoteAddress);

  /** Ramkey, then the body; true when the request may go on, false when a refusal was sent. */
  async function guard(req: ForwardAuthRequest, res: ServerResponse): Promise<boolean> {
    let body: Buffer | undefined;
    if (forwardBody) {
      const read = await bodyOf(req, res, limit);
      if (!Buffer.isBuffer(read)) return refuse(res, read);
      body = read;
    }
    const verdict = await client.verify({
      method: req.method ?? 'GET',
      url: req.originalUrl ?? req.url ?? '/',
      headers: req.headers,
      clientIp: clientIp(req),
      body,
    });
    if (!verdict.allowed) return refuse(res, verdict);
    if (body === undefined && !verdict.identity.BodyVerified) {
      // Read only now: a request Ramkey refuses never has its body read.
      const read = await bodyOf(req, res, limit);
      if (!Buffer.isBuffer(read)) return refuse(res, read);
      body = read;
    }
    const refused = body === undefined ? undefined : checkBody(verdict.identity, body, req.headers);
    if (refused) return refuse(res, refused);
    req.ramkey = verdict.identity;
    return true;
  }

  return (req, res, next) => {
    guard(req, res).then((allowed) => {
      if (allowed) next();
    }, next);
  };
}

/**
 * For a body parser's `verify` option (`express.json({ verify: keepRawBody })`): keeps the bytes
 * the parser read in `req.rawBody`, where expressForwardAuth checks them.
 */
export function keepRawBody(req: IncomingMessage, _res: ServerResponse, buf: Buffer): void {
  (req as ForwardAuthRequest).rawBody = buf;
}

/** The body's raw bytes, wherever they are (see the top of this file), or the refusal to send. */
async function bodyOf(
  req: ForwardAuthRequest,
  res: ServerResponse,
  limit: number,
): Promise<Buffer | LocalRefusal> {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (Buffer.isBuffer(req.body)) return req.body;
  if (!req.readableEnded && !req.readableDidRead) {
    const declared = declaredLength(req.headers);
    const read =
      declared !== undefined && declared > limit ? ({ tooLarge: true } as const) : await readBody(req, limit);
    if ('tooLarge' in read) {
      // The rest of the body is never read: close the connection rather than drain it.
      res.setHeader('connection', 'close');
      return bodyTooLarge(originalHost(req.headers), limit);
    }
    req.rawBody = read.body;
    // A parser mounted after this finds the stream read and leaves req.body as it is.
    if (req.body === undefined && read.body.length > 0) req.body = read.body;
    return read.body;
  }
  // Read by someone else: an empty body needs no bytes kept to be known.
  if (declaredLength(req.headers) === 0) return Buffer.alloc(0);
  throw new Error(
    'expressForwardAuth: the request body was read before it and its bytes were not kept; mount it ' +
      'before the body parsers, or give them { verify: keepRawBody }, or use express.raw()',
  );
}

function refuse(res: ServerResponse, refusal: LocalRefusal): false {
  res.statusCode = refusal.status;
  res.setHeader('content-type', refusal.contentType);
  res.setHeader('content-length', Buffer.byteLength(refusal.body));
  res.end(refusal.body);
  return false;
}
