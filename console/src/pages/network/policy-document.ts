// The AccessKeyPolicy document as the network policy page edits it: the API sends and takes it as one
// JSON string; the page pretty-prints it and switches its Status without touching the rest.

export const MODES = ['Inactive', 'Audit', 'Active'] as const;
export type Mode = (typeof MODES)[number];

/** What a key or account that never had a policy answers. */
export const EMPTY_POLICY = '{"Version":1,"Status":"Inactive","Statements":[]}';

export function pretty(document: string): string {
  try {
    return JSON.stringify(JSON.parse(document), null, 2);
  } catch {
    return document;
  }
}

/** The document's Status; `unknown` while the draft is not JSON (the API will say what is wrong). */
export function statusOf(document: string): string {
  try {
    const status = (JSON.parse(document) as { Status?: unknown }).Status;
    return typeof status === 'string' ? status : 'Inactive';
  } catch {
    return 'unknown';
  }
}

/** The draft with its Status set to `mode`; a draft that is not a JSON object is left as it is. */
export function withStatus(document: string, mode: Mode): string {
  try {
    const parsed: unknown = JSON.parse(document);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return document;
    return JSON.stringify({ ...parsed, Status: mode }, null, 2);
  } catch {
    return document;
  }
}
