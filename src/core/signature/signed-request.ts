// The types at the signature module's edges: the raw HTTP pieces in, the parsed signed request out.

/** What the HTTP layer hands over: the request exactly as received, nothing interpreted yet. */
export interface HttpRequestParts {
  /** As received, e.g. `GET` or `POST`. It is signed as is (no case folding). */
  method: string;
  /** The raw query string after `?`, without the `?`; `''` when there is none. */
  rawQuery: string;
  /**
   * Node's `IncomingHttpHeaders` (lower-cased names). Prefer `req.headersDistinct`: Node joins a
   * repeated header into one `'a, b'` string, whereas V3 canonicalises repeats as sorted values
   * joined with `,`, so only the array form verifies such a request.
   */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body bytes; an empty Buffer when there is none. */
  body: Buffer;
}

export type SignatureStyle = 'v1' | 'v3';

/** A name/value pair exactly as decoded from the query string or form body. */
export type Param = readonly [name: string, value: string];

/** What V1 (RPC, HMAC-SHA1) verification needs: 5.2 of reference/alibaba-api.md. */
export interface V1Canonical {
  readonly style: 'v1';
  readonly method: string;
  /** Every query and form-body parameter except `Signature`, in arrival order. */
  readonly signedParams: readonly Param[];
  /**
   * The CanonicalizedQueryString (5.2 steps 1-3) of `signedParams`, when the parser could take it from
   * the request as sent (the SDK's own, sorted and encoded); the verifier then need not build it.
   */
  readonly canonicalizedQuery?: string | undefined;
  /** The `Signature` parameter as sent (decoded): base64 of the 20-byte HMAC-SHA1. */
  readonly signature: string;
}

/** What V3 (ACS3-HMAC-SHA256) verification needs: 5.3 of reference/alibaba-api.md. */
export interface V3Canonical {
  readonly style: 'v3';
  readonly method: string;
  /** The path as received (CanonicalURI): `/` at Ramkey's own endpoint, the API's path for a gateway. */
  readonly canonicalUri: string;
  /** Query-string parameters only (V3 signs the body through its hash), in arrival order. */
  readonly queryParams: readonly Param[];
  /** The CanonicalHeaders block for the client's SignedHeaders: `name:value\n` per header, sorted. */
  readonly canonicalHeaders: string;
  /** The SignedHeaders list exactly as the client sent it (`host;x-acs-action;...`). */
  readonly signedHeaders: string;
  /** `x-acs-content-sha256`, already checked against the body. */
  readonly hashedPayload: string;
  /** The `Signature=` of the Authorization header: lower-case hex of the 32-byte HMAC-SHA256. */
  readonly signature: string;
}

export type SignatureCanonical = V1Canonical | V3Canonical;

/** A request whose signature fields are well formed; not yet verified. */
export interface SignedRequest {
  readonly style: SignatureStyle;
  readonly accessKeyId: string;
  readonly action: string;
  readonly version: string;
  readonly nonce: string;
  /** The raw `Timestamp` (V1) or `x-acs-date` (V3). */
  readonly timestamp: string;
  /** `timestamp` as epoch milliseconds. */
  readonly timestampMs: number;
  /**
   * Business parameters: query and form body merged, without the V1 common signing parameters
   * (`AccessKeyId`, `Signature`, `SignatureMethod`, `SignatureVersion`, `SignatureNonce`, `Timestamp`)
   * and without `Action`/`Version`. `Format` stays. The same names are dropped from V3 requests too, so
   * a handler never mistakes one of them for an operation parameter.
   */
  readonly params: ReadonlyMap<string, string>;
  /** The pieces the verifier rebuilds the string to sign from. */
  readonly canonical: SignatureCanonical;
}
