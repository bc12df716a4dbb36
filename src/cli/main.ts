#!/usr/bin/env node
// The `ramkey` command: operator commands (init, accounts, serve, start), API client commands and
// the leak scanner.
import { Command } from 'commander';
import { registerAuditCommands } from './audit-commands.js';
import { registerClientCommands } from './client-commands.js';
import { runProgram } from './errors.js';
import { registerNetworkCommands } from './network-commands.js';
import { registerOperationsCommands } from './operations-commands.js';
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
registerAuditCommands(program);
registerNetworkCommands(program);
registerScanCommand(program);
registerLeakCommands(program);
registerServiceCommands(program);

await runProgram(program, process.argv);
