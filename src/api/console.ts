// The web console over HTTP: its static files at /console (with a strict Content-Security-Policy),
// and /console/api: sign-in, the session, sign-out, and `rpc`, which runs any API action as the
// signed-in principal through the same gate, handlers and audit trail as a signed call.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { MAX_SIGNIN_FIELD_LENGTH } from '../core/identity/login-name.js';
import { MFA_TICKET_TTL_MS } from '../core/identity/mfa-ticket.js';
import { decodeFormParams, splitParams } from '../core/signature/form-params.js';
import type { Param } from '../core/signature/signed-request.js';
import type { CallRecord } from '../services/audit-trail.js';
import type { ActiveSession, ConsoleRequestInfo } from '../services/console-sessions.js';
import type { Connection } from '../services/gate/admission.js';
import { SUCCESS } from '../services/metrics.js';
import type { Ramkey } from '../services/ramkey.js';
import { admitAndRun, resourcesOf } from './dispatch.js';
import { auditedMessage, hostId, sendErrorReply, toRamkeyError } from './error-reply.js';
import { Params } from './params.js';
import { findAction, isKnownVersion } from './registry.js';
import { serialize, type Body } from './render.js';

export const SESSION_COOKIE = 'ramkey_console';
/** The browser's MFA ticket (EnableSaveMFATicket); sent to the sign-in endpoint only. */
export const MFA_TICKET_COOKIE = 'ramkey_mfa_ticket';
const SIGNIN_PATH = '/console/api/signin';
export const CSRF_HEADER = 'x-ramkey-csrf';

/** No inline script or style, nothing from elsewhere, never framed. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

/**
 * Where `npm run build` puts the console: dist/console, next to dist/api (this module built) or,
 * when this module runs from src (tests), in the repository's dist.
 */
export function defaultConsoleDir(): string {
  const built = fileURLToPath(new URL('../console', import.meta.url));
  const fromSource = fileURLToPath(new URL('../../dist/console', import.meta.url));
  return isDirectory(built) ? built : fromSource;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Every file of the built console, read once: by path below /console/ (`index.html`, `assets/x.js`). */
function loadStatic(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!isDirectory(dir)) return files;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const name = relative(dir, path).split(sep).join('/');
    files.set(name, {
      body: readFileSync(path),
      type: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    });
  }
  return files;
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

export interface ConsoleRoutesOptions {
  ramkey: Ramkey;
  /** The built console; see defaultConsoleDir. */
  consoleDir: string;
  connectionOf: (request: FastifyRequest) => Connection;
}

export function registerConsole(app: FastifyInstance, options: ConsoleRoutesOptions): void {
  const { ramkey, connectionOf } = options;
  const sessions = ramkey.consoleSessions;
  const files = loadStatic(options.consoleDir);

  const sendJson = (reply: FastifyReply, body: Body) =>
    reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(serialize(body, 'JSON', ''));
  const sendError = (request: FastifyRequest, reply: FastifyReply, err: unknown) =>
    sendErrorReply(ramkey, request, reply.header('cache-control', 'no-store'), toRamkeyError(err), 'JSON');

  const infoOf = (request: FastifyRequest): ConsoleRequestInfo => ({
    requestId: request.id,
    host: hostId(request),
    connection: connectionOf(request),
  });

  /**
   * A browser's cross-site request is refused: the session cookie is SameSite=Strict already, and
   * sign-in (which has no session yet) must not be forged either.
   */
  function sameOrigin(request: FastifyRequest): boolean {
    if (headerOf(request, 'sec-fetch-site') === 'cross-site') return false;
    const origin = headerOf(request, 'origin');
    return origin === undefined || origin === `${request.protocol}://${request.host}`;
  }

  /** The session of a request carrying its cookie and CSRF token, or the refusal. */
  async function sessionOf(
    request: FastifyRequest,
    withCsrf: boolean,
  ): Promise<{ token: string; session: ActiveSession }> {
    const token = cookieOf(request, SESSION_COOKIE);
    const session = await sessions.resume(token, connectionOf(request).sourceIp);
    if (!token || !session) throw new RamkeyError('ConsoleSessionRequired');
    if (withCsrf && (!sameOrigin(request) || !sessions.checkCsrf(token, headerOf(request, CSRF_HEADER)))) {
      throw new RamkeyError('InvalidCsrfToken');
    }
    return { token, session };
  }

  /** A Set-Cookie value: HttpOnly, SameSite=Strict, Secure under TLS; `maxAge` 0 clears it. */
  function cookie(
    request: FastifyRequest,
    spec: { name: string; value: string; path: string; maxAgeSeconds?: number },
  ): string {
    const parts = [`${spec.name}=${spec.value}`, `Path=${spec.path}`, 'HttpOnly', 'SameSite=Strict'];
    if (request.protocol === 'https') parts.push('Secure');
    if (spec.maxAgeSeconds !== undefined) parts.push(`Max-Age=${String(spec.maxAgeSeconds)}`);
    return parts.join('; ');
  }

  function sessionCookie(request: FastifyRequest, token: string | undefined): string {
    const session = { name: SESSION_COOKIE, path: '/console' };
    return cookie(
      request,
      token === undefined ? { ...session, value: '', maxAgeSeconds: 0 } : { ...session, value: token },
    );
  }

  /** The MFA ticket cookie: a new ticket for 7 days, or cleared (undefined). */
  function ticketCookie(request: FastifyRequest, ticket: string | undefined): string {
    return cookie(request, {
      name: MFA_TICKET_COOKIE,
      value: ticket ?? '',
      path: SIGNIN_PATH,
      maxAgeSeconds: ticket === undefined ? 0 : MFA_TICKET_TTL_MS / 1000,
    });
  }

  app.get('/console/api/session', async (request, reply) => {
    try {
      const { session } = await sessionOf(request, false);
      return await sendJson(reply, { RequestId: request.id, Session: session.view });
    } catch (err) {
      return sendError(request, reply, err);
    }
  });

  app.post(SIGNIN_PATH, async (request, reply) => {
    const info = infoOf(request);
    try {
      if (!ramkey.signinFailures.allows(info.connection.sourceIp) || ramkey.audit.backlogged()) {
        throw new RamkeyError('Throttling');
      }
      if (!sameOrigin(request)) throw new RamkeyError('InvalidCsrfToken');
      const input = { ...signinInput(request), mfaTicket: cookieOf(request, MFA_TICKET_COOKIE) };
      try {
        const { token, session, newMfaTicket, forgetMfaTicket } = await sessions.signIn(input, info);
        const cookies = [sessionCookie(request, token)];
        if (newMfaTicket !== undefined || forgetMfaTicket) cookies.push(ticketCookie(request, newMfaTicket));
        reply.header('set-cookie', cookies);
        return await sendJson(reply, { RequestId: request.id, Session: session.view });
      } catch (err) {
        if (err instanceof RamkeyError && (err.code === 'SigninFailed' || err.code === 'InvalidMFACode')) {
          ramkey.signinFailures.fail(info.connection.sourceIp);
        }
        throw err;
      }
    } catch (err) {
      return sendError(request, reply, err);
    }
  });

  app.post('/console/api/signout', async (request, reply) => {
    try {
      const { token, session } = await sessionOf(request, true);
      await sessions.signOut(token, session, infoOf(request));
      reply.header('set-cookie', sessionCookie(request, undefined));
      return await sendJson(reply, { RequestId: request.id });
    } catch (err) {
      return sendError(request, reply, err);
    }
  });

  app.post('/console/api/rpc', async (request, reply) => {
    const startedAt = performance.now();
    let call: CallRecord = {
      requestId: request.id,
      receivedAt: ramkey.clock.now(),
      host: hostId(request),
      connection: connectionOf(request),
      eventType: 'ConsoleOperation',
    };
    let opened: { token: string; session: ActiveSession };
    try {
      if (ramkey.audit.backlogged()) throw new RamkeyError('Throttling');
      opened = await sessionOf(request, true);
    } catch (err) {
      // No session, no event: like a call that names no key, it is nobody's.
      return sendError(request, reply, err);
    }
    const { token, session } = opened;
    let body: Body | undefined;
    let failure: RamkeyError | undefined;
    try {
      const { action, version, params } = rpcInput(request);
      call = { ...call, request: { accessKeyId: '', action, version, params } };
      if (!isKnownVersion(version)) throw new RamkeyError('InvalidVersion');
      const def = findAction(version, action);
      if (!def) throw new RamkeyError('InvalidAction.NotFound');
      call = { ...call, action: def };
      const typed = new Params(params);
      const pending = ramkey.gate.admitConsole({
        principal: session.principal,
        session: { sessionId: session.record.sessionId, mfaPresent: session.record.mfaPresent },
        action: def,
        resources: resourcesOf(ramkey, def, typed),
        connection: call.connection,
      });
      const run = await admitAndRun(ramkey, call, def, typed, { pending, route: 'console', startedAt });
      call = run.call;
      if (!run.ok) throw run.error;
      // The session's own password change (proving the old one) keeps it signed in.
      if (def.name === 'ChangePassword') await sessions.passwordChangedBySession(token);
      body = run.body;
    } catch (err) {
      failure = toRamkeyError(err);
      call = { ...call, error: { code: failure.code, message: auditedMessage(failure) } };
    }
    await ramkey.audit.record(call).catch((err: unknown) => {
      request.log.error({ err, reqId: request.id }, 'audit event not recorded');
    });
    ramkey.metrics.countRequest('console', call.action?.authAction, failure ? failure.code : SUCCESS);
    if (failure) return sendError(request, reply, failure);
    return sendJson(reply, { RequestId: request.id, ...body });
  });

  app.all('/console/api/*', (request, reply) =>
    sendError(request, reply, new RamkeyError('InvalidAction.NotFound')),
  );

  const serveStatic = (request: FastifyRequest, reply: FastifyReply, path: string) => {
    const file = files.get(path);
    const page = file ?? (path.startsWith('assets/') ? undefined : files.get('index.html'));
    if (!page) {
      return reply
        .code(files.size === 0 ? 503 : 404)
        .header('content-type', 'text/plain; charset=utf-8')
        .send(
          files.size === 0
            ? 'The console is not built: run `npm run build` (npm install does it).\n'
            : 'Not found.\n',
        );
    }
    return reply
      .headers(SECURITY_HEADERS)
      .header('content-type', page.type)
      .header(
        'cache-control',
        file && path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
      .send(page.body);
  };

  app.get('/console', (request, reply) => serveStatic(request, reply, 'index.html'));
  app.get('/console/*', (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    return serveStatic(request, reply, path === '' ? 'index.html' : path);
  });
}

/** The sign-in form, as JSON: strings only, bounded. */
function signinInput(request: FastifyRequest): {
  loginName: string;
  password: string;
  mfaCode?: string;
  rememberMfa: boolean;
} {
  const type = headerOf(request, 'content-type') ?? '';
  if (!/^application\/json(;|$)/i.test(type)) throw new RamkeyError('InvalidParameter.ContentType');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '');
  } catch {
    throw new RamkeyError('InvalidParameter', { params: ['body'] });
  }
  if (typeof parsed !== 'object' || parsed === null)
    throw new RamkeyError('InvalidParameter', { params: ['body'] });
  const form = parsed as Record<string, unknown>;
  const field = (name: string, required: boolean): string | undefined => {
    const value = form[name];
    if (value === undefined || value === null || value === '') {
      if (required) throw new RamkeyError('MissingParameter', { params: [name] });
      return undefined;
    }
    if (typeof value !== 'string') throw new RamkeyError('InvalidParameter', { params: [name] });
    if (value.length > MAX_SIGNIN_FIELD_LENGTH) {
      throw new RamkeyError('InvalidParameter.TooLong', { params: [name, String(MAX_SIGNIN_FIELD_LENGTH)] });
    }
    return value;
  };
  const loginName = field('LoginName', true) ?? '';
  const password = field('Password', true) ?? '';
  const mfaCode = field('MFACode', false);
  const remember = form.RememberMFA;
  if (remember !== undefined && typeof remember !== 'boolean')
    throw new RamkeyError('InvalidParameter', { params: ['RememberMFA'] });
  const rememberMfa = remember === true;
  return mfaCode === undefined
    ? { loginName, password, rememberMfa }
    : { loginName, password, mfaCode, rememberMfa };
}

/** A console call's form: Action, Version and the action's parameters (Format is always JSON). */
function rpcInput(request: FastifyRequest): { action: string; version: string; params: Map<string, string> } {
  const type = headerOf(request, 'content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded(;|$)/i.test(type)) {
    throw new RamkeyError('InvalidParameter.ContentType');
  }
  const pairs: Param[] = [];
  const body = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
  const decoded = decodeFormParams(body, pairs);
  if (!decoded.ok) throw new RamkeyError(decoded.code, decoded.params ? { params: decoded.params } : {});
  const split = splitParams(pairs, ['Action', 'Version', 'Format']);
  if (!split.ok) throw new RamkeyError(split.code, split.params ? { params: split.params } : {});
  const [action, version] = split.value.fields;
  if (action === undefined) throw new RamkeyError('MissingParameter', { params: ['Action'] });
  if (version === undefined) throw new RamkeyError('MissingParameter', { params: ['Version'] });
  return { action, version, params: split.value.business };
}
