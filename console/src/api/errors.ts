// Errors from /console/api/*: the API's envelope, kept whole so pages can show Code, Message and the denial detail.

/** The part of an AccessDenied answer that says which statement (or none) decided. */
export interface AccessDeniedDetail {
  readonly PolicyType?: string;
  readonly AuthPrincipalOwnerId?: string;
  readonly AuthPrincipalType?: string;
  readonly AuthPrincipalDisplayName?: string;
  readonly NoPermissionType?: string;
  readonly AuthAction?: string;
  readonly [field: string]: unknown;
}

/** The error envelope every endpoint answers with: `{"RequestId","HostId","Code","Message",...}`. */
export class ApiError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly requestId: string | undefined;
  readonly recommend: string | undefined;
  readonly accessDeniedDetail: AccessDeniedDetail | undefined;
  /** The whole envelope, for fields one endpoint adds (sign-in's SaveMFATicketAllowed). */
  readonly envelope: Readonly<Record<string, unknown>>;

  constructor(fields: {
    code: string;
    message: string;
    httpStatus: number;
    requestId?: string | undefined;
    recommend?: string | undefined;
    accessDeniedDetail?: AccessDeniedDetail | undefined;
    envelope?: Readonly<Record<string, unknown>>;
  }) {
    super(fields.message);
    this.name = 'ApiError';
    this.code = fields.code;
    this.httpStatus = fields.httpStatus;
    this.requestId = fields.requestId;
    this.recommend = fields.recommend;
    this.accessDeniedDetail = fields.accessDeniedDetail;
    this.envelope = fields.envelope ?? {};
  }
}

/** Codes the console produces itself, for failures that never reached the API's envelope. */
export const NETWORK_ERROR = 'Console.NetworkError';
export const BAD_RESPONSE = 'Console.BadResponse';

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Reads the envelope out of a parsed body; a body that is not one still becomes an ApiError with the status. */
export function apiErrorFrom(httpStatus: number, body: unknown): ApiError {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const detail = fields.AccessDeniedDetail;
  return new ApiError({
    code: str(fields.Code) ?? BAD_RESPONSE,
    message: str(fields.Message) ?? `The server answered HTTP ${httpStatus} without an error message.`,
    httpStatus,
    requestId: str(fields.RequestId),
    recommend: str(fields.Recommend),
    accessDeniedDetail:
      typeof detail === 'object' && detail !== null ? (detail as AccessDeniedDetail) : undefined,
    envelope: fields,
  });
}

/** Any thrown value as an ApiError, so error boxes have one shape to show. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError({
    code: NETWORK_ERROR,
    message: error instanceof Error ? error.message : String(error),
    httpStatus: 0,
  });
}
