// How the `ramkey` command reports a failure: for people, what went wrong and what to do about it
// (the denied action and the policy that decided, a secret or clock to check); under --json, one JSON
// object on stderr (stdout stays empty); and the exit code, the same either way.
import { CommanderError, type Command } from 'commander';
import { toWireDate } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { MAX_CLOCK_SKEW_MS } from '../core/signature/timestamp.js';
import { ApiError } from './client.js';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { formatFields, formatJson } from './output.js';

/** An error as `--json` prints it: the API's envelope for API errors, `{Code, Message}` for the CLI's own. */
export type JsonError = Record<string, unknown> & { Code: string; Message: string };

/**
 * Whether the command line asks for JSON: `--json` anywhere before a `--`, as the global option or a
 * command's own (commander may not have parsed it when the command line itself is wrong).
 */
export function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

/**
 * Parses and runs the command line, then reports any failure and sets the exit code. Under --json,
 * commander's own usage messages are held back in favour of the JSON error.
 */
export async function runProgram(program: Command, argv: readonly string[]): Promise<void> {
  const json = wantsJson(argv.slice(2));
  if (json) quietCommander(program);
  // A reader that stops early (`ramkey --help | head`) closes the pipe: that ends the command
  // quietly, as it does for other Unix tools, instead of an unhandled EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err, json);
  }
}

function quietCommander(command: Command): void {
  command.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  for (const sub of command.commands) quietCommander(sub);
}

/** Writes `err` to stderr (human lines or one JSON object) and returns the exit code to leave with. */
export function reportError(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with code 0; commander has printed the rest unless --json.
    if (err.exitCode === 0) return EXIT_OK;
    if (json) writeJson({ Code: 'InvalidUsage', Message: usageMessage(err) });
    return EXIT_USAGE;
  }
  if (err instanceof ApiError) {
    process.stderr.write(json ? formatJson(apiErrorJson(err)) : formatApiError(err));
    return EXIT_FAILURE;
  }
  const { code, message, exitCode } = describe(err);
  if (json) writeJson({ Code: code, Message: message });
  else process.stderr.write(`Error: ${message}\n`);
  return exitCode;
}

function writeJson(value: JsonError): void {
  process.stderr.write(formatJson(value));
}

/** Commander's message without its `error: ` prefix; a missing subcommand says so. */
function usageMessage(err: CommanderError): string {
  if (err.code === 'commander.help') return 'A subcommand is missing: see --help.';
  return err.message.replace(/^error: /, '');
}

function describe(err: unknown): { code: string; message: string; exitCode: number } {
  if (err instanceof CliError) {
    return {
      code: err.exitCode === EXIT_USAGE ? 'InvalidUsage' : 'CliError',
      message: err.message,
      exitCode: err.exitCode,
    };
  }
  if (err instanceof RamkeyError) {
    // The operator's side of an unreachable database: what is down, and the driver's reason.
    const reason = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    const message =
      err.code === 'ServiceUnavailable' && err.detail !== undefined ? `${err.detail}${reason}` : err.message;
    return { code: err.code, message, exitCode: EXIT_FAILURE };
  }
  return {
    code: 'CliError',
    message: err instanceof Error ? err.message : String(err),
    exitCode: EXIT_FAILURE,
  };
}

/**
 * The server's message, but for SignatureDoesNotMatch without the string to sign it appends: that
 * holds every signed parameter's value, and comparing it helps no one who merely has the wrong secret.
 */
function messageOf(err: ApiError): string {
  return err.code === 'SignatureDoesNotMatch'
    ? err.message.replace(/\s*server string to sign is:[\s\S]*$/, '')
    : err.message;
}

/** The JSON form of an API error: the server's envelope, the HTTP status, and the CLI's hint. */
export function apiErrorJson(err: ApiError): JsonError {
  const hint = hintOf(err);
  return {
    Code: err.code,
    Message: messageOf(err),
    RequestId: err.requestId,
    HttpStatus: err.httpStatus,
    ...(err.body.HostId !== undefined && { HostId: err.body.HostId }),
    ...(err.body.Recommend !== undefined && { Recommend: err.body.Recommend }),
    ...(err.body.AccessDeniedDetail !== undefined && { AccessDeniedDetail: err.body.AccessDeniedDetail }),
    ...(hint !== undefined && { Hint: hint }),
  };
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** What the CLI can tell beyond the server's answer: which secret or clock to check, a flag to pass. */
function hintOf(err: ApiError): string | undefined {
  if (err.hint !== undefined) return err.hint;
  const id = err.context.accessKeyId;
  if (err.code === 'SignatureDoesNotMatch') {
    return (
      `The AccessKeySecret in use is not the one of AccessKey ${id}: check the secret configured with it ` +
      (err.context.source !== undefined
        ? `(it came from ${err.context.source}).`
        : '(RAMKEY_ACCESS_KEY_SECRET, or the accessKeySecret of the profile in use).')
    );
  }
  if (err.code.startsWith('InvalidTimeStamp.')) {
    return (
      "Check this machine's clock (NTP): Ramkey accepts a request signed within " +
      `${String(MAX_CLOCK_SKEW_MS / 60_000)} minutes of its own time.`
    );
  }
  if (err.code === 'InvalidAccessKeyId.NotFound') {
    return (
      `No AccessKey ${id} exists on this server (a typo, a purged key, or another installation): ` +
      'check the AccessKeyId configured, and the endpoint.'
    );
  }
  if (err.code === 'InvalidAccessKeyId.Inactive') {
    return (
      `AccessKey ${id} is disabled: use another key, or have an administrator of the account enable it ` +
      `again ("ramkey keys owner ${id}" shows whose it is).`
    );
  }
  return undefined;
}

/** Who was denied, in words: `RAM user app-1 of account 1234...`. */
function principalOf(detail: Record<string, unknown>): string | undefined {
  const name = text(detail.AuthPrincipalDisplayName);
  if (name === undefined) return undefined;
  const owner = text(detail.AuthPrincipalOwnerId);
  const kind = detail.AuthPrincipalType === 'SubUser' ? 'RAM user' : text(detail.AuthPrincipalType);
  return `${kind === undefined ? '' : `${kind} `}${name}${owner === undefined ? '' : ` of account ${owner}`}`;
}

/** The policy that decided a denial, and whether it was an explicit Deny or nothing allowing it. */
function decidedBy(detail: Record<string, unknown>): string | undefined {
  const type = text(detail.NoPermissionType);
  if (type === undefined) return undefined;
  const policy = text(detail.PolicyName);
  const policyType = text(detail.PolicyType);
  const where = policy === undefined ? '' : `policy ${policy}${policyType ? ` (${policyType})` : ''}: `;
  if (type === 'ExplicitDeny') return `${where}a Deny statement matched (explicit deny)`;
  if (type === 'ImplicitDeny')
    return `${where}no statement of the principal's policies allows it (implicit deny)`;
  return `${where}${type}`;
}

/**
 * The lines a person reads: the code, message and request, then what was refused and what to do.
 *
 * @example
 * // Error: NoPermission: You are not authorized to do this action. (HTTP 403, RequestId 6C1F...)
 * //   Action:     ram:CreateUser
 * //   Decided by: no statement of the principal's policies allows it (implicit deny)
 */
export function formatApiError(err: ApiError): string {
  const detail = err.body.AccessDeniedDetail ?? {};
  const skew = err.code.startsWith('InvalidTimeStamp.') ? clocks(err) : {};
  const fields = formatFields({
    Action: text(detail.AuthAction),
    Resource: text(detail.AuthResource),
    Principal: principalOf(detail),
    'Decided by': decidedBy(detail),
    ...skew,
    Recommend: err.body.Recommend,
    Hint: hintOf(err),
  });
  const indented = fields
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `  ${line}\n`);
  const status = `(HTTP ${String(err.httpStatus)}, RequestId ${err.requestId || '-'})`;
  return `Error: ${err.code}: ${messageOf(err)} ${status}\n${indented.join('')}`;
}

/** This machine's time at signing against the server's Date header, and how far apart they are. */
function clocks(err: ApiError): Record<string, string> {
  const local = toWireDate(err.context.signedAt);
  const server = err.context.serverDate === undefined ? NaN : Date.parse(err.context.serverDate);
  if (!Number.isFinite(server)) return { 'Local time': local };
  const seconds = Math.round((err.context.signedAt - server) / 1000);
  const apart =
    seconds === 0 ? 'the same' : `${String(Math.abs(seconds))} s ${seconds > 0 ? 'ahead' : 'behind'}`;
  return { 'Local time': `${local} (this machine: ${apart})`, 'Server time': toWireDate(server) };
}
