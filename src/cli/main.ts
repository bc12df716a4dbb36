#!/usr/bin/env node
// The `ramkey` command: operator commands (init, accounts, serve, start), API client commands and
// the leak scanner.
import { Command, CommanderError } from 'commander';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import { registerAuditCommands } from './audit-commands.js';
import { ApiError } from './client.js';
import { registerClientCommands } from './client-commands.js';
import { registerCompletionCommand } from './completion-command.js';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { registerGroupCommands } from './group-commands.js';
import { registerNetworkCommands } from './network-commands.js';
import { registerOperationsCommands } from './operations-commands.js';
import { registerPolicyCommands } from './policy-commands.js';
import { registerScanCommand } from './scan-commands.js';
import { registerLeakCommands } from './leak-commands.js';
import { registerServerCommands } from './server-commands.js';
import { registerServiceCommands } from './service-commands.js';

const program = new Command()
  .name('ramkey')
  .description('Self-hosted AccessKeys over the Alibaba Cloud RAM/IMS/STS wire protocol.')
  .option('--profile <name>', 'profile of the profile file to use (client commands)')
  .option('--json', 'print JSON for scripts instead of tables')
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    'after',
    `
Client commands read RAMKEY_ACCESS_KEY_ID, RAMKEY_ACCESS_KEY_SECRET and RAMKEY_ENDPOINT
(default http://127.0.0.1:8080), or a profile file (RAMKEY_PROFILE_FILE, default ~/.ramkey/profiles.json).

Exit codes: 0 success, 1 the operation failed (API error, unreachable server; for scan: a key was
found), 2 wrong usage.`,
  );

registerServerCommands(program);
registerOperationsCommands(program);
registerClientCommands(program);
registerPolicyCommands(program);
registerGroupCommands(program);
registerAuditCommands(program);
registerNetworkCommands(program);
registerScanCommand(program);
registerLeakCommands(program);
registerServiceCommands(program);
registerCompletionCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with code 0.
    process.exitCode = err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  } else if (err instanceof ApiError) {
    process.stderr.write(
      `Error: ${err.code}: ${err.message} (HTTP ${err.httpStatus}, RequestId ${err.requestId})\n`,
    );
    process.exitCode = EXIT_FAILURE;
  } else if (err instanceof CliError) {
    process.stderr.write(`Error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else if (err instanceof RamkeyError && err.code === 'ServiceUnavailable' && err.detail !== undefined) {
    // The operator's side of an unreachable database: what is down, and the driver's reason.
    const reason = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    process.stderr.write(`Error: ${err.detail}${reason}\n`);
    process.exitCode = EXIT_FAILURE;
  } else {
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}
