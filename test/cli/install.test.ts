// A fresh clone works after `npm install` alone: the prepare script builds the `ramkey` bin, and no
// installed package asks for a Node.js the project's engines range admits but the package refuses
// (npm's EBADENGINE warning).
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import semver from 'semver';
import { afterAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

interface PackageJson {
  name?: string;
  version: string;
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  engines?: { node?: unknown };
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Every package installed under node_modules (nested ones too), by the path of its package.json. */
function installedPackages(dir: string): { path: string; pkg: PackageJson }[] {
  const found: { path: string; pkg: PackageJson }[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (entry.startsWith('@')) {
      found.push(...installedPackages(path));
      continue;
    }
    if (!existsSync(join(path, 'package.json'))) continue;
    found.push({ path, pkg: readPackage(path) });
    if (existsSync(join(path, 'node_modules'))) found.push(...installedPackages(join(path, 'node_modules')));
  }
  return found;
}

describe('after npm install', () => {
  const project = readPackage(ROOT);
  const work = mkdtempSync(join(tmpdir(), 'ramkey-install-'));
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'the prepare script (run by npm install in a checkout) builds the ramkey bin',
    { timeout: 120_000 },
    async () => {
      // A checkout without dist/: the sources (the console's too), the build configuration and the installed packages.
      for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.client.json']) {
        cpSync(join(ROOT, file), join(work, file));
      }
      cpSync(join(ROOT, 'src'), join(work, 'src'), { recursive: true });
      cpSync(join(ROOT, 'console'), join(work, 'console'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
      const bin = project.bin?.ramkey;
      expect(bin).toBe('dist/cli/main.js');
      expect(existsSync(join(work, 'dist'))).toBe(false);

      await execFileAsync('npm', ['run', 'prepare'], { cwd: work });

      const built = join(work, bin ?? '');
      expect(readFileSync(built, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
      // npx runs the bin itself, so it must be executable (tsc writes it 0644).
      expect(statSync(built).mode & 0o111).toBe(0o111);
      const { stdout } = await execFileAsync('npx', ['--no-install', 'ramkey', '--version'], { cwd: work });
      expect(stdout.trim()).toBe(project.version);
      // The web console is part of the build: `ramkey serve` serves dist/console.
      expect(readFileSync(join(work, 'dist', 'console', 'index.html'), 'utf8')).toContain('<div id="root">');
    },
  );

  it('no installed package refuses a Node.js version the engines range admits', () => {
    const range = project.engines?.node;
    expect(typeof range).toBe('string');
    // The oldest version of each line the range admits, and the Node.js running this test when it is one.
    const versions = String(range)
      .split('||')
      .map((part) => semver.minVersion(part)?.version ?? `unparsable ${part}`);
    if (semver.satisfies(process.versions.node, String(range))) versions.push(process.versions.node);
    const refusing = installedPackages(join(ROOT, 'node_modules')).flatMap(({ path, pkg }) => {
      const wants = pkg.engines?.node;
      if (typeof wants !== 'string') return [];
      return versions
        .filter((v) => !semver.satisfies(v, wants))
        .map((v) => `${path.slice(ROOT.length + 1)} (engines.node ${wants}) refuses Node ${v}`);
    });
    expect(refusing).toEqual([]);
  });

  it("fastify's inject works with the cookie 1.x that light-my-request is pinned to", async () => {
    // package.json's overrides replace cookie 2 (Node >= 22 only) under light-my-request.
    const cookie = readPackage(join(ROOT, 'node_modules', 'light-my-request', 'node_modules', 'cookie'));
    expect(semver.major(cookie.version)).toBe(1);
    const app = Fastify();
    app.get('/', (request) => ({ cookie: request.headers.cookie }));
    const res = await app.inject({ method: 'GET', url: '/', cookies: { session: 'a b', theme: 'dark' } });
    expect(res.json()).toEqual({ cookie: 'session=a%20b; theme=dark' });
    await app.close();
  });
});
