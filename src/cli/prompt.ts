// Reading what a command must not take as a flag value (secrets, passwords): from the terminal with
// the typing hidden, or from standard input for scripts. Flag values land in the shell history and
// show in `ps`; these do not.
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { CliError, EXIT_USAGE } from './exit-codes.js';

/** Prompts on stderr (stdout stays the command's answer); a hidden prompt echoes nothing. */
export class Prompter {
  private muted = false;
  private readonly interrupted = new AbortController();
  private readonly lines = createInterface({
    input: process.stdin,
    output: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        if (!this.muted) process.stderr.write(chunk);
        done();
      },
    }),
    terminal: true,
  });

  constructor() {
    this.lines.on('SIGINT', () => {
      this.interrupted.abort();
    });
  }

  async ask(question: string, hidden = false): Promise<string> {
    // question() writes the prompt at once; muting after it hides only what is typed.
    const answer = this.lines.question(question, { signal: this.interrupted.signal });
    this.muted = hidden;
    try {
      return (await answer).trim();
    } catch {
      throw new CliError('\nInterrupted: nothing was changed.');
    } finally {
      if (hidden) process.stderr.write('\n');
      this.muted = false;
    }
  }

  close(): void {
    this.lines.close();
  }
}

/** All of standard input, without its final line break. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * Exactly `names.length` non-empty lines of standard input, one per name (`the password`): more,
 * fewer or an empty one is refused, so that a script that pipes the wrong thing is told so.
 */
export async function readStdinLines(names: readonly string[], flag: string): Promise<string[]> {
  const text = await readStdin();
  const lines = text === '' ? [] : text.split(/\r?\n/);
  const expected =
    names.length === 1 ? 'one line' : `${String(names.length)} lines (${names.join(', then ')})`;
  if (lines.length !== names.length) {
    throw new CliError(
      `${flag} reads ${expected} from standard input; it got ${String(lines.length)}.`,
      EXIT_USAGE,
    );
  }
  const empty = lines.findIndex((line) => line === '');
  if (empty !== -1) throw new CliError(`${flag}: ${names[empty] ?? 'a line'} is empty.`, EXIT_USAGE);
  return lines;
}

/** Whether there is a terminal to ask on. */
export function canPrompt(): boolean {
  return process.stdin.isTTY;
}

/**
 * Asks on the terminal, typing hidden, for each of `questions` (`Current password`), and for a new
 * password twice when `confirm` is set, so that a typo does not become the password.
 */
export async function askPasswords(
  questions: readonly string[],
  confirm: string | undefined,
): Promise<string[]> {
  const prompter = new Prompter();
  try {
    const answers: string[] = [];
    for (const question of questions) {
      let answer = '';
      while (answer === '') answer = await prompter.ask(`${question} (not shown): `, true);
      answers.push(answer);
    }
    if (confirm !== undefined) {
      const again = await prompter.ask(`${confirm} (not shown): `, true);
      if (again !== answers.at(-1))
        throw new CliError('The two passwords typed differ: nothing was changed.');
    }
    return answers;
  } finally {
    prompter.close();
  }
}
