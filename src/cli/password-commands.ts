// Console passwords: a RAM user's login profile (`users login-profile`), a user changing its own
// password (`password change`) and the account's password policy (`password-policy`).
// A password is never a flag value (the shell history and `ps` would keep it): it is typed on the
// terminal with the typing hidden, read from standard input, or generated; only a generated one is
// printed, once.
import { Option, type Command } from 'commander';
import {
  DEFAULT_PASSWORD_POLICY,
  generatePassword,
  PASSWORD_POLICY_LIMITS,
  type PasswordPolicy,
} from '../core/identity/password-policy.js';
import { cryptoRandom } from '../core/random.js';
import { client, obj, RAM, STS, str, suggestion, type Json } from './api-values.js';
import { ApiError, type RamkeyClient } from './client.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { printFields, printJson } from './output.js';
import { askPasswords, canPrompt, readStdinLines } from './prompt.js';

const SHOWN_ONCE = 'The password is shown once and never again: store it now.';

const yesNo = (value: unknown) => (typeof value === 'boolean' ? (value ? 'yes' : 'no') : undefined);

/** The account's password policy as the API gives it, read into the core's shape. */
function policyOf(wire: Json): PasswordPolicy {
  const number = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);
  const flag = (value: unknown, fallback: boolean) => (typeof value === 'boolean' ? value : fallback);
  const d = DEFAULT_PASSWORD_POLICY;
  return {
    minimumPasswordLength: number(wire.MinimumPasswordLength, d.minimumPasswordLength),
    requireLowercaseCharacters: flag(wire.RequireLowercaseCharacters, d.requireLowercaseCharacters),
    requireUppercaseCharacters: flag(wire.RequireUppercaseCharacters, d.requireUppercaseCharacters),
    requireNumbers: flag(wire.RequireNumbers, d.requireNumbers),
    requireSymbols: flag(wire.RequireSymbols, d.requireSymbols),
    hardExpiry: flag(wire.HardExpiry, d.hardExpiry),
    maxLoginAttempts: number(wire.MaxLoginAttemps, d.maxLoginAttempts),
    passwordReusePrevention: number(wire.PasswordReusePrevention, d.passwordReusePrevention),
    maxPasswordAge: number(wire.MaxPasswordAge, d.maxPasswordAge),
  };
}

async function passwordPolicy(api: RamkeyClient): Promise<Json> {
  return obj((await api.call(RAM, 'GetPasswordPolicy')).PasswordPolicy);
}

interface PasswordOptions {
  passwordStdin?: boolean;
  generate?: boolean;
}

/** A new password and whether it was generated (then the command prints it, once). */
interface NewPassword {
  password: string;
  generated: boolean;
}

/**
 * The new password the options give: generated to the account's policy, one line of standard
 * input, or typed twice on the terminal when `ask` is set; undefined when none is given and not asked.
 */
async function newPassword(
  api: RamkeyClient,
  user: string,
  options: PasswordOptions,
  ask: true,
): Promise<NewPassword>;
async function newPassword(
  api: RamkeyClient,
  user: string,
  options: PasswordOptions,
  ask: boolean,
): Promise<NewPassword | undefined>;
async function newPassword(
  api: RamkeyClient,
  user: string,
  options: PasswordOptions,
  ask: boolean,
): Promise<NewPassword | undefined> {
  if (options.generate) {
    return { password: generatePassword(policyOf(await passwordPolicy(api)), cryptoRandom), generated: true };
  }
  if (options.passwordStdin) {
    const [password = ''] = await readStdinLines(['the password'], '--password-stdin');
    return { password, generated: false };
  }
  if (!ask) return undefined;
  if (!canPrompt()) {
    throw new CliError(
      'No terminal to ask for the password on: pass --password-stdin (the password as one line on ' +
        'standard input) or --generate.',
      EXIT_USAGE,
    );
  }
  const [password = ''] = await askPasswords([`New console password for ${user}`], 'Repeat it');
  return { password, generated: false };
}

/**
 * Makes `call`, adding to a refused password (InvalidParameter.Password, whose message names the
 * rule) the command that shows all of the account's rules.
 */
async function withPolicyHint(
  command: Command,
  call: () => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError && err.code === 'InvalidParameter.Password') {
      throw new ApiError(
        err.body,
        err.httpStatus,
        err.context,
        `The account's password rules: ${suggestion(command, ['password-policy', 'get'])}`,
      );
    }
    throw err;
  }
}

/** The login profile as the API gives it, plus the password when it was generated. */
function printProfile(profile: Json, json: boolean, fresh: NewPassword | undefined): void {
  const generated = fresh?.generated === true ? fresh.password : undefined;
  if (json) {
    printJson({ ...profile, ...(generated !== undefined && { Password: generated }) });
    // stdout stays one JSON document; the warning goes beside it.
    if (generated !== undefined) process.stderr.write(`${SHOWN_ONCE}\n`);
    return;
  }
  printFields({
    'User name': str(profile.UserName),
    'Password reset required': yesNo(profile.PasswordResetRequired),
    'MFA bind required': yesNo(profile.MFABindRequired),
    Created: str(profile.CreateDate) || undefined,
    Password: generated,
  });
  if (generated !== undefined) process.stdout.write(`\n${SHOWN_ONCE}\n`);
}

/**
 * `--password-stdin` and `--generate`: two ways to give the password, which exclude each other. A
 * hidden `--password VALUE` is there only to explain, without repeating the value, why it is refused.
 */
function passwordOptions(command: Command, verb: string): Command {
  return command
    .addOption(new Option('--password <value>').hideHelp())
    .hook('preAction', (cmd) => {
      if (cmd.opts<{ password?: string }>().password !== undefined) {
        throw new CliError(
          'A password is never taken as a flag value (the shell history and ps would keep it; clear it ' +
            'from your history): use --password-stdin, --generate, or neither to be asked on the terminal.',
          EXIT_USAGE,
        );
      }
    })
    .addOption(
      new Option('--password-stdin', `read the ${verb} password from standard input (one line)`).conflicts(
        'generate',
      ),
    )
    .addOption(
      new Option(
        '--generate',
        "generate a password that satisfies the account's password policy and print it once",
      ).conflicts('passwordStdin'),
    );
}

/** A boolean setting as `--x` / `--no-x`: unset unless one of them is given. */
function toggle(command: Command, flag: string, what: string): Command {
  return command.option(`--${flag}`, what).option(`--no-${flag}`, `the opposite of --${flag}`);
}

export function registerLoginProfileCommands(users: Command): void {
  const profiles = users
    .command('login-profile')
    .description("manage a RAM user's console password (its login profile)");

  passwordOptions(
    profiles
      .command('create <user>')
      .description(
        'give a RAM user a console password: typed on the terminal (hidden), from standard input, or generated',
      ),
    'new',
  )
    .option('--password-reset-required', 'the user must change the password at its next sign-in')
    .option('--mfa-bind-required', 'the user must bind an MFA device at its next sign-in')
    .addHelpText(
      'after',
      "\nThe password is never a flag value (shell history, ps). A password that breaks the account's " +
        'policy is refused\nwith the rule it breaks (see: ramkey password-policy get).',
    )
    .action(
      async (
        user: string,
        options: PasswordOptions & { passwordResetRequired?: boolean; mfaBindRequired?: boolean },
        command: Command,
      ) => {
        const { api, json } = client(command);
        const fresh = await newPassword(api, user, options, true);
        const profile = obj(
          (
            await withPolicyHint(command, () =>
              api.call(RAM, 'CreateLoginProfile', {
                UserName: user,
                Password: fresh.password,
                PasswordResetRequired: String(options.passwordResetRequired ?? false),
                MFABindRequired: String(options.mfaBindRequired ?? false),
              }),
            )
          ).LoginProfile,
        );
        printProfile(profile, json, fresh);
      },
    );

  profiles
    .command('get <user>')
    .description("show a RAM user's login profile (never its password)")
    .action(async (user: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      printProfile(
        obj((await api.call(RAM, 'GetLoginProfile', { UserName: user })).LoginProfile),
        json,
        undefined,
      );
    });

  const update = passwordOptions(
    profiles
      .command('update <user>')
      .description("change a RAM user's console password or its sign-in requirements"),
    'new',
  );
  toggle(update, 'password-reset-required', 'the user must change the password at its next sign-in');
  toggle(update, 'mfa-bind-required', 'the user must bind an MFA device at its next sign-in');
  update
    .addHelpText(
      'after',
      '\nWithout any option it asks for a new password on the terminal; otherwise only what the options ' +
        'name changes.',
    )
    .action(
      async (
        user: string,
        options: PasswordOptions & { passwordResetRequired?: boolean; mfaBindRequired?: boolean },
        command: Command,
      ) => {
        const flags = {
          ...(options.passwordResetRequired !== undefined && {
            PasswordResetRequired: String(options.passwordResetRequired),
          }),
          ...(options.mfaBindRequired !== undefined && { MFABindRequired: String(options.mfaBindRequired) }),
        };
        const nothingElse = Object.keys(flags).length === 0;
        if (nothingElse && !options.passwordStdin && !options.generate && !canPrompt()) {
          throw new CliError(
            'Nothing to change: pass --password-stdin, --generate, --[no-]password-reset-required or ' +
              '--[no-]mfa-bind-required (on a terminal, no option asks for a new password).',
            EXIT_USAGE,
          );
        }
        const { api, json } = client(command);
        const fresh = await newPassword(api, user, options, nothingElse);
        await withPolicyHint(command, () =>
          api.call(RAM, 'UpdateLoginProfile', {
            UserName: user,
            ...(fresh !== undefined && { Password: fresh.password }),
            ...flags,
          }),
        );
        const profile = await api.call(RAM, 'GetLoginProfile', { UserName: user }).then(
          (res) => obj(res.LoginProfile),
          (err: unknown) => {
            // The change is made: a key that may update the profile but not read it still gets the
            // password it generated, and what it set.
            if (!(err instanceof ApiError)) throw err;
            process.stderr.write(`Updated, but reading the profile back was refused (${err.code}).\n`);
            return {
              UserName: user,
              ...(options.passwordResetRequired !== undefined && {
                PasswordResetRequired: options.passwordResetRequired,
              }),
              ...(options.mfaBindRequired !== undefined && { MFABindRequired: options.mfaBindRequired }),
            };
          },
        );
        printProfile(profile, json, fresh);
      },
    );

  profiles
    .command('delete <user>')
    .description("delete a RAM user's login profile: its console password stops working")
    .action(async (user: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      await api.call(RAM, 'DeleteLoginProfile', { UserName: user });
      if (json) printJson({ UserName: user });
      else process.stdout.write(`Deleted the login profile (console password) of user ${user}.\n`);
    });
}

function registerPasswordChange(program: Command): void {
  program
    .command('password')
    .description("the calling RAM user's own console password")
    .command('change')
    .description(
      'change the console password of the RAM user whose AccessKey is in use (it must know the current one)',
    )
    .option('--stdin', 'read the current password, then the new one, as two lines of standard input')
    .action(async (options: { stdin?: boolean }, command: Command) => {
      if (!options.stdin && !canPrompt()) {
        throw new CliError(
          'No terminal to ask for the passwords on: pass --stdin with the current and the new password ' +
            'as two lines of standard input.',
          EXIT_USAGE,
        );
      }
      const { api, json } = client(command);
      // Who is asking, before anything is typed: a root key has no console password to change here.
      const me = await api.call(STS, 'GetCallerIdentity');
      const arn = str(me.Arn);
      const userName = arn.slice(arn.indexOf(':user/') + ':user/'.length);
      if (me.IdentityType !== 'RAMUser') {
        throw new CliError(
          `The AccessKey in use is the root account's (${arn}): password change changes a RAM user's own ` +
            `console password. Sign with the RAM user's AccessKey; an administrator sets a user's password ` +
            `with "${suggestion(command, ['users', 'login-profile', 'update', 'NAME'])}".`,
        );
      }
      const [oldPassword = '', newPassword = ''] = options.stdin
        ? await readStdinLines(['the current password', 'the new one'], '--stdin')
        : await askPasswords(
            [`Current console password of ${userName}`, 'New password'],
            'Repeat the new password',
          );
      await withPolicyHint(command, () =>
        api.call(RAM, 'ChangePassword', { OldPassword: oldPassword, NewPassword: newPassword }),
      );
      if (json) printJson({ UserName: userName, UserId: str(me.UserId) });
      else process.stdout.write(`Changed the console password of RAM user ${userName}.\n`);
    });
}

/** The policy's settings: flag, API parameter (Alibaba's spelling), core field, and what it means. */
const NUMBERS = [
  ['minimum-password-length', 'MinimumPasswordLength', 'minimumPasswordLength', 'the fewest characters'],
  [
    'max-login-attempts',
    'MaxLoginAttemps',
    'maxLoginAttempts',
    'failed sign-ins before a lockout (0: no limit)',
  ],
  [
    'password-reuse-prevention',
    'PasswordReusePrevention',
    'passwordReusePrevention',
    'how many previous passwords a new one may not repeat (0: none)',
  ],
  ['max-password-age', 'MaxPasswordAge', 'maxPasswordAge', 'days a password is valid (0: forever)'],
] as const;
const FLAGS = [
  ['require-lowercase-characters', 'RequireLowercaseCharacters', 'a lowercase letter'],
  ['require-uppercase-characters', 'RequireUppercaseCharacters', 'an uppercase letter'],
  ['require-numbers', 'RequireNumbers', 'a digit'],
  ['require-symbols', 'RequireSymbols', 'a symbol'],
] as const;

/** The key commander keeps a flag's value under: `max-password-age` -> `maxPasswordAge`. */
const attribute = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** A number flag's value, checked against the range SetPasswordPolicy accepts. */
function policyNumber(flag: string, value: string, limits: { min: number; max: number }): number {
  const n = Number(value);
  if (!/^\d{1,4}$/.test(value) || n < limits.min || n > limits.max) {
    throw new CliError(
      `Invalid --${flag} "${value}": give a whole number from ${String(limits.min)} to ${String(limits.max)}.`,
      EXIT_USAGE,
    );
  }
  return n;
}

function printPolicy(policy: Json, json: boolean): void {
  if (json) {
    printJson(policy);
    return;
  }
  const days = (n: unknown) => (n === 0 ? '0 (never expires)' : `${str(n)} days`);
  printFields({
    'Minimum password length': str(policy.MinimumPasswordLength),
    'Require lowercase characters': yesNo(policy.RequireLowercaseCharacters),
    'Require uppercase characters': yesNo(policy.RequireUppercaseCharacters),
    'Require numbers': yesNo(policy.RequireNumbers),
    'Require symbols': yesNo(policy.RequireSymbols),
    'Password reuse prevention':
      policy.PasswordReusePrevention === 0 ? '0 (none)' : str(policy.PasswordReusePrevention),
    'Max password age': days(policy.MaxPasswordAge),
    'Hard expiry': yesNo(policy.HardExpiry),
    'Max login attempts': str(policy.MaxLoginAttemps),
  });
}

function registerPasswordPolicyCommands(program: Command): void {
  const policy = program.command('password-policy').description("the account's rules for console passwords");

  policy
    .command('get')
    .description("show the account's password policy")
    .action(async (_options: unknown, command: Command) => {
      const { api, json } = client(command);
      printPolicy(await passwordPolicy(api), json);
    });

  const set = policy
    .command('set')
    .description("change the account's password policy: the settings not given keep their current value");
  for (const [flag, , key, what] of NUMBERS) {
    const { min, max } = PASSWORD_POLICY_LIMITS[key];
    set.option(`--${flag} <n>`, `${what}; ${String(min)} to ${String(max)}`);
  }
  for (const [flag, , what] of FLAGS) toggle(set, flag, `a password must contain ${what}`);
  toggle(set, 'hard-expiry', 'an expired password blocks sign-in until an administrator sets a new one');
  set
    .addHelpText(
      'after',
      "\nThe flags are the policy's fields in kebab-case (--max-login-attempts sets MaxLoginAttemps, " +
        "Alibaba's spelling).\nThe rules apply to every new password from now on.",
    )
    .action(async (options: Record<string, string | boolean | undefined>, command: Command) => {
      const given: Record<string, string> = {};
      for (const [flag, param, key] of NUMBERS) {
        const value = options[attribute(flag)];
        if (typeof value === 'string') {
          given[param] = String(policyNumber(flag, value, PASSWORD_POLICY_LIMITS[key]));
        }
      }
      for (const [flag, param] of [...FLAGS, ['hard-expiry', 'HardExpiry'] as const]) {
        const value = options[attribute(flag)];
        if (typeof value === 'boolean') given[param] = String(value);
      }
      if (Object.keys(given).length === 0) {
        throw new CliError(
          'Nothing to change: pass a setting, e.g. --minimum-password-length 12 (see --help).',
          EXIT_USAGE,
        );
      }
      const { api, json } = client(command);
      // SetPasswordPolicy resets what it is not given to RAM's defaults: the current policy fills it in.
      const current = await passwordPolicy(api);
      const params: Record<string, string> = {};
      for (const [, param] of [...NUMBERS, ...FLAGS, ['hard-expiry', 'HardExpiry'] as const]) {
        params[param] = str(current[param]);
      }
      const updated = obj((await api.call(RAM, 'SetPasswordPolicy', { ...params, ...given })).PasswordPolicy);
      printPolicy(updated, json);
    });
}

export function registerPasswordCommands(program: Command): void {
  registerPasswordChange(program);
  registerPasswordPolicyCommands(program);
}
