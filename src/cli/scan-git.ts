// `ramkey scan --git` and `--staged`: git's own plumbing (rev-list, cat-file, log, diff) read as
// streams, so that every blob of a history is scanned once without holding the history in memory.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { scanContent, tooLarge, type ScanOptions, type ScanResult } from './scan-paths.js';

const execFileAsync = promisify(execFile);

/** The empty blob ID git prints for "no content" (a deletion in a diff). */
const NO_BLOB = /^0+$/;
/** A submodule entry: the ID is a commit of another repository, not a blob of this one. */
const GITLINK_MODE = '160000';

/**
 * Git in `repo`, with lazy fetching of missing objects turned off: a partial clone must not make
 * the scan download its history.
 */
function gitSpawn(repo: string, args: readonly string[], stdin: 'ignore' | 'pipe' | Readable = 'ignore') {
  return spawn('git', ['-C', repo, ...args], {
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...process.env, GIT_NO_LAZY_FETCH: '1' },
  });
}

interface Watched {
  /** Settles when the process has exited: rejected with a CliError when it failed. */
  done: Promise<void>;
  /** Ends the process, whose exit then counts as success: its output is no longer wanted. */
  stop(): void;
}

/** Collects a git process's stderr and turns its failure into a CliError. */
function watch(child: ChildProcess, what: string): Watched {
  let stderr = '';
  let stopped = false;
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new CliError(
          err.code === 'ENOENT' ? 'git is not installed (not found on PATH).' : `${what}: ${err.message}`,
        ),
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0 || stopped) resolve();
      else
        reject(
          new CliError(
            `${what} failed (${code === null ? String(signal) : `exit ${String(code)}`}): ${stderr.trim()}`,
          ),
        );
    });
  });
  // Rejections are awaited later; until then they must not count as unhandled.
  done.catch(() => undefined);
  return {
    done,
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopped = true;
      child.kill();
    },
  };
}

/** Refuses, as wrong usage, a path that is not inside a git repository. */
export async function assertGitRepository(repo: string): Promise<void> {
  try {
    await execFileAsync('git', ['-C', repo, 'rev-parse', '--git-dir']);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CliError('git is not installed (not found on PATH).');
    throw new CliError(`Not a git repository: ${repo}`, EXIT_USAGE);
  }
}

/** Bytes of a stream, read on demand: lines and exact lengths (the framing of `git cat-file --batch`). */
class ByteQueue {
  #chunks: Buffer[] = [];
  #length = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
      this.#notify();
    });
    stream.on('close', () => {
      this.#ended = true;
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #more(): Promise<void> {
    if (this.#ended) throw new Error('git cat-file stopped answering');
    await new Promise<void>((resolve) => (this.#wake = resolve));
  }

  #merged(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  #take(n: number): Buffer {
    const all = this.#merged();
    this.#chunks = n < all.length ? [all.subarray(n)] : [];
    this.#length -= n;
    return all.subarray(0, n);
  }

  async line(): Promise<string> {
    for (;;) {
      const end = this.#merged().indexOf(10);
      if (end !== -1) return this.#take(end + 1).toString('utf8', 0, end);
      await this.#more();
    }
  }

  async bytes(n: number): Promise<Buffer> {
    while (this.#length < n) await this.#more();
    return Buffer.from(this.#take(n));
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.#length === 0) await this.#more();
      const drop = Math.min(left, this.#length);
      this.#take(drop);
      left -= drop;
    }
  }
}

/** `git cat-file --batch`, one blob at a time: the content, or only its size when over the limit. */
class BlobReader {
  readonly #child: ChildProcess;
  readonly #queue: ByteQueue;
  readonly #watched: Watched;

  constructor(repo: string) {
    this.#child = gitSpawn(repo, ['cat-file', '--batch'], 'pipe');
    this.#watched = watch(this.#child, 'git cat-file --batch');
    // A write after git died fails here; the read that follows reports why.
    this.#child.stdin?.on('error', () => undefined);
    if (this.#child.stdout === null) throw new Error('git cat-file has no stdout');
    this.#queue = new ByteQueue(this.#child.stdout);
  }

  /** The blob's size and content (no content when over `maxBytes`), or undefined when it is missing. */
  async read(blob: string, maxBytes: number): Promise<{ size: number; bytes?: Buffer } | undefined> {
    try {
      this.#child.stdin?.write(`${blob}\n`);
      // `<id> blob <size>`, or `<id> missing` (a partial or damaged clone).
      const [, type, sizeText] = (await this.#queue.line()).split(' ');
      if (type !== 'blob' || sizeText === undefined) return undefined;
      const size = Number(sizeText);
      if (size > maxBytes) {
        await this.#queue.skip(size + 1);
        return { size };
      }
      const bytes = await this.#queue.bytes(size);
      await this.#queue.skip(1);
      return { size, bytes };
    } catch (err) {
      // Git's own message, when it failed, says more than the stream that ended.
      await this.#watched.done;
      throw err;
    }
  }

  async close(): Promise<void> {
    this.#child.stdin?.end();
    await this.#watched.done;
  }
}

/** A child's output split at `separator`, read chunk by chunk (the child waits while a line is scanned). */
async function* records(stream: Readable | null, separator: string): AsyncGenerator<string> {
  if (stream === null) return;
  let rest = '';
  for await (const chunk of stream.setEncoding('utf8') as AsyncIterable<string>) {
    const parts = (rest + chunk).split(separator);
    rest = parts.pop() ?? '';
    yield* parts;
  }
  if (rest !== '') yield rest;
}

/** The entries of `git diff --raw -z` or `git log --raw -z`: each new blob with its path, and commit lines. */
async function* rawEntries(
  stream: Readable | null,
): AsyncGenerator<{ commit: string } | { blob: string; path: string }> {
  let blob: string | undefined;
  for await (const token of records(stream, '\0')) {
    if (blob !== undefined) {
      // The path that follows each `:<old mode> <new mode> <old id> <new id> <status>` entry.
      if (blob !== '') yield { blob, path: token };
      blob = undefined;
      continue;
    }
    const entry = token.replace(/^\n/, '');
    if (entry.startsWith('commit ')) yield { commit: entry.slice('commit '.length) };
    else if (entry.startsWith(':')) {
      const [, newMode, , newBlob = ''] = entry.slice(1).split(' ');
      // A deletion has no new content; a submodule's ID is a commit of another repository.
      blob = NO_BLOB.test(newBlob) || newMode === GITLINK_MODE ? '' : newBlob;
    }
  }
}

/** Reads a blob and scans it, with a warning instead when it is missing, too large or binary. */
async function scanBlob(
  reader: BlobReader,
  blob: string,
  path: string,
  result: ScanResult,
  options: ScanOptions,
): Promise<void> {
  const label = `${path} (blob ${blob.slice(0, 12)})`;
  const read = await reader.read(blob, options.maxFileSizeBytes);
  if (read === undefined) {
    result.skipped += 1;
    options.onWarning(label, 'missing from the repository');
  } else if (read.bytes === undefined) {
    result.skipped += 1;
    options.onWarning(label, tooLarge(read.size, options.maxFileSizeBytes));
  } else {
    scanContent(read.bytes, { path, commit: null }, result, {
      ...options,
      onWarning: (_, reason) => {
        options.onWarning(label, reason);
      },
    });
  }
}

/** Where each of `blobs` first appears: the oldest commit (parents first) adding it, and its path there. */
async function locateBlobs(
  repo: string,
  blobs: ReadonlySet<string>,
): Promise<Map<string, { commit: string; path: string }>> {
  const found = new Map<string, { commit: string; path: string }>();
  if (blobs.size === 0) return found;
  // -m: merges are diffed against each parent, so content first made in a merge is found too.
  const child = gitSpawn(repo, [
    'log',
    '--all',
    '--topo-order',
    '--reverse',
    '-m',
    '--raw',
    '--no-abbrev',
    '--no-renames',
    '--no-color',
    '--no-show-signature',
    '-z',
    '--format=commit %H',
  ]);
  const watched = watch(child, 'git log');
  let commit = '';
  for await (const entry of rawEntries(child.stdout)) {
    if ('commit' in entry) commit = entry.commit;
    else if (blobs.has(entry.blob) && !found.has(entry.blob)) {
      found.set(entry.blob, { commit, path: entry.path });
      if (found.size === blobs.size) {
        watched.stop();
        break;
      }
    }
  }
  await watched.done;
  return found;
}

/**
 * Scans every blob reachable from any ref of the repository, each once (`git rev-list --all
 * --objects`, typed and sized by `git cat-file --batch-check`, read by `git cat-file --batch`).
 * A finding names the oldest commit that added its blob, and the path there; only the IDs of
 * blobs with findings are kept while the history is read.
 */
export async function scanGitHistory(repo: string, options: ScanOptions): Promise<ScanResult> {
  const result: ScanResult = { findings: [], scanned: 0, skipped: 0 };
  // --missing=print: objects a partial clone lacks are listed (`?<id>`) rather than fetched or fatal.
  const revList = gitSpawn(repo, ['rev-list', '--all', '--objects', '--missing=print']);
  const revListWatched = watch(revList, 'git rev-list');
  const check = gitSpawn(
    repo,
    ['cat-file', '--batch-check=%(objecttype) %(objectname) %(objectsize) %(rest)'],
    revList.stdout ?? 'ignore',
  );
  const checkWatched = watch(check, 'git cat-file --batch-check');
  // The pipe now belongs to cat-file; this process's copy of its end would keep rev-list's
  // 'close' from ever firing.
  revList.stdout?.destroy();
  const reader = new BlobReader(repo);
  /** The findings of each blob that has some, as a range of result.findings. */
  const ranges: { blob: string; start: number; end: number }[] = [];
  try {
    for await (const line of records(check.stdout, '\n')) {
      // `<type> <id> <size> <path>`; the path is the first rev-list met the blob at.
      const [type, blob, sizeText, ...path] = line.split(' ');
      if (type?.startsWith('?') && blob === 'missing') {
        result.skipped += 1;
        options.onWarning(`object ${type.slice(1, 13)}`, 'missing from this clone (a partial clone?)');
        continue;
      }
      if (type !== 'blob' || blob === undefined) continue;
      const size = Number(sizeText);
      if (size > options.maxFileSizeBytes) {
        result.skipped += 1;
        options.onWarning(
          `${path.join(' ')} (blob ${blob.slice(0, 12)})`,
          tooLarge(size, options.maxFileSizeBytes),
        );
        continue;
      }
      const start = result.findings.length;
      await scanBlob(reader, blob, path.join(' '), result, options);
      if (result.findings.length > start) ranges.push({ blob, start, end: result.findings.length });
    }
    await Promise.all([revListWatched.done, checkWatched.done]);
  } finally {
    revListWatched.stop();
    checkWatched.stop();
    await reader.close();
  }
  const places = await locateBlobs(repo, new Set(ranges.map((r) => r.blob)));
  for (const { blob, start, end } of ranges) {
    const place = places.get(blob);
    for (let i = start; i < end; i++) {
      const finding = result.findings[i];
      // A blob reached only through a tag of a tree has no commit adding it.
      if (finding && place) result.findings[i] = { ...finding, commit: place.commit, path: place.path };
    }
  }
  return result;
}

/**
 * Scans what is staged for the next commit: the new content of each added, modified or
 * type-changed path in the index (`git diff --cached`), not the working tree, so that a hook
 * sees exactly what would be committed.
 */
export async function scanStaged(repo: string, options: ScanOptions): Promise<ScanResult> {
  const result: ScanResult = { findings: [], scanned: 0, skipped: 0 };
  const diff = gitSpawn(repo, [
    'diff',
    '--cached',
    '--raw',
    '-z',
    '--no-abbrev',
    '--no-renames',
    '--no-color',
  ]);
  const watched = watch(diff, 'git diff --cached');
  const reader = new BlobReader(repo);
  try {
    for await (const entry of rawEntries(diff.stdout)) {
      if ('blob' in entry) await scanBlob(reader, entry.blob, entry.path, result, options);
    }
    await watched.done;
  } finally {
    watched.stop();
    await reader.close();
  }
  return result;
}
