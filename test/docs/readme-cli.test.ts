// Every shell example of the README's CLI section (and of the least-privilege walkthrough) runs, in
// order, against a real server with the built command, as a reader would paste it: if an example
// stops working, or a `policy simulate` line stops answering the decision its comment promises,
// this fails and names the example.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startServer, type RunningServer } from '../support/ramkey-server.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

interface Example {
  line: number;
  code: string;
}

/** The ```sh blocks between two headings (the end heading excluded), with their line numbers. */
function shellExamples(from: string, to: string): Example[] {
  const start = README.indexOf(`\n${from}\n`);
  const end = README.indexOf(`\n${to}\n`, start + 1);
  if (start < 0 || end < 0) throw new Error(`README has no section "${from}" before "${to}"`);
  const examples: Example[] = [];
  // Fences may be indented (inside a list item): the code is taken out of the indentation.
  const fence = /\n( *)```sh\n([\s\S]*?)\n\1```\n/g;
  const section = README.slice(start, end);
  for (const m of section.matchAll(fence)) {
    const indent = m[1] ?? '';
    const code = (m[2] ?? '')
      .split('\n')
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
      .join('\n');
    // A file's content (a hook script) is not a command to run here.
    if (code.startsWith('#!')) continue;
    const line = README.slice(0, start + m.index).split('\n').length + 1;
    examples.push({ line, code });
  }
  return examples;
}

/**
 * A `policy simulate` line whose comment names the decision (`# implicitDeny`) also checks that the
 * answer is that decision.
 */
function withDecisionChecks(code: string): string {
  return code
    .split('\n')
    .map((line) => {
      const m = /^(.*\bpolicy simulate\b.*?)\s+#\s*(allowed|implicitDeny|explicitDeny)\b.*$/.exec(line);
      if (!m) return line;
      return `[ "$(${m[1] ?? ''} --json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).EvalDecision)')" = ${m[2] ?? ''} ]`;
    })
    .join('\n');
}

/** One bash script running the examples in order; stderr names the example that failed. */
function script(examples: Example[], server: RunningServer): string {
  const body = examples
    .map(
      (e) =>
        `echo "=== README line ${String(e.line)}" >&2\n` +
        withDecisionChecks(e.code)
          .replaceAll('http://127.0.0.1:8080', `http://${server.endpoint}`)
          .replaceAll('127.0.0.1:8080', server.endpoint),
    )
    .join('\n');
  return [
    'set -eo pipefail',
    `ramkey() { node ${JSON.stringify(CLI)} "$@"; }`,
    `npx() { if [ "$1" = ramkey ]; then shift; node ${JSON.stringify(CLI)} "$@"; else command npx "$@"; fi; }`,
    body,
    'echo "=== all examples ran" >&2',
  ].join('\n');
}

describe('the README examples of the ramkey command', () => {
  let server: RunningServer;
  let home: string;

  beforeAll(async () => {
    server = await startServer();
    home = mkdtempSync(join(tmpdir(), 'ramkey-readme-'));
  }, 60_000);

  afterAll(async () => {
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  });

  function run(examples: Example[], cwd: string) {
    expect(examples.length).toBeGreaterThan(0);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      RAMKEY_ENDPOINT: `http://${server.endpoint}`,
      RAMKEY_ACCESS_KEY_ID: server.admin.accessKeyId,
      RAMKEY_ACCESS_KEY_SECRET: server.admin.accessKeySecret,
    };
    const res = spawnSync('bash', ['-c', script(examples, server)], { cwd, env, encoding: 'utf8' });
    const last = [...res.stderr.matchAll(/=== (.*)/g)].at(-1)?.[1];
    expect({ status: res.status, last }, res.stderr.slice(-3000)).toEqual({
      status: 0,
      last: 'all examples ran',
    });
    return res;
  }

  it('runs the least-privilege walkthrough and the CLI section, in order', () => {
    const cwd = join(home, 'work');
    mkdirSync(cwd);
    const examples = [
      ...shellExamples('#### Least privilege for an application', '### Recycle bin'),
      ...shellExamples('## The `ramkey` command', '### Scanning for leaked keys'),
    ];
    const res = run(examples, cwd);
    // What the examples promise to leave behind.
    const config = join(home, '.aliyun', 'config.json');
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(readFileSync(config, 'utf8')).toContain('"name": "ramkey"');
    expect(readFileSync(join(cwd, 'report.csv'), 'utf8')).toContain('billing-app');
    expect(statSync(join(cwd, 'audit.jsonl')).size).toBeGreaterThan(0);
    expect(res.stdout).toContain(server.admin.accessKeyId.slice(0, 4));
  }, 300_000);

  it('runs the scanning examples in a clean repository', () => {
    const repo = join(home, 'repo');
    mkdirSync(join(repo, 'config'), { recursive: true });
    writeFileSync(join(repo, 'config', 'app.yaml'), 'endpoint: 127.0.0.1:8080\n');
    writeFileSync(join(repo, 'deploy.env'), 'REGION=cn-hangzhou\n');
    const git = (...args: string[]) =>
      spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'init');
    run(shellExamples('### Scanning for leaked keys', '## Security'), repo);
  }, 120_000);
});
