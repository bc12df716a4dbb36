// RamkeyError: the one error class that crosses layers, carrying a catalog code.
import { catalog, formatMessage, type ErrorCode } from './catalog.js';

export interface RamkeyErrorOptions {
  /** Values for the catalog message's placeholders (parameter names, never secrets). */
  params?: readonly string[];
  /** For logs only; never sent to a client. */
  detail?: string;
  cause?: unknown;
  /** Extra fields rendered into the error body (e.g. AccessDeniedDetail). */
  extra?: Record<string, unknown>;
}

export class RamkeyError extends Error {
  readonly code: ErrorCode;
  readonly params: readonly string[];
  readonly detail: string | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, options: RamkeyErrorOptions = {}) {
    super(formatMessage(code, options.params), { cause: options.cause });
    this.name = 'RamkeyError';
    this.code = code;
    this.params = options.params ?? [];
    this.detail = options.detail;
    this.extra = options.extra;
  }

  get httpStatus(): number {
    return catalog[this.code].httpStatus;
  }
}

/** A verification outcome as a value: the core reports failures this way instead of throwing. */
export type Result<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; params?: readonly string[] };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ErrorCode, ...params: string[]): Result<T> {
  return params.length > 0 ? { ok: false, code, params } : { ok: false, code };
}
