// Loads the policy vectors (policies + request + expected Decision) and the policy corpus, for any test suite.
import { readdirSync, readFileSync } from 'node:fs';

/** This folder: one JSON file per evaluation vector (see README.md here). */
export const POLICY_VECTOR_DIR = new URL('./', import.meta.url);
/** Documents that must keep parsing, one raw file each. */
export const ACCEPTED_CORPUS_DIR = new URL('./corpus/accepted/', import.meta.url);
/** Documents that must be refused, each with the message fragment its refusal must contain. */
export const MALFORMED_CORPUS_DIR = new URL('./corpus/malformed/', import.meta.url);

export interface VectorPolicy {
  policyName: string;
  policyType: 'System' | 'Custom';
  /** The document as JSON; absent for a system policy, which is taken from `systemPolicies`. */
  document?: unknown;
}

export interface PolicyVector {
  id: string;
  why: string;
  policies: VectorPolicy[];
  request: {
    action: string;
    /** Other names of the action (IMS's `ims:<Action>`); absent means none. */
    actionAliases?: string[];
    resource: string;
    /**
     * As in RequestContext, except `currentTime` is ISO 8601 text (converted by `toRequestContext`).
     * A field left out is absent from the request: that is how the vectors test missing keys.
     */
    context: Record<string, unknown>;
  };
  expected: {
    effect: 'allow' | 'deny' | 'noMatch';
    statement?: {
      policyName: string;
      policyType: 'System' | 'Custom';
      index: number;
      effect: 'Allow' | 'Deny';
    };
  };
}

export interface MalformedCase {
  id: string;
  why: string;
  /** The catalog code; MalformedPolicyDocument unless stated. */
  code: string;
  /** A fragment the error message must contain. */
  messageIncludes: string;
  /** The exact text to parse (from `text`, or `document` serialized with JSON.stringify). */
  text: string;
}

function jsonFiles(dir: URL): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function loadPolicyVectors(): PolicyVector[] {
  return jsonFiles(POLICY_VECTOR_DIR).map((f) => {
    const v = JSON.parse(readFileSync(new URL(f, POLICY_VECTOR_DIR), 'utf8')) as PolicyVector;
    if (`${v.id}.json` !== f) throw new Error(`${f}: id ${v.id} does not match the file name`);
    return v;
  });
}

/**
 * The vector's context with `currentTime` as epoch milliseconds. Date.parse is the independent reading
 * of the vector's ISO text (the code under test has its own date parser).
 */
export function toRequestContext(context: Record<string, unknown>): Record<string, unknown> {
  const out = { ...context };
  if (typeof out.currentTime === 'string') out.currentTime = Date.parse(out.currentTime);
  return out;
}

export function loadAcceptedCorpus(): { id: string; text: string }[] {
  return jsonFiles(ACCEPTED_CORPUS_DIR).map((f) => ({
    id: f.replace(/\.json$/, ''),
    text: readFileSync(new URL(f, ACCEPTED_CORPUS_DIR), 'utf8'),
  }));
}

export function loadMalformedCorpus(): MalformedCase[] {
  return jsonFiles(MALFORMED_CORPUS_DIR).map((f) => {
    const raw = JSON.parse(readFileSync(new URL(f, MALFORMED_CORPUS_DIR), 'utf8')) as {
      why: string;
      code?: string;
      messageIncludes: string;
      text?: string;
      document?: unknown;
    };
    return {
      id: f.replace(/\.json$/, ''),
      why: raw.why,
      code: raw.code ?? 'MalformedPolicyDocument',
      messageIncludes: raw.messageIncludes,
      text: raw.text ?? JSON.stringify(raw.document),
    };
  });
}
