// A minimal RPC client for the CLI: signs each request with ACS3-HMAC-SHA256 exactly as the
// official SDKs do, sends it over HTTP(S), and turns error envelopes into ApiError.
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { toWireDate } from '../core/clock.js';
import { signV3 } from '../core/signature/index.js';
import { CliError } from './exit-codes.js';

export interface ClientCredentials {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** Where the AccessKey came from (`profile default in ~/.aliyun/config.json`), for error hints. */
  source?: string;
}

/** The error envelope the API answers with (Alibaba's shape), as far as the server filled it in. */
export interface ApiErrorBody {
  Code: string;
  Message: string;
  RequestId: string;
  HostId?: string;
  Recommend?: string;
  /** Why a NoPermission was decided: AuthAction, AuthResource, NoPermissionType, PolicyName... */
  AccessDeniedDetail?: Record<string, unknown>;
}

/** What the client knew when the call failed: the key it signed with, and both clocks. */
export interface ApiErrorContext {
  accessKeyId: string;
  /** Where the AccessKey and its secret came from, when known. */
  source?: string;
  /** When this machine signed the request (epoch ms). */
  signedAt: number;
  /** The server's Date header, when it sent one. */
  serverDate?: string;
}

export class ApiError extends Error {
  readonly code: string;
  readonly requestId: string;

  constructor(
    readonly body: ApiErrorBody,
    readonly httpStatus: number,
    readonly context: ApiErrorContext,
    /** What the CLI adds to the server's Recommend (a flag of the command that would help). */
    readonly hint?: string,
  ) {
    super(body.Message);
    this.name = 'ApiError';
    this.code = body.Code;
    this.requestId = body.RequestId;
  }
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

export class RamkeyClient {
  private readonly url: URL;

  /** `credentials.endpoint` is an http(s) origin, as credentials.ts's parseEndpoint returns it. */
  constructor(private readonly credentials: ClientCredentials) {
    this.url = new URL(credentials.endpoint);
  }

  /** Calls one RPC action; parameters travel in the query string, as the official SDKs send them. */
  async call(
    version: string,
    action: string,
    params: Record<string, string> = {},
  ): Promise<Record<string, unknown>> {
    const signedAt = Date.now();
    const signed = signV3({
      method: 'POST',
      host: this.url.host,
      action,
      version,
      query: params,
      body: '',
      accessKeyId: this.credentials.accessKeyId,
      secret: this.credentials.accessKeySecret,
      nonce: randomBytes(16).toString('hex'),
      date: toWireDate(signedAt),
    });
    const query = new URLSearchParams(params).toString();
    const { status, body, serverDate } = await this.send(query, signed.headers);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new CliError(
        `The server at ${this.url.origin} answered HTTP ${status} with a body that is not JSON.`,
      );
    }
    if (status >= 400) {
      const str = (v: unknown) => (typeof v === 'string' ? v : '');
      const detail = parsed.AccessDeniedDetail;
      throw new ApiError(
        {
          Code: str(parsed.Code),
          Message: str(parsed.Message),
          RequestId: str(parsed.RequestId),
          ...(typeof parsed.HostId === 'string' && { HostId: parsed.HostId }),
          ...(typeof parsed.Recommend === 'string' && { Recommend: parsed.Recommend }),
          ...(typeof detail === 'object' &&
            detail !== null &&
            !Array.isArray(detail) && { AccessDeniedDetail: detail as Record<string, unknown> }),
        },
        status,
        {
          accessKeyId: this.credentials.accessKeyId,
          ...(this.credentials.source !== undefined && { source: this.credentials.source }),
          signedAt,
          ...(serverDate !== undefined && { serverDate }),
        },
      );
    }
    return parsed;
  }

  private send(
    query: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string; serverDate: string | undefined }> {
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          method: 'POST',
          hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
          port: this.url.port || undefined,
          path: `/${query ? `?${query}` : ''}`,
          headers: { ...headers, accept: 'application/json', 'content-length': '0' },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              serverDate: res.headers.date,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
      req.on('error', (err) => {
        reject(new CliError(`Cannot reach Ramkey at ${this.url.origin}: ${err.message}`));
      });
      req.end();
    });
  }
}
