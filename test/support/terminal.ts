// The built `ramkey` in a pseudo-terminal (zsh's zpty, as the completion suite does), for the
// prompts that only a terminal gets: passwords typed hidden, MFA codes.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { shellArg } from '../../src/cli/output.js';
import { CLI } from './ramkey-server.js';

type Env = Record<string, string>;

const execFileAsync = promisify(execFile);

export function hasZsh(): boolean {
  try {
    execFileSync('zsh', ['-c', 'true']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the built command in a pseudo-terminal (zsh's zpty, as the completion suite does): waits for
 * each prompt, types its answer and Enter, and returns all the terminal showed with the exit code.
 */
export async function onTerminal(
  args: string[],
  env: Env,
  steps: readonly (readonly [prompt: string, answer: string])[],
): Promise<{ screen: string; code: number }> {
  const command = [process.execPath, CLI, ...args].map(shellArg).join(' ');
  const pattern = (text: string) => shellArg(`*${text.replace(/[()[\]*?<>|#~^\\]/g, '\\$&')}*`);
  const driver = [
    'zmodload zsh/zpty',
    `zpty z ${shellArg(`${command}; echo "EXIT=$?"`)}`,
    'screen=""',
    ...steps.flatMap(([prompt, answer]) => [
      `zpty -r z out ${pattern(prompt)}; screen+=$out`,
      `zpty -w -n z ${shellArg(answer)}$'\\r'`,
    ]),
    "zpty -r z out '*EXIT=[0-9]*'; screen+=$out",
    'zpty -d z',
    'print -r -- "$screen"',
  ].join('\n');
  // The driver ends as soon as the command has; the timeout only ends a broken run.
  const { stdout } = await execFileAsync('zsh', ['-f', '-c', driver], {
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { screen: stdout, code: Number(/EXIT=(\d)/.exec(stdout)?.[1] ?? -1) };
}
