// Group commands: RAM groups, their members, and what a group holds (RAM's group actions).
import type { Command } from 'commander';
import { client, list, obj, RAM, str, suggestion, type Json } from './api-values.js';
import { ApiError, type RamkeyClient } from './client.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { printFields, printJson, printTable } from './output.js';

/** Every member of the group (all pages of ListUsersForGroup). */
async function members(api: RamkeyClient, group: string): Promise<Json[]> {
  const all: Json[] = [];
  let marker: string | undefined;
  do {
    const page = await api.call(RAM, 'ListUsersForGroup', {
      GroupName: group,
      MaxItems: '1000',
      ...(marker !== undefined && { Marker: marker }),
    });
    all.push(...list(page.Users, 'User'));
    marker = page.IsTruncated === true ? str(page.Marker) : undefined;
  } while (marker);
  return all;
}

async function policies(api: RamkeyClient, group: string): Promise<Json[]> {
  return list((await api.call(RAM, 'ListPoliciesForGroup', { GroupName: group })).Policies, 'Policy');
}

function printMembers(users: readonly Json[]): void {
  printTable(
    ['USER NAME', 'DISPLAY NAME', 'JOINED'],
    users.map((u) => [str(u.UserName), str(u.DisplayName), str(u.JoinDate)]),
  );
}

export function registerGroupCommands(program: Command): void {
  const groups = program.command('groups').description('manage RAM groups and their members');

  groups
    .command('create <name>')
    .description('create a RAM group')
    .option('--comments <text>', 'free-text comments')
    .action(async (name: string, options: { comments?: string }, command: Command) => {
      const { api, json } = client(command);
      const group = obj(
        (
          await api.call(RAM, 'CreateGroup', {
            GroupName: name,
            ...(options.comments !== undefined && { Comments: options.comments }),
          })
        ).Group,
      );
      if (json) printJson(group);
      else
        printFields({
          'Group name': str(group.GroupName),
          'Group ID': str(group.GroupId),
          Comments: str(group.Comments) || undefined,
          Created: str(group.CreateDate),
        });
    });

  groups
    .command('list')
    .description('list RAM groups (all pages)')
    .action(async (_options: unknown, command: Command) => {
      const { api, json } = client(command);
      const all: Json[] = [];
      let marker: string | undefined;
      do {
        const page = await api.call(RAM, 'ListGroups', {
          MaxItems: '1000',
          ...(marker !== undefined && { Marker: marker }),
        });
        all.push(...list(page.Groups, 'Group'));
        marker = page.IsTruncated === true ? str(page.Marker) : undefined;
      } while (marker);
      if (json) printJson(all);
      else
        printTable(
          ['GROUP NAME', 'GROUP ID', 'COMMENTS', 'CREATED'],
          all.map((g) => [str(g.GroupName), str(g.GroupId), str(g.Comments), str(g.CreateDate)]),
        );
    });

  groups
    .command('get <name>')
    .description('show a RAM group with its members and policies')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      const group = obj((await api.call(RAM, 'GetGroup', { GroupName: name })).Group);
      const users = await members(api, name);
      const attached = await policies(api, name);
      if (json) {
        printJson({ Group: group, Users: users, Policies: attached });
        return;
      }
      printFields({
        'Group name': str(group.GroupName),
        'Group ID': str(group.GroupId),
        Comments: str(group.Comments) || undefined,
        Created: str(group.CreateDate),
        Updated: str(group.UpdateDate),
      });
      process.stdout.write('\nMembers:\n');
      printMembers(users);
      process.stdout.write('\nPolicies:\n');
      printTable(
        ['POLICY NAME', 'TYPE', 'ATTACHED'],
        attached.map((p) => [str(p.PolicyName), str(p.PolicyType), str(p.AttachDate)]),
      );
    });

  groups
    .command('update <name>')
    .description('rename a RAM group or change its comments')
    .option('--new-name <name>', 'rename the group')
    .option('--comments <text>', 'new comments')
    .action(async (name: string, options: { newName?: string; comments?: string }, command: Command) => {
      if (options.newName === undefined && options.comments === undefined) {
        throw new CliError('Nothing to change: pass --new-name or --comments.', EXIT_USAGE);
      }
      const { api, json } = client(command);
      const group = obj(
        (
          await api.call(RAM, 'UpdateGroup', {
            GroupName: name,
            ...(options.newName !== undefined && { NewGroupName: options.newName }),
            ...(options.comments !== undefined && { NewComments: options.comments }),
          })
        ).Group,
      );
      if (json) printJson(group);
      else
        printFields({
          'Group name': str(group.GroupName),
          'Group ID': str(group.GroupId),
          Comments: str(group.Comments) || undefined,
          Updated: str(group.UpdateDate),
        });
    });

  groups
    .command('delete <name>')
    .description('delete a RAM group (it must have no members and no policies)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      try {
        await api.call(RAM, 'DeleteGroup', { GroupName: name });
      } catch (err) {
        if (!json && err instanceof ApiError && err.code.startsWith('DeleteConflict.Group.')) {
          const steps = [
            ...(await members(api, name)).map((u) =>
              suggestion(command, ['groups', 'remove-user', name, str(u.UserName)]),
            ),
            ...(await policies(api, name)).map((p) =>
              suggestion(command, [
                'policy',
                'detach',
                str(p.PolicyName),
                '--group',
                name,
                '--type',
                str(p.PolicyType),
              ]),
            ),
          ];
          process.stderr.write(`To delete ${name}, first run:\n${steps.map((s) => `  ${s}\n`).join('')}`);
        }
        throw err;
      }
      if (json) printJson({ GroupName: name });
      else process.stdout.write(`Deleted group ${name}.\n`);
    });

  for (const [verb, action, done, preposition] of [
    ['add-user', 'AddUserToGroup', 'Added', 'to'],
    ['remove-user', 'RemoveUserFromGroup', 'Removed', 'from'],
  ] as const) {
    groups
      .command(`${verb} <group> <user>`)
      .description(`${verb === 'add-user' ? 'add a RAM user to' : 'remove a RAM user from'} a group`)
      .action(async (group: string, user: string, _options: unknown, command: Command) => {
        const { api, json } = client(command);
        await api.call(RAM, action, { GroupName: group, UserName: user });
        if (json) printJson({ GroupName: group, UserName: user });
        else process.stdout.write(`${done} user ${user} ${preposition} group ${group}.\n`);
      });
  }

  groups
    .command('users <group>')
    .description('list the members of a group')
    .action(async (group: string, _options: unknown, command: Command) => {
      const { api, json } = client(command);
      const users = await members(api, group);
      if (json) printJson(users);
      else printMembers(users);
    });
}
