// Leak detection in text: Ramkey AccessKey IDs (checked offline by their checksum) and the
// AccessKeySecrets next to them, as findings whose full value never prints.
import { isAccessKeyId } from './key-id.js';
import { Secret } from './secret.js';

export type LeakType = 'AccessKeyId' | 'AccessKeySecret';

/**
 * Why a value was reported: `checksum` (an AccessKey ID whose checksum holds), `nearAccessKeyId`
 * (a secret-shaped token within SECRET_WINDOW_LINES lines of such an ID), `secretName` (a
 * secret-shaped token assigned to a secret-looking name, with no look-alike ID nearby).
 */
export type LeakRule = 'checksum' | 'nearAccessKeyId' | 'secretName';

export interface LeakFinding {
  readonly type: LeakType;
  readonly rule: LeakRule;
  /** 1-based line of the value. */
  readonly line: number;
  /** 1-based column of its first character (UTF-16 code units of the decoded text). */
  readonly column: number;
  /** The value itself, for a leak report; redacts itself in logs, errors and JSON. */
  readonly value: Secret;
  /** What may be shown: maskAccessKeyId or maskAccessKeySecret of the value. */
  readonly masked: string;
}

/** A secret counts as "next to" an ID when their lines are at most this far apart (0: same line). */
export const SECRET_WINDOW_LINES = 3;

/** How much of a line before a token is searched for the name it is assigned to. */
const ASSIGNMENT_LOOKBACK_CHARS = 80;

/** Bytes of a file or blob looked at for a NUL byte, as git's own binary heuristic does. */
export const BINARY_SNIFF_BYTES = 8000;

// `LTAI` + 20 base62 characters, not inside a longer run of base62 characters.
const ID_CANDIDATE = /(?<![0-9A-Za-z])LTAI[0-9A-Za-z]{20}(?![0-9A-Za-z])/g;

// Anything shaped like an ID of another issuer (Alibaba Cloud's own IDs are `LTAI` + 12 to 20
// characters and fail Ramkey's checksum): used only to keep rule `secretName` off their secrets.
const LTAI_TOKEN = /(?<![0-9A-Za-z])LTAI[0-9A-Za-z]{8,}/g;

// Exactly 30 base62 characters. The wider boundary keeps out slices of base64 (`+`, `/`, `=`
// padding) and of identifiers or slugs (`_`, `-`), which are runs of base62 characters too.
const SECRET_CANDIDATE = /(?<![0-9A-Za-z+/_-])[0-9A-Za-z]{30}(?![0-9A-Za-z+/=_-])/g;

/**
 * A name, then the syntax of an assignment, ending where the token starts: `NAME=`, `NAME: `,
 * `"NAME": "`, `NAME := `, `NAME => `, `<NAME>`, `setNAME("`, `--NAME `, `--NAME=`, `\"NAME\": \"`.
 */
const ASSIGNED_TO_NAME = /([A-Za-z_][\w.-]*)(?:\\?["'`\]])?\s*(?::=|=>|[=:(>]|\s)\s*(?:\\?["'`])?$/;

/** Secret-looking names, compared lower-cased with everything but letters and digits removed. */
const SECRET_NAME_PARTS = ['keysecret', 'secretkey', 'secretaccesskey', 'accesssecret', 'aksecret'];

/**
 * Finds the Ramkey AccessKey IDs in `text`, and the secrets next to them. The rules, in full:
 *
 * - **AccessKeyId** (`checksum`): `LTAI` + 20 base62 characters, not preceded or followed by a
 *   letter or digit, and `isAccessKeyId` holds. A look-alike with a wrong checksum is ignored (a
 *   random one passes with odds of about 1 in 14.8 million).
 * - **AccessKeySecret**: a run of exactly 30 base62 characters, not next to a letter, digit, `_`,
 *   `-`, `+`, `/` (nor followed by `=`), with both upper- and lower-case letters and at least 10
 *   distinct characters (a random secret fails this with odds of about 1 in 6 million), and either
 *   - `nearAccessKeyId`: an AccessKey ID found above is at most SECRET_WINDOW_LINES lines away, or
 *   - `secretName`: the token is assigned to a name that contains, lower-cased and stripped to
 *     letters and digits, `keysecret`, `secretkey`, `secretaccesskey`, `accesssecret` or
 *     `aksecret` (`AccessKeySecret`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `access_key_secret`,
 *     `--access-key-secret`, `secret_key`), in the forms of ASSIGNED_TO_NAME; unless an
 *     `LTAI`-prefixed token that is not a Ramkey ID is that close, since the secret then belongs
 *     to that key, of Alibaba Cloud or another issuer.
 *
 * @example
 * const [finding] = scanForAccessKeys('ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI...');
 * finding?.masked; // 'LTAIxxxx****yyyy'
 */
export function scanForAccessKeys(text: string): LeakFinding[] {
  if (!text.includes('LTAI') && !/secret/i.test(text)) return [];
  const lines = lineIndex(text);
  const findings: LeakFinding[] = [];
  const idLines: number[] = [];
  const lookAlikeLines: number[] = [];

  for (const match of text.matchAll(ID_CANDIDATE)) {
    if (!isAccessKeyId(match[0])) continue;
    const at = lines.position(match.index);
    idLines.push(at.line);
    findings.push({
      type: 'AccessKeyId',
      rule: 'checksum',
      ...at,
      value: new Secret(match[0]),
      masked: maskAccessKeyId(match[0]),
    });
  }
  for (const match of text.matchAll(LTAI_TOKEN)) {
    if (!isAccessKeyId(match[0])) lookAlikeLines.push(lines.position(match.index).line);
  }

  const near = (candidates: readonly number[], line: number) =>
    candidates.some((l) => Math.abs(l - line) <= SECRET_WINDOW_LINES);
  for (const match of text.matchAll(SECRET_CANDIDATE)) {
    const token = match[0];
    if (!isSecretShaped(token)) continue;
    const at = lines.position(match.index);
    let rule: LeakRule | undefined;
    if (near(idLines, at.line)) rule = 'nearAccessKeyId';
    else if (
      isAssignedToSecretName(
        text.slice(Math.max(lines.start(at.line), match.index - ASSIGNMENT_LOOKBACK_CHARS), match.index),
      ) &&
      !near(lookAlikeLines, at.line)
    )
      rule = 'secretName';
    if (rule === undefined) continue;
    findings.push({
      type: 'AccessKeySecret',
      rule,
      ...at,
      value: new Secret(token),
      masked: maskAccessKeySecret(token),
    });
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Upper- and lower-case letters both present, and at least 10 distinct characters. */
function isSecretShaped(token: string): boolean {
  return /[A-Z]/.test(token) && /[a-z]/.test(token) && new Set(token).size >= 10;
}

/** True when `before` (the text before a token on its line) assigns the token to a secret-looking name. */
export function isAssignedToSecretName(before: string): boolean {
  const name = ASSIGNED_TO_NAME.exec(before)?.[1];
  if (name === undefined) return false;
  const normalized = name.toLowerCase().replace(/[^0-9a-z]/g, '');
  return SECRET_NAME_PARTS.some((part) => normalized.includes(part));
}

/** First 8 and last 4 characters: `LTAIabcd****wxyz`, enough to tell which key in a listing. */
export function maskAccessKeyId(id: string): string {
  return `${id.slice(0, 8)}****${id.slice(-4)}`;
}

/** First 2 and last 2 characters: `ab****yz`; never more of a secret than that. */
export function maskAccessKeySecret(secret: string): string {
  return `${secret.slice(0, 2)}****${secret.slice(-2)}`;
}

/** True when the content has a NUL byte in its first BINARY_SNIFF_BYTES bytes (git's heuristic). */
export function isBinaryContent(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/** Line and column of an offset, by binary search over the offsets where lines start. */
function lineIndex(text: string): {
  position(offset: number): { line: number; column: number };
  start(line: number): number;
} {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return {
    position(offset) {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? 0) <= offset) lo = mid;
        else hi = mid - 1;
      }
      return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
    },
    start: (line) => starts[line - 1] ?? 0,
  };
}
