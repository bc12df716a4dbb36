// Fastify plugin: every route of the context it is registered in passes Ramkey's forward-auth first.
//
// A plugin rather than one hook, because the body must be checked before any content-type parser
// turns it into something else: onRequest asks Ramkey (from the headers, before the body is read),
// and preParsing reads the raw body, checks it against the signed hash (or sends it to Ramkey, with
// forwardBody) and hands the parsers the same bytes. A parser, a validator or a handler never sees a
// body that was not signed. Fastify is named by type only: nothing of it is loaded at run time.
import { Readable } from 'node:stream';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { readBody } from './body.js';
import { bodyTooLarge, type LocalRefusal } from './errors.js';
import { originalHost, type ForwardAuthClient, type RamkeyIdentity } from './forward-auth.js';
import { checkBody, declaredLength, type ForwardAuthOptions } from './guard.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who signed the request, once Ramkey allowed it; null where no forward-auth plugin guards the route. */
    ramkey: RamkeyIdentity | null;
  }
}

export type FastifyForwardAuthOptions = ForwardAuthOptions<FastifyRequest>;

/**
 * A plugin for `app.register(...)`: it guards the routes of the context it is registered in (all of
 * them when registered on the root), and leaves the identity in `request.ramkey`. Refusals are
 * Ramkey's status and body, unchanged; a body that does not match the signed hash is refused with
 * 400 IncompleteSignature; a body over the route's bodyLimit with 413 InvalidParameter.Body.TooLarge.
 * Register it before other preParsing hooks (decompression, say): the signed hash is of the bytes
 * as sent.
 */
export function fastifyForwardAuth(
  client: ForwardAuthClient,
  options: FastifyForwardAuthOptions = {},
): FastifyPluginCallback {
  const forwardBody = options.forwardBody ?? false;
  const clientIp = options.clientIp ?? ((request: FastifyRequest) => request.ip);

  /** Asks Ramkey; on an allow, records the identity on the request; on a refusal, sends it. */
  async function admit(request: FastifyRequest, reply: FastifyReply, body?: Buffer): Promise<boolean> {
    const verdict = await client.verify({
      method: request.method,
      url: request.originalUrl,
      headers: request.headers,
      clientIp: clientIp(request),
      body,
    });
    if (verdict.allowed) {
      request.ramkey = verdict.identity;
      return true;
    }
    if (verdict.cause) request.log.warn({ err: verdict.cause }, 'forward-auth: Ramkey unavailable, refused');
    send(reply, verdict);
    return false;
  }

  const plugin: FastifyPluginCallback = (instance, _opts, done) => {
    if (!instance.hasRequestDecorator('ramkey')) instance.decorateRequest('ramkey', null);

    if (!forwardBody) {
      instance.addHook('onRequest', async (request, reply) => {
        if (!(await admit(request, reply))) return reply;
        return undefined;
      });
    }

    instance.addHook('preParsing', async (request, reply, payload) => {
      const limit = request.routeOptions.bodyLimit;
      const declared = declaredLength(request.headers);
      const read =
        declared !== undefined && declared > limit
          ? ({ tooLarge: true } as const)
          : await readBody(payload, limit);
      if ('tooLarge' in read) {
        // The rest of the body is never read: close the connection rather than drain it.
        reply.header('connection', 'close');
        send(reply, bodyTooLarge(originalHost(request.headers), limit));
        return payload;
      }
      if (forwardBody && !(await admit(request, reply, read.body))) return payload;
      const identity = request.ramkey;
      // Fail closed should onRequest not have run for this request (a plugin registered oddly).
      if (identity === null) throw new Error('forward-auth: no identity before the body check');
      const refused = checkBody(identity, read.body, request.headers);
      if (refused) {
        send(reply, refused);
        return payload;
      }
      // The parsers get the very bytes that were checked (byte mode, so that parsers reading text can
      // set an encoding). Fastify compares Content-Length with the length received, which an earlier
      // hook's stream may report (one that decoded what it read); otherwise it is what was read here.
      const checked = Readable.from(read.body.length === 0 ? [] : [read.body], { objectMode: false });
      const received = (payload as { receivedEncodedLength?: number }).receivedEncodedLength;
      return Object.assign(checked, { receivedEncodedLength: received ?? read.body.length });
    });

    done();
  };
  // fastify-plugin's two marks, without the package: the hooks apply to the context the plugin is
  // registered in, not to a child context of their own (which would guard nothing).
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'ramkey-forward-auth',
  });
}

function send(reply: FastifyReply, refusal: LocalRefusal): void {
  // A string body is sent as it is, whatever its content type: byte for byte what Ramkey said.
  void reply.code(refusal.status).header('content-type', refusal.contentType).send(refusal.body);
}
