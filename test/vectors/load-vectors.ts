// Loads the signature vectors (captured SDK requests and hand-made ones) into one shape for any test suite.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The SDK captures, copied byte for byte from the shared reference (reference/vectors/) so that a
 * clone of this repository tests on its own; never edit them, replace them with new captures.
 */
export const SHARED_VECTOR_DIR = new URL('./sdk/', import.meta.url);
/** Ramkey's own vectors: this folder (see README.md here). */
export const LOCAL_VECTOR_DIR = new URL('./', import.meta.url);

export interface V1SignerInput {
  method: 'GET' | 'POST';
  params: Record<string, string>;
  nonce: string;
  timestamp: string;
}

export interface V3SignerInput {
  method: 'GET' | 'POST';
  host: string;
  action: string;
  version: string;
  query: Record<string, string>;
  body: string;
  contentType?: string;
  nonce: string;
  date: string;
}

export interface SignatureVector {
  id: string;
  why: string;
  file: string;
  style: 'v1' | 'v3';
  accessKeyId: string;
  accessKeySecret: string;
  /** The server clock to check the request against. */
  nowMs: number;
  request: { method: string; rawQuery: string; headers: Record<string, string>; body: string };
  expected: {
    /** `ok`, or the catalog code of the first refusal (parse, then clock window, then signature). */
    result: string;
    params?: string[];
    canonicalizedQueryString?: string;
    canonicalRequest?: string;
    stringToSign?: string;
    signature?: string;
    signedHeaders?: string[];
  };
  /** Inputs for signRpcV1 / signV3 that reproduce the request (hand-made vectors only). */
  signerInput?: V1SignerInput | V3SignerInput;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, what: string): Json {
  if (!isRecord(value)) throw new Error(`vector: ${what} is not an object`);
  return value;
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`vector: ${what} is not a string`);
  return value;
}

function optionalStr(value: unknown, what: string): string | undefined {
  return value === undefined ? undefined : str(value, what);
}

function strings(value: unknown, what: string): string[] {
  if (!Array.isArray(value)) throw new Error(`vector: ${what} is not an array`);
  return value.map((v, i) => str(v, `${what}[${i}]`));
}

function stringRecord(value: unknown, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value, what))) out[k] = str(v, `${what}.${k}`);
  return out;
}

function instant(wire: string, what: string): number {
  const ms = Date.parse(wire);
  if (Number.isNaN(ms)) throw new Error(`vector: ${what} is not a date`);
  return ms;
}

function readJson(url: URL): Json {
  return record(JSON.parse(readFileSync(url, 'utf8')) as unknown, url.pathname);
}

function jsonFiles(dir: URL): URL[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => new URL(f, dir));
}

/** A captured SDK request (reference/vectors format: request, credentials, derived). */
function fromShared(file: URL): SignatureVector {
  const raw = readJson(file);
  const id = str(raw.name, 'name');
  const request = record(raw.request, 'request');
  const credentials = record(raw.credentials, 'credentials');
  const derived = record(raw.derived, 'derived');
  const headers = stringRecord(request.headers, 'request.headers');
  const style = str(raw.signatureStyle, 'signatureStyle').startsWith('ACS3') ? 'v3' : 'v1';
  const rawQuery = str(request.rawQuery, 'request.rawQuery');
  const body = str(request.body, 'request.body');
  // The vector's clock is its own signed time, read with the platform's parsers (not the code under test).
  const signedTime =
    style === 'v3'
      ? headers['x-acs-date']
      : (new URLSearchParams(rawQuery).get('Timestamp') ?? new URLSearchParams(body).get('Timestamp'));
  return {
    id,
    why: str(raw.description, 'description'),
    file: file.pathname,
    style,
    accessKeyId: str(credentials.accessKeyId, 'credentials.accessKeyId'),
    accessKeySecret: str(credentials.accessKeySecret, 'credentials.accessKeySecret'),
    nowMs: instant(str(signedTime, 'signed time'), 'signed time'),
    request: { method: str(request.method, 'request.method'), rawQuery, headers, body },
    expected: {
      result: 'ok',
      stringToSign: str(derived.stringToSign, 'derived.stringToSign'),
      signature: str(derived.expectedSignature, 'derived.expectedSignature'),
      canonicalRequest: optionalStr(derived.canonicalRequest, 'derived.canonicalRequest'),
      canonicalizedQueryString: optionalStr(
        derived.canonicalizedQueryString,
        'derived.canonicalizedQueryString',
      ),
      signedHeaders:
        derived.signedHeaders === undefined ? undefined : strings(derived.signedHeaders, 'signedHeaders'),
    },
  };
}

function signerInput(value: unknown, style: 'v1' | 'v3'): V1SignerInput | V3SignerInput | undefined {
  if (value === undefined) return undefined;
  const raw = record(value, 'signerInput');
  const method = str(raw.method, 'signerInput.method');
  if (method !== 'GET' && method !== 'POST') throw new Error('vector: signerInput.method');
  if (style === 'v1') {
    return {
      method,
      params: stringRecord(raw.params, 'signerInput.params'),
      nonce: str(raw.nonce, 'signerInput.nonce'),
      timestamp: str(raw.timestamp, 'signerInput.timestamp'),
    };
  }
  return {
    method,
    host: str(raw.host, 'signerInput.host'),
    action: str(raw.action, 'signerInput.action'),
    version: str(raw.version, 'signerInput.version'),
    query: stringRecord(raw.query, 'signerInput.query'),
    body: str(raw.body, 'signerInput.body'),
    contentType: optionalStr(raw.contentType, 'signerInput.contentType'),
    nonce: str(raw.nonce, 'signerInput.nonce'),
    date: str(raw.date, 'signerInput.date'),
  };
}

/** A Ramkey vector (test/vectors format: id, why, credentials, now, request, expected). */
function fromLocal(file: URL): SignatureVector {
  const raw = readJson(file);
  const request = record(raw.request, 'request');
  const credentials = record(raw.credentials, 'credentials');
  const expected = record(raw.expected, 'expected');
  const style = str(raw.style, 'style');
  if (style !== 'v1' && style !== 'v3') throw new Error('vector: style');
  return {
    id: str(raw.id, 'id'),
    why: str(raw.why, 'why'),
    file: file.pathname,
    style,
    accessKeyId: str(credentials.accessKeyId, 'credentials.accessKeyId'),
    accessKeySecret: str(credentials.accessKeySecret, 'credentials.accessKeySecret'),
    nowMs: instant(str(raw.now, 'now'), 'now'),
    request: {
      method: str(request.method, 'request.method'),
      rawQuery: str(request.rawQuery, 'request.rawQuery'),
      headers: stringRecord(request.headers, 'request.headers'),
      body: str(request.body, 'request.body'),
    },
    expected: {
      result: str(expected.result, 'expected.result'),
      params: expected.params === undefined ? undefined : strings(expected.params, 'expected.params'),
      stringToSign: optionalStr(expected.stringToSign, 'expected.stringToSign'),
      signature: optionalStr(expected.signature, 'expected.signature'),
      canonicalRequest: optionalStr(expected.canonicalRequest, 'expected.canonicalRequest'),
      canonicalizedQueryString: optionalStr(
        expected.canonicalizedQueryString,
        'expected.canonicalizedQueryString',
      ),
      signedHeaders:
        expected.signedHeaders === undefined ? undefined : strings(expected.signedHeaders, 'signedHeaders'),
    },
    signerInput: signerInput(raw.signerInput, style),
  };
}

export function loadSharedVectors(dir: URL = SHARED_VECTOR_DIR): SignatureVector[] {
  return jsonFiles(dir).map(fromShared);
}

export function loadLocalVectors(dir: URL = LOCAL_VECTOR_DIR): SignatureVector[] {
  return jsonFiles(dir).map(fromLocal);
}

/** Every vector that must be accepted. */
export function loadAcceptedVectors(): SignatureVector[] {
  return [...loadSharedVectors(), ...loadLocalVectors()].filter((v) => v.expected.result === 'ok');
}
