#!/usr/bin/env node
// The `ramkey` command: operator commands (init, accounts, serve, start), API client commands and
// the leak scanner.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAuditCommands } from './audit-commands.js';
import { registerClientCommands } from './client-commands.js';
import { registerConfigureCommands } from './configure-commands.js';
import { registerCompletionCommand } from './completion-command.js';
import { runProgram } from './errors.js';
import { registerGroupCommands } from './group-commands.js';
import { registerNetworkCommands } from './network-commands.js';
import { registerOperationsCommands } from './operations-commands.js';
import { registerPasswordCommands } from './password-commands.js';
import { registerPolicyCommands } from './policy-commands.js';
import { registerScanCommand } from './scan-commands.js';
import { registerSecurityPreferenceCommands } from './security-preference-commands.js';
import { registerLeakCommands } from './leak-commands.js';
import { registerMfaCommands } from './mfa-commands.js';
import { registerServerCommands } from './server-commands.js';
import { registerServiceCommands } from './service-commands.js';

/** The version of the installed package: package.json sits two levels above dist/cli/main.js. */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command()
  .name('ramkey')
  .description('Self-hosted AccessKeys over the Alibaba Cloud RAM/IMS/STS wire protocol.')
  .version(version, '-V, --version', 'print the version of ramkey')
  .option('--profile <name>', 'profile to use (client commands; see below)')
  .option('--endpoint <url>', 'Ramkey server: http(s)://host:port or host:port (client commands)')
  .option('--access-key-id <id>', 'AccessKey ID (client commands; prefer a profile)')
  .option('--access-key-secret <secret>', 'AccessKey secret: lands in the shell history, prefer a profile')
  .option('--json', 'print JSON for scripts instead of tables')
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    'after',
    `
Client commands take their AccessKey from, first match wins:
  1. --access-key-id and --access-key-secret, or --profile NAME
  2. RAMKEY_ACCESS_KEY_ID and RAMKEY_ACCESS_KEY_SECRET, or RAMKEY_PROFILE
  3. ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or ALIBABA_CLOUD_PROFILE
  4. the default profile (config.json's "current", else default)
A profile is read from ~/.aliyun/config.json (write one with: ramkey configure), then
~/.alibabacloud/credentials, then ~/.ramkey/profiles.json (RAMKEY_PROFILE_FILE). The endpoint is
--endpoint, else RAMKEY_ENDPOINT, else the profile's, else http://127.0.0.1:8080.

Exit codes: 0 success, 1 the operation failed (API error, unreachable server; for scan: a key was
found), 2 wrong usage.`,
  );

registerServerCommands(program);
registerOperationsCommands(program);
registerClientCommands(program);
registerConfigureCommands(program);
registerPolicyCommands(program);
registerGroupCommands(program);
registerPasswordCommands(program);
registerMfaCommands(program);
registerSecurityPreferenceCommands(program);
registerAuditCommands(program);
registerNetworkCommands(program);
registerScanCommand(program);
registerLeakCommands(program);
registerServiceCommands(program);
registerCompletionCommand(program);

await runProgram(program, process.argv);
