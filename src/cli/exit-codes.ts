// Exit codes of the `ramkey` command, documented in the README.

/** Success. */
export const EXIT_OK = 0;
/** The operation failed: an API error, an unreachable server, a refused initialisation. */
export const EXIT_FAILURE = 1;
/** The command line was wrong: unknown command or option, missing argument, missing credentials. */
export const EXIT_USAGE = 2;

/** An error whose message is meant for the user as is, with the exit code to leave with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
