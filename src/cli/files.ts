// Files the CLI writes where the user says (exports, reports, first credentials): complete or absent,
// never partial, never readable by other users, and bad paths told in words rather than stack traces.
import { randomBytes } from 'node:crypto';
import { constants, rmSync, statSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError } from './exit-codes.js';

/** Where text (or bytes: a QR code's PNG) goes: standard output or a file being written. */
export interface TextSink {
  write(text: string | Uint8Array): Promise<void>;
}

/** Standard output as a sink that waits when the pipe is full (a slow reader downstream). */
export const standardOutput: TextSink = {
  write: (text) =>
    new Promise((done, fail) => {
      if (process.stdout.write(text)) done();
      else {
        process.stdout.once('drain', done);
        process.stdout.once('error', fail);
      }
    }),
};

/** Why `path` cannot be written, for the user: `Cannot write PATH: directory D does not exist`. */
function cannotWrite(path: string, error: unknown): CliError {
  const dir = dirname(resolve(path));
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Readonly<Record<string, string>> = {
    ENOENT: `directory ${dir} does not exist`,
    ENOTDIR: `${dir} is not a directory`,
    EISDIR: 'it is a directory',
    EACCES: `no permission to write in ${dir}`,
    EPERM: `no permission to write in ${dir}`,
    EROFS: `${dir} is on a read-only file system`,
    ENOSPC: 'no space left on the device',
    EEXIST: 'it already exists',
  };
  const reason =
    (code !== undefined ? reasons[code] : undefined) ??
    (error instanceof Error ? error.message : String(error));
  return new CliError(`Cannot write ${path}: ${reason}`);
}

/** Refuses a target that is a directory, or whose directory is missing, before any work is done. */
function checkTarget(path: string): void {
  let code: string | undefined;
  try {
    const dir = statSync(dirname(resolve(path)), { throwIfNoEntry: false });
    code = statSync(path, { throwIfNoEntry: false })?.isDirectory()
      ? 'EISDIR'
      : dir === undefined
        ? 'ENOENT'
        : dir.isDirectory()
          ? undefined
          : 'ENOTDIR';
  } catch (error) {
    // A directory on the way that may not be searched (EACCES), or a file where one should be.
    throw cannotWrite(path, error);
  }
  if (code !== undefined) throw cannotWrite(path, { code });
}

/**
 * Creates `path` for writing, failing if it exists, with mode 0600 from the first instant: open(2)
 * with O_EXCL and the mode, then the exact mode again since the umask may only have narrowed it.
 */
async function createPrivate(path: string): Promise<FileHandle> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.chmod(0o600);
  } catch (error) {
    await handle.close();
    await rm(path, { force: true });
    throw error;
  }
  return handle;
}

function sinkOf(handle: FileHandle): TextSink {
  return {
    async write(text) {
      await (typeof text === 'string' ? handle.write(text) : handle.write(text));
    },
  };
}

/** Temporary files being written: removed when the command is interrupted, then it exits as signalled. */
const unfinished = new Set<string>();

function removeUnfinishedAndExit(signal: NodeJS.Signals): void {
  for (const temp of unfinished) rmSync(temp, { force: true });
  process.exit(128 + osConstants.signals[signal]);
}

function track(temp: string): void {
  if (unfinished.size === 0) {
    process.once('SIGINT', removeUnfinishedAndExit);
    process.once('SIGTERM', removeUnfinishedAndExit);
  }
  unfinished.add(temp);
}

function untrack(temp: string): void {
  unfinished.delete(temp);
  if (unfinished.size === 0) {
    process.removeListener('SIGINT', removeUnfinishedAndExit);
    process.removeListener('SIGTERM', removeUnfinishedAndExit);
  }
}

/**
 * Writes `path` all at once or not at all: `produce` writes into a temporary file (mode 0600) in
 * the same directory, which is renamed onto `path` once `produce` resolves and the data is on disk.
 * If `produce` fails (the server went away mid-export) or the command is interrupted, the temporary
 * file is removed and a file already at `path` is left as it was. Bad paths fail with a CliError
 * before `produce` starts.
 *
 * @example
 * const count = await writeFileAtomically('audit.jsonl', (out) => exportEvents(out));
 */
export async function writeFileAtomically<T>(
  path: string,
  produce: (out: TextSink) => Promise<T>,
): Promise<T> {
  checkTarget(path);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  let handle: FileHandle;
  try {
    handle = await createPrivate(temp);
  } catch (error) {
    throw cannotWrite(path, error);
  }
  track(temp);
  try {
    let result: T;
    try {
      result = await produce(sinkOf(handle));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path).catch((error: unknown) => {
      throw cannotWrite(path, error);
    });
    return result;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    untrack(temp);
  }
}

/** A new private file being written: closed when complete, discarded when what it was for failed. */
export interface PrivateFile extends TextSink {
  close(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Creates a new file of mode 0600 at `path` (never one that exists): for secrets handed over in a
 * file, which nobody else may read even for an instant.
 */
export async function createPrivateFile(path: string): Promise<PrivateFile> {
  checkTarget(path);
  let handle: FileHandle;
  try {
    handle = await createPrivate(path);
  } catch (error) {
    throw cannotWrite(path, error);
  }
  return {
    ...sinkOf(handle),
    async close() {
      await handle.sync();
      await handle.close();
    },
    async discard() {
      await handle.close();
      await rm(path, { force: true });
    },
  };
}
