import type { CommandGroup } from '../src/router/spec.js';
import { closest } from '../src/router/suggest.js';
import { commandHelp, groupHelp, overviewHelp } from '../src/router/usage.js';
import { inlineCode } from '../src/text/escape.js';

export const help: CommandGroup = {
  name: 'help',
  summary: 'what coxswain can do, generated from the commands themselves',
  commands: [
    {
      group: 'help',
      summary: 'list every command, or show the options of one',
      positionals: [
        { name: 'command', description: 'a command group or command, e.g. `drill run`', variadic: true },
      ],
      permission: 'help',
      examples: ['help', 'help drill run'],
      run: async (ctx) => {
        const trigger = ctx.services.config.command;
        const groups = ctx.services.groups();
        const words = ((ctx.args.command as string[] | undefined) ?? []).map((w) => w.toLowerCase());
        const [groupName, commandName] = words;
        if (groupName === undefined) {
          await ctx.reply({ title: 'coxswain commands', text: overviewHelp(trigger, groups) });
          return;
        }
        const group = groups.find((g) => g.name === groupName);
        if (!group) {
          const guess = closest(
            groupName,
            groups.map((g) => g.name),
          );
          await ctx.reply(
            `There is no command ${inlineCode(groupName)}.${guess ? ` Did you mean \`${trigger} help ${guess}\`?` : ''}`,
          );
          return;
        }
        const spec = commandName ? group.commands.find((c) => c.name === commandName) : undefined;
        if (commandName && !spec) {
          await ctx.reply(
            `\`${trigger} ${group.name}\` has no command ${inlineCode(commandName)}.\n${groupHelp(trigger, group)}`,
          );
          return;
        }
        if (spec) await ctx.reply(commandHelp(trigger, spec));
        else if (group.commands.length === 1 && group.commands[0])
          await ctx.reply(commandHelp(trigger, group.commands[0]));
        else await ctx.reply(groupHelp(trigger, group));
      },
    },
  ],
};
