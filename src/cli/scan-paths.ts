// `ramkey scan` over files and directories: a walk that scans each regular file once and skips,
// with a warning, what it cannot or should not read (binary, huge, loops, unreadable, vanished).
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isBinaryContent, scanForAccessKeys, type LeakFinding } from '../core/keys/leak-scan.js';

/** A finding with where it was found: a file, or a path in a commit of the history. */
export interface ScanFinding extends LeakFinding {
  readonly path: string;
  /** The commit that first added the content, when scanning history; null otherwise. */
  readonly commit: string | null;
}

export interface ScanOptions {
  /** Files and blobs larger than this are skipped with a warning. */
  maxFileSizeBytes: number;
  /** A file or blob was skipped, and why; the scan goes on. */
  onWarning(path: string, reason: string): void;
  /** After each file or blob scanned, with how many so far. */
  onProgress?(scanned: number, path: string): void;
}

export interface ScanResult {
  findings: ScanFinding[];
  /** Files (or blobs) whose content was scanned. */
  scanned: number;
  /** Files (or blobs) skipped with a warning. */
  skipped: number;
}

/**
 * Scans content: binary content (a NUL byte in its first 8000 bytes) is skipped with a warning,
 * anything else is decoded as UTF-8 and searched.
 */
export function scanContent(
  bytes: Buffer,
  where: { path: string; commit: string | null },
  result: ScanResult,
  options: ScanOptions,
): void {
  if (isBinaryContent(bytes)) {
    result.skipped += 1;
    options.onWarning(where.path, 'binary (a NUL byte in its first 8000 bytes)');
    return;
  }
  for (const finding of scanForAccessKeys(bytes.toString('utf8')))
    result.findings.push({ ...finding, ...where });
  result.scanned += 1;
  options.onProgress?.(result.scanned, where.path);
}

/** `12.0 MiB`: a size for a message. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${String(bytes)} bytes` : `${value.toFixed(1)} ${units[unit] ?? ''}`;
}

export function tooLarge(size: number, max: number): string {
  return `larger than --max-file-size (${formatBytes(size)} > ${formatBytes(max)})`;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/** Why a path could not be read, in words, from the error of a stat, open or read. */
async function unreadable(path: string, err: unknown): Promise<string> {
  switch (errorCode(err)) {
    case 'ELOOP':
      return 'symlink loop';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
    case 'ENOTDIR':
      // A symlink whose target is gone was never readable; anything else vanished meanwhile.
      return (await lstat(path).then(
        (l) => l.isSymbolicLink(),
        () => false,
      ))
        ? 'dangling symlink'
        : 'vanished during the scan';
    default:
      return `cannot read (${err instanceof Error ? err.message : String(err)})`;
  }
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a file or directory';
}

/**
 * Scans files and directories. Symlinks are followed; each directory and each file (by device
 * and inode) is scanned once, and a symlink back to an enclosing directory is reported as a loop.
 * Directories named `.git` are not entered: history is `scanGitHistory`'s job.
 */
export async function scanPaths(paths: readonly string[], options: ScanOptions): Promise<ScanResult> {
  const result: ScanResult = { findings: [], scanned: 0, skipped: 0 };
  const seenDirectories = new Set<string>();
  const seenFiles = new Set<string>();
  const enclosing = new Set<string>();
  const skip = (path: string, reason: string) => {
    result.skipped += 1;
    options.onWarning(path, reason);
  };

  const visit = async (path: string): Promise<void> => {
    let info: Stats;
    try {
      info = await stat(path);
    } catch (err) {
      skip(path, await unreadable(path, err));
      return;
    }
    const id = `${String(info.dev)}:${String(info.ino)}`;
    if (info.isDirectory()) {
      if (enclosing.has(id)) {
        skip(path, 'symlink loop (leads back to an enclosing directory)');
        return;
      }
      if (seenDirectories.has(id)) return;
      seenDirectories.add(id);
      let names: string[];
      try {
        names = await readdir(path);
      } catch (err) {
        skip(path, await unreadable(path, err));
        return;
      }
      enclosing.add(id);
      for (const name of names.sort()) {
        if (name !== '.git') await visit(join(path, name));
      }
      enclosing.delete(id);
    } else if (info.isFile()) {
      if (seenFiles.has(id)) return;
      seenFiles.add(id);
      await scanFile(path, info.size);
    } else {
      skip(path, kindOf(info));
    }
  };

  const scanFile = async (path: string, size: number): Promise<void> => {
    if (size > options.maxFileSizeBytes) {
      skip(path, tooLarge(size, options.maxFileSizeBytes));
      return;
    }
    let bytes: Buffer;
    try {
      // O_NONBLOCK: should the path have become a FIFO since the stat, opening it cannot hang.
      const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const info = await handle.stat();
        if (!info.isFile()) {
          skip(path, kindOf(info));
          return;
        }
        bytes = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (err) {
      skip(path, await unreadable(path, err));
      return;
    }
    // The file may have grown since the stat.
    if (bytes.length > options.maxFileSizeBytes) {
      skip(path, tooLarge(bytes.length, options.maxFileSizeBytes));
      return;
    }
    scanContent(bytes, { path, commit: null }, result, options);
  };

  for (const path of paths) await visit(path);
  return result;
}
