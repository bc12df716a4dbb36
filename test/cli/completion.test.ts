// `ramkey completion bash|zsh`: the scripts the built command prints, loaded into real shells, complete
// commands, subcommands and options from the command tree.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/ramkey-server.js';

const execFileAsync = promisify(execFile);

function hasShell(shell: string): boolean {
  try {
    execFileSync(shell, ['-c', 'true']);
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ramkey-completion-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function script(shell: 'bash' | 'zsh'): Promise<string> {
  const res = await runCli(['completion', shell]);
  expect(res.code, res.stderr).toBe(0);
  const file = join(dir, `ramkey.${shell}`);
  writeFileSync(file, res.stdout);
  return file;
}

describe('bash completion', () => {
  let file: string;
  beforeAll(async () => {
    file = await script('bash');
  });

  /** What bash offers for the command line `words` (the last one being completed). */
  async function complete(...words: string[]): Promise<string[]> {
    const { stdout } = await execFileAsync('bash', [
      '-c',
      'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ramkey; printf "%s\\n" "${COMPREPLY[@]}"',
      'bash',
      file,
      'ramkey',
      ...words,
    ]);
    return stdout.split('\n').filter(Boolean);
  }

  it('completes commands, subcommands of the path typed so far, and their options', async () => {
    expect(await complete('po')).toEqual(['policy']);
    expect(await complete('policy', '')).toEqual(
      expect.arrayContaining(['simulate', 'create', 'get', 'list', 'attach', 'detach', 'set-default']),
    );
    expect(await complete('groups', 'add')).toEqual(['add-user']);
    // Three levels deep, and the --no- form of a boolean setting.
    expect((await complete('users', 'login-profile', '')).sort()).toEqual([
      'create',
      'delete',
      'get',
      'update',
    ]);
    expect(await complete('password-policy', 'set', '--no-require-n')).toEqual(['--no-require-numbers']);
    expect((await complete('mfa', '')).sort()).toEqual(['bind', 'create', 'delete', 'list', 'unbind']);
    expect(await complete('security-preference', 'set', '--no-login')).toEqual(['--no-login-network-masks']);
    const keysList = await complete('keys', 'list', '--');
    expect(keysList).toEqual(expect.arrayContaining(['--user', '--json', '--profile', '--help']));
    // An option's value does not count as a subcommand; a global option before the path is skipped.
    expect(await complete('--json', 'policy', 'attach', 'x', '--user', 'keys', '--ty')).toEqual(['--type']);
    // Where a value is expected, bash's own (file name) completion takes over.
    expect(await complete('users', 'get', '')).toEqual([]);
  });

  it('registers the function for the ramkey command, falling back to file names', async () => {
    const { stdout } = await execFileAsync('bash', ['-c', 'source "$1"; complete -p ramkey', 'bash', file]);
    expect(stdout.trim()).toBe('complete -o default -F _ramkey ramkey');
  });
});

// Without zsh the suite is skipped locally; under CI (.ci/run installs zsh) it runs and fails instead.
describe.skipIf(!hasShell('zsh') && !process.env.CI)('zsh completion', () => {
  let file: string;
  beforeAll(async () => {
    file = await script('zsh');
  });

  /**
   * Types `line` and a TAB into an interactive zsh (in a pseudo-terminal, through zsh/zpty) that has
   * loaded the script after compinit, and waits until the line reads `expected`.
   */
  async function typeTab(line: string, expected: string): Promise<void> {
    const driver = [
      'zmodload zsh/zpty',
      "zpty z 'zsh -f -i'",
      `zpty -w z 'PS1="> "; autoload -U compinit; compinit -u; source "${file}"; echo READY-$((1+1))'`,
      "zpty -r z out '*READY-2*'",
      `zpty -w -n z '${line}'$'\\t'`,
      `zpty -r z out '*${expected}*'`,
      'zpty -d z',
    ].join('\n');
    // The shell ends as soon as the line reads as expected; the timeout only ends a broken run.
    await execFileAsync('zsh', ['-f', '-c', driver], { timeout: 20_000 });
  }

  it('loads after compinit without errors', async () => {
    const { stderr } = await execFileAsync('zsh', [
      '-f',
      '-c',
      'autoload -U compinit; compinit -u; source "$1"; whence -w _ramkey',
      'zsh',
      file,
    ]);
    expect(stderr).toBe('');
  });

  it('completes a command, a subcommand and an option in an interactive shell', async () => {
    await typeTab('ramkey po', 'ramkey policy');
    await typeTab('ramkey policy att', 'ramkey policy attach');
    await typeTab('ramkey keys list --us', 'ramkey keys list --user');
  });
});
