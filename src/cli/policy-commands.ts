// Policy commands: custom policies and their versions, attaching policies to users and groups, and
// the policies a user or group has (RAM's policy actions). They join `policy simulate` under `policy`.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { client, list, obj, RAM, str, suggestion, type Json } from './api-values.js';
import { ApiError, type RamkeyClient } from './client.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { printFields, printJson, printTable } from './output.js';

type PolicyType = 'Custom' | 'System';

/** `custom`, `CUSTOM` and `Custom` all name the Custom type: the API's spelling is sent. */
function parsePolicyType(value: string): PolicyType {
  const lower = value.toLowerCase();
  if (lower === 'custom') return 'Custom';
  if (lower === 'system') return 'System';
  throw new InvalidArgumentError('use Custom or System.');
}

function typeOption(): Option {
  return new Option(
    '--type <type>',
    'Custom or System (default: the Custom policy of that name if there is one, else the System one)',
  ).argParser(parsePolicyType);
}

/** The subcommand `name` of `parent`, created when no other module registered it first. */
function subcommand(parent: Command, name: string, description: string): Command {
  const existing = parent.commands.find((c) => c.name() === name);
  return (existing ?? parent.command(name)).description(description);
}

/** A policy document from a file, or from standard input for `-`. */
function readDocument(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliError(`Cannot read the policy document ${file}: ${reason}`, EXIT_USAGE);
  }
}

/**
 * GetPolicy of the named type, or when none is given the Custom policy of that name, else the System
 * one (an account's own policy may share a name with a System policy: Custom is what it means).
 */
async function findPolicy(
  api: RamkeyClient,
  name: string,
  type: PolicyType | undefined,
): Promise<{ type: PolicyType; found: Json }> {
  if (type !== undefined) {
    return { type, found: await api.call(RAM, 'GetPolicy', { PolicyName: name, PolicyType: type }) };
  }
  try {
    return {
      type: 'Custom',
      found: await api.call(RAM, 'GetPolicy', { PolicyName: name, PolicyType: 'Custom' }),
    };
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'EntityNotExist.Policy') throw err;
    return {
      type: 'System',
      found: await api.call(RAM, 'GetPolicy', { PolicyName: name, PolicyType: 'System' }),
    };
  }
}

async function policyType(
  api: RamkeyClient,
  name: string,
  type: PolicyType | undefined,
): Promise<PolicyType> {
  return type ?? (await findPolicy(api, name, undefined)).type;
}

/** A policy document as stored, indented when it is JSON. */
function prettyDocument(document: string): string {
  try {
    return JSON.stringify(JSON.parse(document), null, 2);
  } catch {
    return document;
  }
}

function printDocument(document: string): void {
  process.stdout.write(`\nPolicy document:\n${prettyDocument(document)}\n`);
}

interface TargetOptions {
  user?: string;
  group?: string;
}

/** `--user` or `--group`: exactly one of them names the target. */
function target(options: TargetOptions): { kind: 'User' | 'Group'; name: string } {
  if (options.user !== undefined) return { kind: 'User', name: options.user };
  if (options.group !== undefined) return { kind: 'Group', name: options.group };
  throw new CliError('Name the target: --user <name> or --group <name>.', EXIT_USAGE);
}

function targetOptions(command: Command, verb: string): Command {
  return command
    .addOption(new Option('--user <name>', `the RAM user to ${verb}`).conflicts('group'))
    .addOption(new Option('--group <name>', `the group to ${verb}`).conflicts('user'));
}

/**
 * What stands in the way of deleting a Custom policy, as commands that clear it: detach it from
 * every user and group, delete its non-default versions.
 */
async function deleteBlockers(api: RamkeyClient, command: Command, name: string): Promise<string[]> {
  const entities = await api.call(RAM, 'ListEntitiesForPolicy', { PolicyName: name, PolicyType: 'Custom' });
  const versions = list(
    (await api.call(RAM, 'ListPolicyVersions', { PolicyName: name, PolicyType: 'Custom' })).PolicyVersions,
    'PolicyVersion',
  );
  return [
    ...list(entities.Users, 'User').map((u) =>
      suggestion(command, ['policy', 'detach', name, '--user', str(u.UserName), '--type', 'Custom']),
    ),
    ...list(entities.Groups, 'Group').map((g) =>
      suggestion(command, ['policy', 'detach', name, '--group', str(g.GroupName), '--type', 'Custom']),
    ),
    ...versions
      .filter((v) => v.IsDefaultVersion !== true)
      .map((v) => suggestion(command, ['policy', 'delete-version', name, str(v.VersionId)])),
  ];
}

export function registerPolicyCommands(program: Command): void {
  const policy = subcommand(
    program,
    'policy',
    'manage policies, attach them to users and groups, and inspect permissions',
  );

  policy
    .command('create <name>')
    .description('create a Custom policy from a policy document (its version v1, the default)')
    .requiredOption('--document <file>', 'the policy document (JSON); - reads standard input')
    .option('--description <text>', 'what the policy is for')
    .action(async (name: string, options: { document: string; description?: string }, command: Command) => {
      const document = readDocument(options.document);
      const { api, json } = client(command);
      const created = obj(
        (
          await api.call(RAM, 'CreatePolicy', {
            PolicyName: name,
            PolicyDocument: document,
            ...(options.description !== undefined && { Description: options.description }),
          })
        ).Policy,
      );
      if (json) printJson(created);
      else
        printFields({
          'Policy name': str(created.PolicyName),
          Type: str(created.PolicyType),
          'Default version': str(created.DefaultVersion),
          Description: str(created.Description) || undefined,
          Created: str(created.CreateDate),
        });
    });

  policy
    .command('get <name>')
    .description('show a policy and its default document, or one version of it')
    .addOption(typeOption())
    .option('--version-id <versionId>', 'show this version (e.g. v2) instead of the default one')
    .action(async (name: string, options: { type?: PolicyType; versionId?: string }, command: Command) => {
      const { api, json } = client(command);
      if (options.versionId !== undefined) {
        const type = await policyType(api, name, options.type);
        const version = obj(
          (
            await api.call(RAM, 'GetPolicyVersion', {
              PolicyName: name,
              PolicyType: type,
              VersionId: options.versionId,
            })
          ).PolicyVersion,
        );
        if (json) {
          printJson(version);
          return;
        }
        printFields({
          'Policy name': name,
          Type: type,
          Version: str(version.VersionId),
          Default: version.IsDefaultVersion === true ? 'yes' : 'no',
          Created: str(version.CreateDate),
        });
        printDocument(str(version.PolicyDocument));
        return;
      }
      const found = obj((await findPolicy(api, name, options.type)).found.Policy);
      if (json) {
        printJson(found);
        return;
      }
      printFields({
        'Policy name': str(found.PolicyName),
        Type: str(found.PolicyType),
        Description: str(found.Description) || undefined,
        'Default version': str(found.DefaultVersion),
        Attachments: str(found.AttachmentCount),
        Created: str(found.CreateDate),
        Updated: str(found.UpdateDate),
      });
      printDocument(str(found.PolicyDocument));
    });

  targetOptions(
    policy
      .command('list')
      .description("list the account's policies (all pages), or those attached to a user or group")
      .addOption(typeOption().default(undefined, 'both')),
    'list the policies of',
  ).action(async (options: { type?: PolicyType } & TargetOptions, command: Command) => {
    const { api, json } = client(command);
    const policies: Json[] = [];
    const attached = options.user !== undefined || options.group !== undefined;
    if (attached) {
      const { kind, name } = target(options);
      const res = await api.call(RAM, `ListPoliciesFor${kind}`, { [`${kind}Name`]: name });
      policies.push(
        ...list(res.Policies, 'Policy').filter(
          (p) => options.type === undefined || p.PolicyType === options.type,
        ),
      );
    } else {
      let marker: string | undefined;
      do {
        const page = await api.call(RAM, 'ListPolicies', {
          MaxItems: '1000',
          ...(options.type !== undefined && { PolicyType: options.type }),
          ...(marker !== undefined && { Marker: marker }),
        });
        policies.push(...list(page.Policies, 'Policy'));
        marker = page.IsTruncated === true ? str(page.Marker) : undefined;
      } while (marker);
    }
    if (json) printJson(policies);
    else
      printTable(
        ['POLICY NAME', 'TYPE', 'DEFAULT VERSION', attached ? 'ATTACHED' : 'ATTACHMENTS', 'DESCRIPTION'],
        policies.map((p) => [
          str(p.PolicyName),
          str(p.PolicyType),
          str(p.DefaultVersion),
          attached ? str(p.AttachDate) : str(p.AttachmentCount),
          str(p.Description),
        ]),
      );
  });

  policy
    .command('versions <name>')
    .description("list a policy's versions (the documents are in --json)")
    .addOption(typeOption())
    .action(async (name: string, options: { type?: PolicyType }, command: Command) => {
      const { api, json } = client(command);
      const type = await policyType(api, name, options.type);
      const versions = list(
        (await api.call(RAM, 'ListPolicyVersions', { PolicyName: name, PolicyType: type })).PolicyVersions,
        'PolicyVersion',
      );
      if (json) printJson(versions);
      else
        printTable(
          ['VERSION', 'DEFAULT', 'CREATED'],
          versions.map((v) => [
            str(v.VersionId),
            v.IsDefaultVersion === true ? 'yes' : '',
            str(v.CreateDate),
          ]),
        );
    });

  policy
    .command('create-version <name>')
    .description('add a version to a Custom policy (the default only with --set-default)')
    .requiredOption('--document <file>', 'the policy document (JSON); - reads standard input')
    .option('--set-default', 'make the new version the default one at once')
    .option('--rotate', 'at the version limit, delete the oldest non-default version instead of failing')
    .action(
      async (
        name: string,
        options: { document: string; setDefault?: boolean; rotate?: boolean },
        command: Command,
      ) => {
        const document = readDocument(options.document);
        const { api, json } = client(command);
        const version = obj(
          (
            await api.call(RAM, 'CreatePolicyVersion', {
              PolicyName: name,
              PolicyDocument: document,
              SetAsDefault: options.setDefault === true ? 'true' : 'false',
              ...(options.rotate === true && {
                RotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded',
              }),
            })
          ).PolicyVersion,
        );
        if (json) printJson(version);
        else
          process.stdout.write(
            `Created version ${str(version.VersionId)} of ${name}` +
              (version.IsDefaultVersion === true
                ? ', now the default.\n'
                : `; make it the default with "${suggestion(command, ['policy', 'set-default', name, str(version.VersionId)])}".\n`),
          );
      },
    );

  policy
    .command('set-default <name> [versionId]')
    .description('make a version (e.g. v2) the default one of a Custom policy')
    .option('--version-id <versionId>', 'the version, if not given as the second argument')
    .action(
      async (
        name: string,
        positional: string | undefined,
        options: { versionId?: string },
        command: Command,
      ) => {
        if (positional !== undefined && options.versionId !== undefined && positional !== options.versionId) {
          throw new CliError(
            `Two versions given (${positional} and --version-id ${options.versionId}): give one.`,
            EXIT_USAGE,
          );
        }
        const versionId = positional ?? options.versionId;
        if (versionId === undefined) {
          throw new CliError('Name the version: ramkey policy set-default <name> <versionId>.', EXIT_USAGE);
        }
        const { api, json } = client(command);
        await api.call(RAM, 'SetDefaultPolicyVersion', { PolicyName: name, VersionId: versionId });
        if (json) printJson({ PolicyName: name, PolicyType: 'Custom', DefaultVersion: versionId });
        else process.stdout.write(`${versionId} is now the default version of ${name}.\n`);
      },
    );

  policy
    .command('delete-version <name> <versionId>')
    .description('delete a non-default version of a Custom policy')
    .action(async (name: string, versionId: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      await api.call(RAM, 'DeletePolicyVersion', { PolicyName: name, VersionId: versionId });
      if (json) printJson({ PolicyName: name, PolicyType: 'Custom', VersionId: versionId });
      else process.stdout.write(`Deleted version ${versionId} of ${name}.\n`);
    });

  policy
    .command('delete <name>')
    .description('delete a Custom policy (detached from every user and group, its other versions deleted)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      try {
        await api.call(RAM, 'DeletePolicy', { PolicyName: name });
      } catch (err) {
        if (!json && err instanceof ApiError && err.code.startsWith('DeleteConflict.Policy.')) {
          const steps = await deleteBlockers(api, command, name);
          process.stderr.write(`To delete ${name}, first run:\n${steps.map((s) => `  ${s}\n`).join('')}`);
        }
        throw err;
      }
      if (json) printJson({ PolicyName: name, PolicyType: 'Custom' });
      else process.stdout.write(`Deleted policy ${name}.\n`);
    });

  for (const [verb, action, preposition, done] of [
    ['attach', 'AttachPolicyTo', 'to', 'Attached'],
    ['detach', 'DetachPolicyFrom', 'from', 'Detached'],
  ] as const) {
    targetOptions(
      policy
        .command(`${verb} <name>`)
        .description(`${verb} a policy ${preposition} a RAM user or a group`)
        .addOption(typeOption()),
      `${verb} it ${preposition}`,
    ).action(async (name: string, options: { type?: PolicyType } & TargetOptions, command: Command) => {
      const { kind, name: targetName } = target(options);
      const { api, json } = client(command);
      const type = await policyType(api, name, options.type);
      await api.call(RAM, `${action}${kind}`, {
        PolicyName: name,
        PolicyType: type,
        [`${kind}Name`]: targetName,
      });
      if (json) printJson({ PolicyName: name, PolicyType: type, [`${kind}Name`]: targetName });
      else
        process.stdout.write(
          `${done} ${type} policy ${name} ${preposition} ${kind === 'User' ? 'user' : 'group'} ${targetName}.\n`,
        );
    });
  }
}
