// `ramkey services`: an account's custom services through the API (RAM CreateService and friends), and
// `ramkey global-services`: the installation's global services, which apply to every account, on the
// data directory (operator commands). Both print a service in the API's shape.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { toWireDate } from '../core/clock.js';
import { RamkeyError } from '../core/errors/ramkey-error.js';
import type { ServiceView } from '../services/service-directory.js';
import { client, list, obj, RAM, str, type Json } from './api-values.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { printFields, printJson, printTable } from './output.js';
import { withInstallation, type DataOptions } from './server-commands.js';

const DOCUMENT_HELP = "the service document (JSON) to read; '-' reads standard input";

const DOCUMENT_EXAMPLE = `
A service document names the requests that are the service's (Hosts and/or PathPrefixes) and its
actions, each Read or Write, with an optional route and the resources it acts on, for example:
  {"Version":"1","Hosts":["orders.example.com"],"PathPrefixes":["/orders-api"],
   "Actions":[{"Name":"GetOrder","Access":"Read","Method":"GET","Path":"/orders/{OrderId}",
               "Resource":"acs:orders:*:\${AccountId}:order/\${OrderId}"},
              {"Name":"ListOrders","Access":"Read"}]}
Policies then grant orders:GetOrder on acs:orders:*:<account>:order/*. See the README, "Service documents".`;

/** The document file's text ('-': standard input); the server (or the operator command) checks it. */
function readDocument(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(
      `Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
      EXIT_USAGE,
    );
  }
}

/** A service as the API answers it: the shape `--json` prints for both command groups. */
function wireService(s: ServiceView): Json {
  return {
    ServiceName: s.serviceName,
    Scope: s.scope,
    Description: s.description,
    ServiceDocument: s.document,
    CreateDate: toWireDate(s.createdAt),
    UpdateDate: toWireDate(s.updatedAt),
  };
}

/** The document pretty-printed when it is JSON (it always is once stored), else as it is. */
function prettyDocument(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function printService(service: Json, json: boolean, withDocument: boolean): void {
  if (json) {
    printJson(service);
    return;
  }
  printFields({
    Service: str(service.ServiceName),
    Scope: str(service.Scope),
    Description: str(service.Description) || '-',
    Created: str(service.CreateDate),
    Updated: str(service.UpdateDate),
  });
  if (withDocument) process.stdout.write(`\n${prettyDocument(str(service.ServiceDocument))}\n`);
}

function printServices(services: readonly Json[], json: boolean): void {
  if (json) {
    printJson(services);
    return;
  }
  printTable(
    ['SERVICE', 'SCOPE', 'DESCRIPTION', 'UPDATED'],
    services.map((s) => [str(s.ServiceName), str(s.Scope), str(s.Description), str(s.UpdateDate)]),
  );
}

interface DocumentOptions {
  document?: string;
  description?: string;
}

export function registerServiceCommands(program: Command): void {
  const services = program
    .command('services')
    .description("the account's custom services: its own APIs, whose actions RAM policies grant")
    .addHelpText('after', DOCUMENT_EXAMPLE);
  services
    .command('create <name>')
    .description('register a service (its name is the prefix of its actions in policies: orders:GetOrder)')
    .requiredOption('--document <file>', DOCUMENT_HELP)
    .option('--description <text>', 'what the service is (up to 1,024 characters)')
    .action(async (name: string, options: DocumentOptions & { document: string }, command: Command) => {
      const { api, json } = client(command);
      const created = await api.call(RAM, 'CreateService', {
        ServiceName: name,
        ServiceDocument: readDocument(options.document),
        ...(options.description !== undefined && { Description: options.description }),
      });
      printService(obj(created.Service), json, false);
    });
  services
    .command('get <name>')
    .description("show a service and its document (the account's own, else a global one)")
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      printService(obj((await api.call(RAM, 'GetService', { ServiceName: name })).Service), json, true);
    });
  services
    .command('list')
    .description("list the account's services, then the global ones that apply to it (all pages)")
    .action(async (_options: unknown, command: Command) => {
      const { api, json } = client(command);
      const all: Json[] = [];
      let marker: string | undefined;
      do {
        const page = await api.call(RAM, 'ListServices', {
          MaxItems: '1000',
          ...(marker && { Marker: marker }),
        });
        all.push(...list(page.Services, 'Service'));
        marker = page.IsTruncated === true ? str(page.Marker) : undefined;
      } while (marker);
      printServices(all, json);
    });
  services
    .command('update <name>')
    .description("replace a service's document, its description, or both; in force from the next request")
    .option('--document <file>', DOCUMENT_HELP)
    .option('--description <text>', 'the new description')
    .action(async (name: string, options: DocumentOptions, command: Command) => {
      if (options.document === undefined && options.description === undefined) {
        throw new CliError('Give --document FILE, --description TEXT, or both.', EXIT_USAGE);
      }
      const { api, json } = client(command);
      const updated = await api.call(RAM, 'UpdateService', {
        ServiceName: name,
        ...(options.document !== undefined && { NewServiceDocument: readDocument(options.document) }),
        ...(options.description !== undefined && { NewDescription: options.description }),
      });
      printService(obj(updated.Service), json, false);
    });
  services
    .command('delete <name>')
    .description('delete a service: requests to it are refused from the next one (InvalidAction.NotFound)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      await api.call(RAM, 'DeleteService', { ServiceName: name });
      if (json) printJson({ ServiceName: name, Deleted: true });
      else process.stdout.write(`Deleted the service ${name}.\n`);
    });

  registerGlobalServiceCommands(program);
}

/** Operator errors read like the API's: `<Code>: <Message>`. */
function operatorError(err: unknown): unknown {
  return err instanceof RamkeyError ? new CliError(`${err.code}: ${err.message}`) : err;
}

function registerGlobalServiceCommands(program: Command): void {
  const dataOption = ['--data <dir>', 'data directory (default $RAMKEY_DATA or ./ramkey-data)'] as const;
  type Options = DataOptions & { json?: boolean };
  const global = program
    .command('global-services')
    .description(
      "the installation's global services, which apply to every account (operator commands on the data directory); " +
        "an account's own service of the same name takes its place for that account",
    )
    .addHelpText(
      'after',
      `${DOCUMENT_EXAMPLE}
Running servers apply a change within 10 seconds. Accounts see global services (ramkey services list)
but cannot change them.`,
    );
  const run = <T>(options: Options, work: Parameters<typeof withInstallation<T>>[1]) =>
    withInstallation(options, work).catch((err: unknown) => {
      throw operatorError(err);
    });
  global
    .command('create <name>')
    .description('register a global service')
    .requiredOption('--document <file>', DOCUMENT_HELP)
    .option('--description <text>', 'what the service is (up to 1,024 characters)')
    .option(...dataOption)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<Options & DocumentOptions & { document: string }>();
      const document = readDocument(options.document);
      const created = await run(options, (ramkey) =>
        ramkey.services.create(null, name, document, options.description ?? ''),
      );
      printService(wireService(created), options.json === true, false);
    });
  global
    .command('get <name>')
    .description('show a global service and its document')
    .option(...dataOption)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<Options>();
      const service = await run(options, (ramkey) => ramkey.services.get(null, name));
      printService(wireService(service), options.json === true, true);
    });
  global
    .command('list')
    .description('list the global services')
    .option(...dataOption)
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<Options>();
      const all = await run(options, async (ramkey) => {
        const items: ServiceView[] = [];
        let marker: string | undefined;
        do {
          const page = await ramkey.services.list(null, {
            maxItems: 1000,
            ...(marker !== undefined && { marker }),
          });
          items.push(...page.items);
          marker = page.nextMarker;
        } while (marker !== undefined);
        return items;
      });
      printServices(all.map(wireService), options.json === true);
    });
  global
    .command('update <name>')
    .description("replace a global service's document, its description, or both")
    .option('--document <file>', DOCUMENT_HELP)
    .option('--description <text>', 'the new description')
    .option(...dataOption)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<Options & DocumentOptions>();
      if (options.document === undefined && options.description === undefined) {
        throw new CliError('Give --document FILE, --description TEXT, or both.', EXIT_USAGE);
      }
      const document = options.document === undefined ? undefined : readDocument(options.document);
      const updated = await run(options, (ramkey) =>
        ramkey.services.update(null, name, {
          ...(document !== undefined && { document }),
          ...(options.description !== undefined && { description: options.description }),
        }),
      );
      printService(wireService(updated), options.json === true, false);
    });
  global
    .command('delete <name>')
    .description('delete a global service')
    .option(...dataOption)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<Options>();
      await run(options, (ramkey) => ramkey.services.delete(null, name));
      if (options.json) printJson({ ServiceName: name, Deleted: true });
      else process.stdout.write(`Deleted the global service ${name}.\n`);
    });
}
