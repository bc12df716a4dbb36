// The account's security preference (`security-preference get|set`) through IMS (2019-08-15), whose
// answer has every setting: console sessions, network masks and MFA at sign-in, what RAM users may
// manage themselves, and the idle-key limit. Values are checked here, before anything is sent, with
// the same rules the server applies.
import { Option, type Command } from 'commander';
import { MAX_IDLE_DAYS_CHOICES } from '../core/keys/idle.js';
import { normaliseLoginNetworkMasks } from '../core/network/login-network-masks.js';
import { client, IMS, obj, str, type Json } from './api-values.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { printFields, printJson } from './output.js';

const MFA_OPERATIONS = ['mandatory', 'independent', 'adaptive'] as const;

/** The boolean settings: flag (with its --no- form), API parameter, and what `true` means. */
const TOGGLES = [
  ['allow-user-to-change-password', 'AllowUserToChangePassword', 'RAM users may change their own password'],
  [
    'allow-user-to-manage-access-keys',
    'AllowUserToManageAccessKeys',
    'RAM users may manage their own AccessKeys',
  ],
  [
    'allow-user-to-manage-mfa-devices',
    'AllowUserToManageMFADevices',
    'RAM users may manage their own MFA devices',
  ],
  ['enable-save-mfa-ticket', 'EnableSaveMFATicket', 'the console may remember MFA in a browser for 7 days'],
] as const;

/** The key commander keeps a flag's value under: `max-idle-days` -> `maxIdleDays`. */
const attribute = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

interface SetOptions {
  loginSessionDuration?: string;
  /** The masks given, or false for --no-login-network-masks. */
  loginNetworkMasks?: string | boolean;
  mfaForLogin?: string;
  maxIdleDays?: string;
  [toggle: string]: string | boolean | undefined;
}

const yesNo = (value: unknown) => (typeof value === 'boolean' ? (value ? 'yes' : 'no') : undefined);

function printPreference(preference: Json, json: boolean): void {
  if (json) {
    printJson(preference);
    return;
  }
  const login = obj(preference.LoginProfilePreference);
  const masks = str(login.LoginNetworkMasks);
  const hours = login.LoginSessionDuration;
  printFields({
    'Login session duration': typeof hours === 'number' ? `${String(hours)} hours` : undefined,
    'Login network masks': masks === '' ? '(any address)' : masks,
    'MFA for login': str(login.MFAOperationForLogin) || undefined,
    'Allow user to change password': yesNo(login.AllowUserToChangePassword),
    'Enable save MFA ticket': yesNo(login.EnableSaveMFATicket),
    'Allow user to manage MFA devices': yesNo(obj(preference.MFAPreference).AllowUserToManageMFADevices),
    'Allow user to manage access keys': yesNo(
      obj(preference.AccessKeyPreference).AllowUserToManageAccessKeys,
    ),
    'Max idle days for access keys': str(obj(preference.MaxIdleDays).MaxIdleDaysForAccessKeys) || undefined,
  });
}

/** The SetSecurityPreference parameters the options give, each checked as the server would. */
function parametersOf(options: SetOptions): Record<string, string> {
  const params: Record<string, string> = {};
  const hours = options.loginSessionDuration;
  if (hours !== undefined) {
    if (!/^\d{1,2}$/.test(hours) || Number(hours) < 1 || Number(hours) > 24) {
      throw new CliError(
        `Invalid --login-session-duration "${hours}": give a whole number of hours from 1 to 24.`,
        EXIT_USAGE,
      );
    }
    params.LoginSessionDuration = String(Number(hours));
  }
  const masks = options.loginNetworkMasks;
  if (typeof masks === 'string') {
    const normal = normaliseLoginNetworkMasks(masks);
    if (!normal.ok) {
      throw new CliError(`Invalid --login-network-masks: ${normal.params?.[0] ?? 'see --help'}.`, EXIT_USAGE);
    }
    if (normal.value === '') {
      throw new CliError(
        'Invalid --login-network-masks: no address given; --no-login-network-masks allows sign-in from anywhere.',
        EXIT_USAGE,
      );
    }
    params.LoginNetworkMasks = normal.value;
  } else if (masks === false) {
    // An empty value counts as absent on the wire: `;` is the empty list.
    params.LoginNetworkMasks = ';';
  }
  if (options.mfaForLogin !== undefined) params.MFAOperationForLogin = options.mfaForLogin;
  const days = options.maxIdleDays;
  if (days !== undefined) {
    if (!MAX_IDLE_DAYS_CHOICES.map(String).includes(days)) {
      throw new CliError(
        `Invalid --max-idle-days "${days}": give one of ${MAX_IDLE_DAYS_CHOICES.join(', ')}.`,
        EXIT_USAGE,
      );
    }
    params.MaxIdleDaysForAccessKeys = days;
  }
  for (const [flag, param] of TOGGLES) {
    const value = options[attribute(flag)];
    if (typeof value === 'boolean') params[param] = String(value);
  }
  return params;
}

export function registerSecurityPreferenceCommands(program: Command): void {
  const preference = program
    .command('security-preference')
    .description("the account's console sign-in settings and what RAM users may manage themselves");

  preference
    .command('get')
    .description("show the account's security preference")
    .action(async (_options: unknown, command: Command) => {
      const { api, json } = client(command);
      printPreference(obj((await api.call(IMS, 'GetSecurityPreference')).SecurityPreference), json);
    });

  const set = preference
    .command('set')
    .description('change the settings given (the others keep their value) and show the whole preference')
    .option('--login-session-duration <hours>', 'hours a console session lasts, 1 to 24')
    .option(
      '--login-network-masks <cidrs>',
      'addresses and CIDR blocks console sign-in is allowed from, separated by ";"',
    )
    .option('--no-login-network-masks', 'allow console sign-in from any address')
    .addOption(
      new Option('--mfa-for-login <when>', 'when console sign-in asks for an MFA code').choices(
        MFA_OPERATIONS,
      ),
    )
    .option(
      '--max-idle-days <days>',
      `disable AccessKeys unused this long: ${MAX_IDLE_DAYS_CHOICES.join(', ')}`,
    );
  for (const [flag, , what] of TOGGLES) {
    set.option(`--${flag}`, what).option(`--no-${flag}`, `the opposite of --${flag}`);
  }
  set
    .addHelpText(
      'after',
      '\n--mfa-for-login: mandatory (every RAM user), independent (users with a bound device or\n' +
        'MFABindRequired), adaptive (users with a bound device, from an address they have not\n' +
        'passed MFA from in 30 days).',
    )
    .action(async (options: SetOptions, command: Command) => {
      const params = parametersOf(options);
      if (Object.keys(params).length === 0) {
        throw new CliError(
          'Nothing to change: pass a setting, e.g. --login-session-duration 8 (see --help).',
          EXIT_USAGE,
        );
      }
      const { api, json } = client(command);
      printPreference(obj((await api.call(IMS, 'SetSecurityPreference', params)).SecurityPreference), json);
    });
}
