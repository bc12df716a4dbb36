// `ramkey scan`: looks for leaked Ramkey AccessKey IDs and secrets in files, in the changes staged
// for a commit, or in a repository's whole history; exits 1 when it finds any.
import { lstat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { LeakRule } from '../core/keys/leak-scan.js';
import { createHmac } from 'node:crypto';
import { DEFAULT_ENDPOINT } from './client.js';
import { parseEndpoint } from './credentials.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './exit-codes.js';
import { printJson, printTable } from './output.js';
import { assertGitRepository, scanGitHistory, scanStaged } from './scan-git.js';
import { scanPaths, type ScanFinding, type ScanOptions, type ScanResult } from './scan-paths.js';

export const DEFAULT_MAX_FILE_SIZE = '10MiB';

/** What to scan: files and directories, the index of a repository, or every blob of its history. */
export type ScanSource = { files: readonly string[] } | { staged: string } | { git: string };

/**
 * Runs a scan and returns its findings as data; each finding's `value.reveal()` is the full ID or
 * secret, for a leak report, and nothing else of a finding prints it. Paths that cannot be read
 * are skipped through `options.onWarning`.
 */
export function scanForLeaks(source: ScanSource, options: ScanOptions): Promise<ScanResult> {
  if ('git' in source) return scanGitHistory(source.git, options);
  if ('staged' in source) return scanStaged(source.staged, options);
  return scanPaths(source.files, options);
}

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `10MiB`, `512k`, `1.5GB`, `4096`: K, KB and KiB all mean 1024 bytes (and so on for M and G). */
export function parseByteSize(value: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(?:([bkmg])(?:i?b)?)?$/i.exec(value.trim());
  const bytes = match ? Math.floor(Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? NaN)) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new CliError(
      `Invalid ${option} "${value}": use a number of bytes, or one with KiB, MiB or GiB (10MiB, 512KiB).`,
      EXIT_USAGE,
    );
  }
  return bytes;
}

/** The finding as `--json` prints it: where, what, the masked value, and which rule found it. */
export function findingJson(f: ScanFinding): Record<string, string | number | null> {
  return {
    Path: f.path,
    Line: f.line,
    Column: f.column,
    Commit: f.commit,
    Type: f.type,
    MaskedValue: f.masked,
    Rule: f.rule,
  };
}

const RULE_TEXT: Readonly<Record<LeakRule, string>> = {
  checksum: 'ID checksum',
  nearAccessKeyId: 'next to an AccessKey ID',
  secretName: 'assigned to a secret name',
};

/** The progress line on stderr: rewritten in place on a terminal, otherwise one line every 10,000. */
function progress(unit: string): { update(scanned: number, path: string): void; clear(): void } {
  const tty = process.stderr.isTTY;
  let shownAt = 0;
  let shown = false;
  return {
    update(scanned, path) {
      if (tty) {
        const now = Date.now();
        if (now - shownAt < 200) return;
        shownAt = now;
        shown = true;
        const width = Math.max(20, (process.stderr.columns || 80) - 30);
        const tail = path.length > width ? `...${path.slice(-(width - 3))}` : path;
        process.stderr.write(`\r\x1b[Kscanned ${String(scanned)} ${unit}: ${tail}`);
      } else if (scanned % 10_000 === 0) {
        process.stderr.write(`scanned ${String(scanned)} ${unit}\n`);
      }
    },
    clear() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${String(n)} ${n === 1 ? one : many}`;
}

interface ScanCommandOptions {
  git?: boolean;
  staged?: boolean;
  maxFileSize: string;
  report?: boolean;
}

async function sourceOf(paths: readonly string[], options: ScanCommandOptions): Promise<ScanSource> {
  if (options.git && options.staged) throw new CliError('Use --git or --staged, not both.', EXIT_USAGE);
  if (options.git || options.staged) {
    if (paths.length > 1) {
      throw new CliError(
        `--${options.git ? 'git' : 'staged'} scans one repository at a time; got ${String(paths.length)} paths.`,
        EXIT_USAGE,
      );
    }
    const repo = paths[0] ?? '.';
    await assertGitRepository(repo);
    return options.git ? { git: repo } : { staged: repo };
  }
  for (const path of paths) {
    // lstat: a dangling symlink named on the command line exists, and is warned about like any other.
    const exists = await lstat(path).then(
      () => true,
      () => false,
    );
    if (!exists) throw new CliError(`No such file or directory: ${path}`, EXIT_USAGE);
  }
  return { files: paths };
}

export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('look for leaked Ramkey AccessKey IDs and secrets in files, staged changes or git history')
    .argument('[paths...]', 'files and directories to scan; with --git or --staged, the repository', ['.'])
    .option('--git', 'scan every blob in the history of the repository (all refs), each once')
    .option('--staged', 'scan the changes staged for the next commit (for a pre-commit hook)')
    .option(
      '--max-file-size <size>',
      'skip (with a warning) files and blobs larger than this: bytes, KiB, MiB or GiB',
      DEFAULT_MAX_FILE_SIZE,
    )
    .option(
      '--report',
      'send what is found to the Ramkey server (RAMKEY_ENDPOINT) as a signed leak report, as the ' +
        'reporter RAMKEY_LEAK_REPORTER with RAMKEY_LEAK_REPORTER_SECRET: the matching keys are restricted',
    )
    .addHelpText(
      'after',
      `
Finds AccessKey IDs by their checksum (look-alikes are ignored) and secrets next to them or assigned
to a secret-looking name (AccessKeySecret, ALIBABA_CLOUD_ACCESS_KEY_SECRET, access_key_secret, ...).
Prints where each was found and a masked value; with the global --json, a JSON array.
Binary, oversized and unreadable files, FIFOs and symlink loops are skipped with a warning.

Exit codes: 0 nothing found, 1 something found (or the scan could not run), 2 wrong usage.

Examples:
  ramkey scan .                       the working tree (.git directories are not entered)
  ramkey scan --staged                what the next commit would add (a pre-commit hook)
  ramkey scan --git                   every blob ever committed, on any branch or tag`,
    )
    .action(async (paths: string[], options: ScanCommandOptions, command: Command) => {
      const json = command.optsWithGlobals<{ json?: boolean }>().json ?? false;
      const maxFileSizeBytes = parseByteSize(options.maxFileSize, '--max-file-size');
      if (options.report) reporterCredentials();
      const source = await sourceOf(paths, options);
      const kind = kindOf(source);
      const shown = progress(kind === 'files' ? 'files' : 'blobs');
      const result = await scanForLeaks(source, {
        maxFileSizeBytes,
        onWarning(path, reason) {
          shown.clear();
          process.stderr.write(`warning: ${path}: ${reason}; skipped\n`);
        },
        onProgress: (scanned, path) => {
          shown.update(scanned, path);
        },
      }).finally(() => {
        shown.clear();
      });
      report(result, json, kind);
      if (options.report && result.findings.length > 0) await sendReport(result.findings);
      if (result.findings.length > 0) process.exitCode = EXIT_FAILURE;
    });
}

/** What to do about findings, for each kind of scan. */
const ADVICE: Readonly<Record<ScanKind, string>> = {
  files:
    'Treat these keys as leaked if the files were shared: create a new key, move its users to it, then ' +
    'disable and delete the leaked one. Keep keys out of files that get committed or copied.',
  staged:
    'Unstage them (git restore --staged FILE) and keep keys out of the repository, in the environment ' +
    'or a profile file instead.',
  git:
    'Treat these keys as leaked once the history was pushed: create a new key, move its users to it, then ' +
    'disable and delete the leaked one. Deleting the file or rewriting history does not unpublish a key.',
};

type ScanKind = 'files' | 'staged' | 'git';

function kindOf(source: ScanSource): ScanKind {
  return 'git' in source ? 'git' : 'staged' in source ? 'staged' : 'files';
}

/** The findings on stdout (a table, or JSON), and a summary with advice on stderr. */
function report(result: ScanResult, json: boolean, kind: ScanKind): void {
  const { findings } = result;
  const history = kind === 'git';
  if (json) printJson(findings.map(findingJson));
  else if (findings.length > 0) {
    const location = (f: ScanFinding) => `${f.path}:${String(f.line)}:${String(f.column)}`;
    printTable(
      [...(history ? ['COMMIT'] : []), 'LOCATION', 'TYPE', 'VALUE', 'FOUND BY'],
      findings.map((f) => [
        ...(history ? [f.commit?.slice(0, 12) ?? '(no commit)'] : []),
        location(f),
        f.type,
        f.masked,
        RULE_TEXT[f.rule],
      ]),
    );
  }
  const unit = kind === 'files' ? 'file' : 'blob';
  const skipped = result.skipped > 0 ? `, ${String(result.skipped)} skipped with a warning` : '';
  const scanned = `scanned ${plural(result.scanned, unit)}${skipped}`;
  if (findings.length === 0) {
    process.stderr.write(`No AccessKey IDs or secrets found (${scanned}).\n`);
    return;
  }
  const ids = findings.filter((f) => f.type === 'AccessKeyId').length;
  const places = new Set(findings.map((f) => `${f.commit ?? ''}:${f.path}`)).size;
  process.stderr.write(
    `Found ${plural(ids, 'AccessKey ID')} and ${plural(findings.length - ids, 'AccessKeySecret')} in ` +
      `${plural(places, history ? 'committed file' : 'file')} (${scanned}).\n${ADVICE[kind]}\n`,
  );
}

/** The reporter `--report` signs as; a usage error when not set. */
function reporterCredentials(): { reporter: string; secret: string } {
  const reporter = process.env.RAMKEY_LEAK_REPORTER;
  const secret = process.env.RAMKEY_LEAK_REPORTER_SECRET;
  if (!reporter || !secret) {
    throw new CliError(
      '--report needs RAMKEY_LEAK_REPORTER and RAMKEY_LEAK_REPORTER_SECRET (see "ramkey leak-reporters add").',
      EXIT_USAGE,
    );
  }
  return { reporter, secret };
}

/** Tokens per leak report: the intake takes at most 1,000 per request. */
const REPORT_CHUNK = 1000;

/**
 * Sends the findings' full values to the server's leak-report intake, signed as the reporter; the
 * server restricts the keys they name. Prints, on stderr, how many named a live key.
 */
async function sendReport(findings: readonly ScanFinding[]): Promise<void> {
  const { reporter, secret } = reporterCredentials();
  const url = `${parseEndpoint(process.env.RAMKEY_ENDPOINT ?? DEFAULT_ENDPOINT, 'RAMKEY_ENDPOINT')}/leak-reports`;
  // Each value once: the same key found in many places is one report entry.
  const tokens = new Map<string, ScanFinding>();
  for (const f of findings) if (!tokens.has(f.value.reveal())) tokens.set(f.value.reveal(), f);
  const entries = [...tokens].map(([token, f]) => ({
    token,
    type: f.type === 'AccessKeyId' ? 'ramkey_access_key_id' : 'ramkey_access_key_secret',
    url: `${f.path}:${String(f.line)}${f.commit === null ? '' : ` (commit ${f.commit})`}`,
    source: 'ramkey-scan',
  }));
  let matched = 0;
  for (let at = 0; at < entries.length; at += REPORT_CHUNK) {
    const body = JSON.stringify(entries.slice(at, at + REPORT_CHUNK));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-ramkey-reporter': reporter,
          'x-ramkey-timestamp': timestamp,
          'x-ramkey-signature': `sha256=${signature}`,
        },
        body,
      });
    } catch (err) {
      throw new CliError(
        `Cannot send the leak report to ${url}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const answer = (await response.json().catch(() => ({}))) as {
      Results?: { Matched?: boolean }[];
      Code?: string;
      Message?: string;
    };
    if (!response.ok) {
      throw new CliError(
        `The leak report was refused: ${answer.Code ?? `HTTP ${String(response.status)}`}: ${answer.Message ?? ''}`,
      );
    }
    matched += (answer.Results ?? []).filter((r) => r.Matched === true).length;
  }
  process.stderr.write(
    `Reported ${String(entries.length)} value(s) to ${url}: ${String(matched)} named a live key, now restricted.\n`,
  );
}
