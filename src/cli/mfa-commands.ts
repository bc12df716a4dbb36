// Virtual MFA devices (`mfa create|bind|unbind|delete|list`, `users mfa`) through RAM (2015-05-01).
// The seed is in CreateVirtualMFADevice's answer only: `create` prints it once, or writes the QR code
// to a private file so the seed never reaches the terminal. Binding takes two consecutive codes: as
// flags (they expire within a minute and the server takes each step once, so the shell history keeps
// nothing usable), from standard input, or asked on the terminal.
import type { Command } from 'commander';
import { otpauthUri } from '../core/identity/totp.js';
import { MFA_ISSUER } from '../services/mfa-service.js';
import { client, list, obj, RAM, str, STS, suggestion, type Json } from './api-values.js';
import { ApiError, type RamkeyClient } from './client.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { writeFileAtomically } from './files.js';
import { printFields, printJson, printTable } from './output.js';
import { canPrompt, Prompter, readStdinLines } from './prompt.js';

const SHOWN_ONCE =
  'The seed is shown once and never again: add it to the authenticator app now, then bind the device.';
const SERIAL_PREFIX = 'acs:ram::';

/** The device's serial number: given as is, or built from a name and the caller's account. */
async function serialOf(api: RamkeyClient, nameOrSerial: string): Promise<string> {
  if (nameOrSerial.startsWith(SERIAL_PREFIX)) return nameOrSerial;
  const me = await api.call(STS, 'GetCallerIdentity');
  return `${SERIAL_PREFIX}${str(me.AccountId)}:mfa/${nameOrSerial}`;
}

/** One code as typed: exactly six digits (spaces an app shows in the middle are dropped). */
function authenticationCode(value: string, what: string): string {
  const code = value.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(code)) {
    throw new CliError(`Invalid ${what}: give the 6 digits the authenticator app shows.`, EXIT_USAGE);
  }
  return code;
}

interface CodeOptions {
  code1?: string;
  code2?: string;
  codesStdin?: boolean;
}

/** The two consecutive codes: from the flags, two lines of standard input, or asked on the terminal. */
async function codesOf(options: CodeOptions): Promise<[string, string]> {
  const given = [options.code1, options.code2].filter((c) => c !== undefined).length;
  if (given === 1) throw new CliError('Pass both --code1 and --code2 (two consecutive codes).', EXIT_USAGE);
  if (given === 2 && options.codesStdin) {
    throw new CliError(
      'Pass the codes either as --code1/--code2 or with --codes-stdin, not both.',
      EXIT_USAGE,
    );
  }
  let first: string;
  let second: string;
  if (given === 2) {
    [first, second] = [options.code1 ?? '', options.code2 ?? ''];
  } else if (options.codesStdin) {
    [first = '', second = ''] = await readStdinLines(['the first code', 'the next one'], '--codes-stdin');
  } else {
    if (!canPrompt()) {
      throw new CliError(
        'No terminal to ask for the codes on: pass --code1 and --code2, or --codes-stdin (two consecutive ' +
          'codes as two lines of standard input).',
        EXIT_USAGE,
      );
    }
    const prompter = new Prompter();
    try {
      // The first is checked at once: no waiting 30 s for the next code after a typo.
      first = authenticationCode(await prompter.ask('Code shown by the authenticator app: '), 'first code');
      second = await prompter.ask('Wait for the next code (up to 30 s), then type it: ');
    } finally {
      prompter.close();
    }
  }
  return [authenticationCode(first, 'first code'), authenticationCode(second, 'second code')];
}

/**
 * Deletes the device; the refusal to delete a bound one gets the command that unbinds it (the device
 * list names its user).
 */
async function deleteWithUnbindHint(command: Command, api: RamkeyClient, serial: string): Promise<void> {
  try {
    await api.call(RAM, 'DeleteVirtualMFADevice', { SerialNumber: serial });
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'DeleteConflict.VirtualMFADevice.User') throw err;
    const devices = list(
      (await api.call(RAM, 'ListVirtualMFADevices')).VirtualMFADevices,
      'VirtualMFADevice',
    );
    const user = str(obj(devices.find((d) => d.SerialNumber === serial)?.User).UserName);
    throw new ApiError(
      err.body,
      err.httpStatus,
      err.context,
      `Unbind it first: "${suggestion(command, ['mfa', 'unbind', '--user', user || 'USER'])}"`,
    );
  }
}

function printDevices(devices: readonly Json[], json: boolean): void {
  if (json) {
    printJson(devices);
    return;
  }
  printTable(
    ['SERIAL NUMBER', 'USER', 'BOUND'],
    devices.map((d) => [str(d.SerialNumber), str(obj(d.User).UserName) || '-', str(d.ActivateDate) || '-']),
  );
}

export function registerMfaCommands(program: Command): void {
  const mfa = program.command('mfa').description("manage the account's virtual MFA devices (TOTP)");

  mfa
    .command('create <name>')
    .description('create a virtual MFA device and show its seed once (or write its QR code to a file)')
    .option('--qr-png <file>', 'write the QR code to FILE (mode 0600) instead of printing the seed')
    .addHelpText(
      'after',
      '\nThe seed is in this answer only. Add it to an authenticator app (scan the QR code, or type the\n' +
        'Base32 seed or the otpauth:// URI), then bind the device to a user with two consecutive codes:\n' +
        '  ramkey mfa bind NAME --user USER',
    )
    .action(async (name: string, options: { qrPng?: string }, command: Command) => {
      const { api, json } = client(command);
      const create = async () =>
        obj((await api.call(RAM, 'CreateVirtualMFADevice', { VirtualMFADeviceName: name })).VirtualMFADevice);
      const qrFile = options.qrPng;
      if (qrFile !== undefined) {
        // Created inside the write: a path that cannot be written is refused before a device (whose
        // seed would then be lost) exists.
        const serial = await writeFileAtomically(qrFile, async (out) => {
          const device = await create();
          await out.write(Buffer.from(str(device.QRCodePNG), 'base64'));
          return str(device.SerialNumber);
        });
        const note = `The QR code in ${qrFile} holds the seed and is its only copy: scan it, then delete the file.`;
        if (json) {
          printJson({ SerialNumber: serial, QRCodePNGFile: qrFile });
          process.stderr.write(`${note}\n`);
        } else {
          printFields({ 'Serial number': serial, 'QR code': qrFile });
          process.stdout.write(`\n${note}\n`);
        }
        return;
      }
      const device = await create();
      const serial = str(device.SerialNumber);
      const seed = str(device.Base32StringSeed);
      if (json) {
        printJson(device);
        // stdout stays one JSON document; the warning goes beside it.
        process.stderr.write(`${SHOWN_ONCE}\n`);
        return;
      }
      printFields({
        'Serial number': serial,
        'Seed (Base32)': seed,
        URI: otpauthUri(seed, MFA_ISSUER, serial),
      });
      process.stdout.write(`\n${SHOWN_ONCE}\n`);
    });

  mfa
    .command('bind <nameOrSerial>')
    .description('bind a virtual MFA device to a RAM user, proven by two consecutive codes of it')
    .requiredOption('--user <name>', 'the RAM user')
    .option('--code1 <code>', 'a code the authenticator app shows')
    .option('--code2 <code>', 'the code after it (wait for the app to change)')
    .option('--codes-stdin', 'read the two consecutive codes from standard input, one a line')
    .addHelpText(
      'after',
      '\nWithout --code1/--code2 or --codes-stdin it asks for the two codes on the terminal. A code\n' +
        'is taken once and expires within a minute, so flags leave nothing usable in the shell history.',
    )
    .action(async (nameOrSerial: string, options: CodeOptions & { user: string }, command: Command) => {
      const codes = await codesOf(options);
      const { api, json } = client(command);
      const serial = await serialOf(api, nameOrSerial);
      await api.call(RAM, 'BindMFADevice', {
        SerialNumber: serial,
        UserName: options.user,
        AuthenticationCode1: codes[0],
        AuthenticationCode2: codes[1],
      });
      if (json) printJson({ SerialNumber: serial, UserName: options.user });
      else process.stdout.write(`Bound MFA device ${serial} to user ${options.user}.\n`);
    });

  mfa
    .command('unbind')
    .description("unbind a RAM user's MFA device (the device stays, to be bound again or deleted)")
    .requiredOption('--user <name>', 'the RAM user')
    .action(async (options: { user: string }, command: Command) => {
      const { api, json } = client(command);
      const unbound = obj((await api.call(RAM, 'UnbindMFADevice', { UserName: options.user })).MFADevice);
      const serial = str(unbound.SerialNumber);
      if (json) printJson({ SerialNumber: serial, UserName: options.user });
      else process.stdout.write(`Unbound MFA device ${serial} from user ${options.user}.\n`);
    });

  mfa
    .command('delete <nameOrSerial>')
    .description('delete a virtual MFA device that is bound to no user')
    .action(async (nameOrSerial: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      const serial = await serialOf(api, nameOrSerial);
      await deleteWithUnbindHint(command, api, serial);
      if (json) printJson({ SerialNumber: serial });
      else process.stdout.write(`Deleted MFA device ${serial}.\n`);
    });

  mfa
    .command('list')
    .description("list the account's virtual MFA devices and the users they are bound to")
    .action(async (_options: unknown, command: Command) => {
      const { api, json } = client(command);
      printDevices(
        list((await api.call(RAM, 'ListVirtualMFADevices')).VirtualMFADevices, 'VirtualMFADevice'),
        json,
      );
    });
}

/** `users mfa NAME`: the MFA device bound to a user (GetUserMFAInfo). */
export function registerUserMfaCommand(users: Command): void {
  users
    .command('mfa <name>')
    .description('show the MFA device bound to a RAM user')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      const device = obj((await api.call(RAM, 'GetUserMFAInfo', { UserName: name })).MFADevice);
      if (json) printJson(device);
      else printFields({ 'Serial number': str(device.SerialNumber), Type: str(device.Type) });
    });
}
