// `ramkey scan` as users run it, on real files and real git repositories in temp directories: keys
// planted in the working tree and only in history are found and masked, look-alikes are ignored,
// what cannot be read is skipped with a warning, and the exit code says whether anything was found.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateAccessKeyId,
  generateAccessKeySecret,
  isAccessKeyId,
  randomBase62,
} from '../../src/core/keys/key-id.js';
import { maskAccessKeyId, maskAccessKeySecret } from '../../src/core/keys/leak-scan.js';
import { cryptoRandom } from '../../src/core/random.js';
import { CLI } from '../support/ramkey-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `ramkey` in `cwd`, as `uid` when given (to make chmod 000 bite when tests run as root). */
function ramkey(args: string[], options: { cwd?: string; uid?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: options.cwd,
        ...(options.uid !== undefined && { uid: options.uid, gid: options.uid }),
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const gitEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Scan Test',
  GIT_AUTHOR_EMAIL: 'scan@example.invalid',
  GIT_COMMITTER_NAME: 'Scan Test',
  GIT_COMMITTER_EMAIL: 'scan@example.invalid',
};

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { env: gitEnv, encoding: 'utf8' }).trim();
}

function newRepo(dir: string): void {
  git(dir, 'init', '-q', '-b', 'main');
}

function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--no-gpg-sign', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

function write(dir: string, path: string, content: string | Buffer): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), content);
}

/** A generated secret that passes the scanner's shape check (both letter cases, 10 distinct characters). */
function newSecret(): string {
  for (;;) {
    const s = generateAccessKeySecret(cryptoRandom);
    if (/[A-Z]/.test(s) && /[a-z]/.test(s) && new Set(s).size >= 10) return s;
  }
}

/** `LTAI` + 20 base62 characters whose checksum fails: shaped like an ID, not a Ramkey ID. */
function lookAlike(): string {
  for (;;) {
    const id = `LTAI${randomBase62(cryptoRandom, 20)}`;
    if (!isAccessKeyId(id)) return id;
  }
}

/** 1,000 look-alikes, each with a secret-shaped token beside it or assigned to a secret name. */
function lookAlikeFile(): { text: string; ids: string[] } {
  const ids = Array.from({ length: 1000 }, lookAlike);
  const text = ids
    .map((id, i) =>
      i % 2 === 0
        ? `access_key_id = ${id}  # ${newSecret()}`
        : `AccessKeyId: "${id}"\nAccessKeySecret: "${newSecret()}"`,
    )
    .join('\n');
  return { text, ids };
}

interface JsonFinding {
  Path: string;
  Line: number;
  Column: number;
  Commit: string | null;
  Type: string;
  MaskedValue: string;
  Rule: string;
}

function parseFindings(stdout: string): JsonFinding[] {
  return (JSON.parse(stdout) as JsonFinding[]).sort(
    (a, b) => a.Path.localeCompare(b.Path) || a.Line - b.Line,
  );
}

describe('ramkey scan on a repository with planted keys', () => {
  let tmp: TempDir;
  let repo: string;
  const history = { id: generateAccessKeyId(cryptoRandom), secret: newSecret() };
  const tree = { id: generateAccessKeyId(cryptoRandom), secret: newSecret() };
  let lookAlikes: string[];
  let addedInHistory: string;
  let addedInTree: string;

  beforeAll(async () => {
    tmp = await makeTempDir('ramkey-scan-');
    repo = join(tmp.dir, 'repo');
    mkdirSync(repo);
    newRepo(repo);
    const looks = lookAlikeFile();
    lookAlikes = looks.ids;
    expect(lookAlikes.every((id) => /^LTAI[0-9A-Za-z]{20}$/.test(id) && !isAccessKeyId(id))).toBe(true);
    write(repo, 'docs/lookalikes.txt', looks.text);
    write(repo, 'README.md', '# app\n');
    commitAll(repo, 'start');
    // The history-only pair: committed, then removed.
    write(
      repo,
      'deploy/app.env',
      `REGION=cn-hangzhou\nALIBABA_CLOUD_ACCESS_KEY_ID=${history.id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET=${history.secret}\n`,
    );
    // A binary file with an ID after its NUL byte is skipped, not searched.
    write(
      repo,
      'assets/logo.png',
      Buffer.concat([Buffer.from([0x89, 0x50, 0, 0]), Buffer.from(generateAccessKeyId(cryptoRandom))]),
    );
    addedInHistory = commitAll(repo, 'deploy settings');
    rmSync(join(repo, 'deploy'), { recursive: true });
    commitAll(repo, 'remove deploy settings');
    // The same content again, later, elsewhere, and removed again: one blob, reported once, where
    // it was first added.
    write(
      repo,
      'backup/app.env.bak',
      `REGION=cn-hangzhou\nALIBABA_CLOUD_ACCESS_KEY_ID=${history.id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET=${history.secret}\n`,
    );
    commitAll(repo, 'restore a backup');
    rmSync(join(repo, 'backup'), { recursive: true });
    commitAll(repo, 'remove the backup');
    // The working-tree pair, committed too.
    write(
      repo,
      'config/settings.json',
      `{\n  "endpoint": "ram.example.com",\n  "AccessKeyId": "${tree.id}",\n  "AccessKeySecret": "${tree.secret}"\n}\n`,
    );
    addedInTree = commitAll(repo, 'settings');
    // Plain text inside .git, which a walk of the working tree must not enter.
    writeFileSync(join(repo, '.git', 'planted-note'), `${generateAccessKeyId(cryptoRandom)}\n`);
  });

  afterAll(async () => {
    await tmp.cleanup();
  });

  /** No output of any run shows a planted value whole, nor any look-alike. */
  function expectNothingRevealed(run: Run): void {
    const out = run.stdout + run.stderr;
    for (const value of [history.id, history.secret, tree.id, tree.secret]) expect(out).not.toContain(value);
  }

  it('finds the working-tree ID and secret, masked, skips .git and the binary file, and exits 1', async () => {
    const run = await ramkey(['scan', '--json', repo]);
    expect(run.code).toBe(1);
    expectNothingRevealed(run);
    expect(parseFindings(run.stdout)).toEqual([
      {
        Path: join(repo, 'config/settings.json'),
        Line: 3,
        Column: 19,
        Commit: null,
        Type: 'AccessKeyId',
        MaskedValue: maskAccessKeyId(tree.id),
        Rule: 'checksum',
      },
      {
        Path: join(repo, 'config/settings.json'),
        Line: 4,
        Column: 23,
        Commit: null,
        Type: 'AccessKeySecret',
        MaskedValue: maskAccessKeySecret(tree.secret),
        Rule: 'nearAccessKeyId',
      },
    ]);
    expect(run.stderr).toContain(`warning: ${join(repo, 'assets/logo.png')}: binary`);
    expect(run.stderr).toContain('Found 1 AccessKey ID and 1 AccessKeySecret in 1 file');
  });

  it('finds the pair only in history with --git, naming the commit that added it, and ignores 1,000 look-alikes', async () => {
    const run = await ramkey(['scan', '--git', '--json', repo]);
    expect(run.code).toBe(1);
    expectNothingRevealed(run);
    const findings = parseFindings(run.stdout);
    expect(findings.map((f) => [f.Path, f.Line, f.Commit, f.Type, f.MaskedValue, f.Rule])).toEqual([
      ['config/settings.json', 3, addedInTree, 'AccessKeyId', maskAccessKeyId(tree.id), 'checksum'],
      [
        'config/settings.json',
        4,
        addedInTree,
        'AccessKeySecret',
        maskAccessKeySecret(tree.secret),
        'nearAccessKeyId',
      ],
      ['deploy/app.env', 2, addedInHistory, 'AccessKeyId', maskAccessKeyId(history.id), 'checksum'],
      [
        'deploy/app.env',
        3,
        addedInHistory,
        'AccessKeySecret',
        maskAccessKeySecret(history.secret),
        'nearAccessKeyId',
      ],
    ]);
    for (const id of lookAlikes) expect(run.stdout).not.toContain(maskAccessKeyId(id));
    expect(run.stderr).toMatch(/warning: assets\/logo\.png \(blob [0-9a-f]{12}\): binary/);
  });

  it('prints a table for people: commit, file:line:column, type, masked value', async () => {
    const run = await ramkey(['scan', '--git', repo]);
    expect(run.code).toBe(1);
    expectNothingRevealed(run);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^COMMIT\s+LOCATION\s+TYPE\s+VALUE\s+FOUND BY$/);
    expect(lines).toHaveLength(5);
    expect(run.stdout).toMatch(
      new RegExp(
        `${addedInHistory.slice(0, 12)}\\s+deploy/app\\.env:2:29\\s+AccessKeyId\\s+${maskAccessKeyId(history.id).replace(/\*/g, '\\*')}`,
      ),
    );
    expect(run.stderr).toContain('in 2 committed files (scanned');
  });

  it('reads each blob once, and skips with a warning the binary ones and those over --max-file-size', async () => {
    const run = await ramkey(['scan', '--git', '--json', '--max-file-size', '1KiB', repo]);
    expect(run.code).toBe(1);
    expect(parseFindings(run.stdout)).toHaveLength(4);
    expect(run.stderr).toMatch(
      /warning: docs\/lookalikes\.txt \(blob [0-9a-f]{12}\): larger than --max-file-size \(\d+\.\d KiB > 1\.0 KiB\)/,
    );
    // README.md sits in all six commits, unchanged, and app.env's content in two paths: one blob each. Scanned: README.md, app.env,
    // settings.json; skipped: lookalikes.txt (size) and logo.png (binary).
    expect(run.stderr).toContain('(scanned 3 blobs, 2 skipped with a warning)');
  });

  it('skips, with a warning and without fetching, the blobs a partial clone lacks', async () => {
    git(repo, 'config', 'uploadpack.allowFilter', 'true');
    const clone = join(tmp.dir, 'partial');
    git(tmp.dir, 'clone', '-q', '--no-checkout', '--filter=blob:none', `file://${repo}`, clone);
    const run = await ramkey(['scan', '--git', clone]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /warning: object [0-9a-f]{12}: missing from this clone \(a partial clone\?\); skipped/,
    );
    // Still missing afterwards: nothing was fetched from the origin.
    const present = () =>
      execFileSync('git', ['-C', clone, 'cat-file', '-e', `${addedInHistory}:deploy/app.env`], {
        env: { ...gitEnv, GIT_NO_LAZY_FETCH: '1' },
        stdio: 'ignore',
      });
    expect(present).toThrow();
  });
});

describe('ramkey scan on clean input', () => {
  let tmp: TempDir;
  beforeAll(async () => {
    tmp = await makeTempDir('ramkey-scan-clean-');
    newRepo(tmp.dir);
    write(tmp.dir, 'lookalikes.txt', lookAlikeFile().text);
    write(tmp.dir, 'src/app.ts', 'const id = process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;\n');
    commitAll(tmp.dir, 'clean');
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('exits 0 with nothing on stdout, one summary line on stderr, and no progress lines', async () => {
    const run = await ramkey(['scan', tmp.dir]);
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(run.stderr).toBe('No AccessKey IDs or secrets found (scanned 2 files).\n');
  });

  it('prints an empty JSON array, and exits 0 for the history and the staged changes too', async () => {
    expect(await ramkey(['scan', '--json', tmp.dir])).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(await ramkey(['scan', '--git', '--json', tmp.dir])).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(await ramkey(['scan', '--staged'], { cwd: tmp.dir })).toMatchObject({ code: 0, stdout: '' });
  });
});

describe('ramkey scan --staged, as a pre-commit hook', () => {
  let tmp: TempDir;
  beforeAll(async () => {
    tmp = await makeTempDir('ramkey-scan-staged-');
    newRepo(tmp.dir);
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('scans what the index holds, not the working tree', async () => {
    const id = generateAccessKeyId(cryptoRandom);
    // Before the first commit: everything staged is new.
    write(tmp.dir, 'app.env', `ACCESS_KEY_ID=${id}\n`);
    git(tmp.dir, 'add', 'app.env');
    const staged = await ramkey(['scan', '--staged', '--json'], { cwd: tmp.dir });
    expect(staged.code).toBe(1);
    expect(parseFindings(staged.stdout)).toMatchObject([
      { Path: 'app.env', Line: 1, Commit: null, MaskedValue: maskAccessKeyId(id) },
    ]);
    // The key is removed from the working tree but still staged: the commit would carry it.
    write(tmp.dir, 'app.env', 'ACCESS_KEY_ID=\n');
    expect((await ramkey(['scan', '--staged', tmp.dir])).code).toBe(1);
    // Staged clean, the key only in the working tree: nothing would be committed.
    git(tmp.dir, 'add', 'app.env');
    write(tmp.dir, 'app.env', `ACCESS_KEY_ID=${id}\n`);
    const clean = await ramkey(['scan', '--staged', tmp.dir]);
    expect(clean.code).toBe(0);
    expect(clean.stderr).toContain('scanned 1 blob');
  });
});

describe('the pre-commit hook of the README', () => {
  let tmp: TempDir;
  beforeAll(async () => {
    tmp = await makeTempDir('ramkey-scan-hook-');
    newRepo(tmp.dir);
    // The README's hook, with `ramkey` spelled as the built CLI.
    const hook = join(tmp.dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" scan --staged\n`);
    chmodSync(hook, 0o755);
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  /** `git commit` with the hook on; returns git's exit code and the hook's stderr. */
  function commit(...args: string[]): { code: number; stderr: string } {
    try {
      execFileSync('git', ['-C', tmp.dir, 'commit', '-q', '--no-gpg-sign', '-m', 'change', ...args], {
        env: gitEnv,
        stdio: 'pipe',
      });
      return { code: 0, stderr: '' };
    } catch (err) {
      const e = err as { status: number; stderr: Buffer };
      return { code: e.status, stderr: e.stderr.toString() };
    }
  }

  it('refuses a commit that adds a key, also with git commit -a, and lets a clean one through', () => {
    write(tmp.dir, 'README.md', '# app\n');
    git(tmp.dir, 'add', 'README.md');
    expect(commit().code).toBe(0);

    const id = generateAccessKeyId(cryptoRandom);
    write(tmp.dir, 'app.env', `ACCESS_KEY_ID=${id}\n`);
    git(tmp.dir, 'add', 'app.env');
    const refused = commit();
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Found 1 AccessKey ID');
    expect(refused.stderr).not.toContain(id);
    git(tmp.dir, 'rm', '-q', '--cached', 'app.env');
    rmSync(join(tmp.dir, 'app.env'));

    // commit -a stages into a temporary index (GIT_INDEX_FILE), which the hook must read.
    write(tmp.dir, 'README.md', `# app\nkey: ${id}\n`);
    expect(commit('-a').code).not.toBe(0);
    write(tmp.dir, 'README.md', '# app, v2\n');
    expect(commit('-a').code).toBe(0);
    expect(git(tmp.dir, 'log', '--format=%s')).toBe('change\nchange');
  });
});

/**
 * Who can be refused a chmod 000 file: this process unless it is root (root reads anything); as
 * root, the unprivileged user 65534 when it can run the built command from where it lies.
 */
const unprivileged: { uid?: number } | undefined = (() => {
  if (process.getuid?.() !== 0) return {};
  const probe = spawnSync(process.execPath, [CLI, 'scan', '--help'], { uid: 65534, gid: 65534 });
  return probe.status === 0 ? { uid: 65534 } : undefined;
})();

describe('ramkey scan skips what it should not or cannot read, with a warning, and goes on', () => {
  let tmp: TempDir;
  const id = generateAccessKeyId(cryptoRandom);

  beforeAll(async () => {
    tmp = await makeTempDir('ramkey-scan-odd-');
    const d = tmp.dir;
    write(d, 'ok.env', `ACCESS_KEY_ID=${id}\n`);
    write(
      d,
      'image.bin',
      Buffer.concat([Buffer.from('GIF89a\0'), Buffer.from(generateAccessKeyId(cryptoRandom))]),
    );
    write(d, 'huge.log', `${'x'.repeat(2000)}\n${generateAccessKeyId(cryptoRandom)}\n`);
    symlinkSync('.', join(d, 'loop'));
    symlinkSync('self', join(d, 'self'));
    symlinkSync('nowhere', join(d, 'dangling'));
    execFileSync('mkfifo', [join(d, 'pipe')]);
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('warns about binary, huge, looping, dangling and special paths, and still finds the key', async () => {
    const d = tmp.dir;
    const run = await ramkey(['scan', '--json', '--max-file-size', '1KiB', d]);
    expect(run.code).toBe(1);
    expect(parseFindings(run.stdout).map((f) => [f.Path, f.MaskedValue])).toEqual([
      [join(d, 'ok.env'), maskAccessKeyId(id)],
    ]);
    const warnings = run.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings.sort()).toEqual(
      [
        `warning: ${join(d, 'dangling')}: dangling symlink; skipped`,
        `warning: ${join(d, 'huge.log')}: larger than --max-file-size (2.0 KiB > 1.0 KiB); skipped`,
        `warning: ${join(d, 'image.bin')}: binary (a NUL byte in its first 8000 bytes); skipped`,
        `warning: ${join(d, 'loop')}: symlink loop (leads back to an enclosing directory); skipped`,
        `warning: ${join(d, 'pipe')}: a FIFO; skipped`,
        `warning: ${join(d, 'self')}: symlink loop; skipped`,
      ].sort(),
    );
    expect(run.stderr).toContain('(scanned 1 file, 6 skipped with a warning)');
  });

  it('scans a file named on the command line, and the same file reached twice only once', async () => {
    const run = await ramkey(['scan', '--json', join(tmp.dir, 'ok.env'), join(tmp.dir, 'ok.env')]);
    expect(run.code).toBe(1);
    expect(parseFindings(run.stdout)).toHaveLength(1);
  });

  // Skipped only as root when user 65534 cannot reach the built command (a checkout under /root).
  it.skipIf(unprivileged === undefined)(
    'warns about unreadable files and directories, and still finds the key',
    async () => {
      const d = join(tmp.dir, 'locked');
      write(d, 'ok.env', `ACCESS_KEY_ID=${id}\n`);
      write(d, 'locked.env', `ACCESS_KEY_ID=${generateAccessKeyId(cryptoRandom)}\n`);
      write(d, 'locked-dir/inside.env', `ACCESS_KEY_ID=${generateAccessKeyId(cryptoRandom)}\n`);
      chmodSync(tmp.dir, 0o755);
      chmodSync(d, 0o755);
      chmodSync(join(d, 'locked.env'), 0o000);
      chmodSync(join(d, 'locked-dir'), 0o000);
      try {
        const run = await ramkey(['scan', '--json', d], unprivileged);
        expect(run.code).toBe(1);
        expect(parseFindings(run.stdout).map((f) => f.Path)).toEqual([join(d, 'ok.env')]);
        expect(run.stderr.split('\n').filter((l) => l.startsWith('warning: '))).toEqual([
          `warning: ${join(d, 'locked-dir')}: permission denied; skipped`,
          `warning: ${join(d, 'locked.env')}: permission denied; skipped`,
        ]);
      } finally {
        chmodSync(join(d, 'locked-dir'), 0o755);
      }
    },
  );
});

describe('ramkey scan usage', () => {
  let tmp: TempDir;
  beforeAll(async () => {
    tmp = await makeTempDir('ramkey-scan-usage-');
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it.each([
    [['scan', '/nonexistent/ramkey-scan'], 'No such file or directory'],
    [['scan', '--git', '.'], 'Not a git repository'],
    [['scan', '--staged', '.'], 'Not a git repository'],
    [['scan', '--git', '--staged'], 'not both'],
    [['scan', '--git', '.', '..'], 'one repository at a time'],
    [['scan', '--max-file-size', '10XB', '.'], 'Invalid --max-file-size'],
    [['scan', '--max-file-size', '0', '.'], 'Invalid --max-file-size'],
    [['scan', '--frobnicate'], 'unknown option'],
  ])('exits 2 for %j', async (args, message) => {
    const run = await ramkey(args, { cwd: tmp.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('documents the options and exit codes in its help', async () => {
    const run = await ramkey(['scan', '--help']);
    expect(run.code).toBe(0);
    for (const text of [
      '--git',
      '--staged',
      '--max-file-size',
      'Exit codes: 0 nothing found, 1 something found',
    ]) {
      expect(run.stdout).toContain(text);
    }
  });
});
