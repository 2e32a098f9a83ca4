/** `/ops oncall`: who is on call now and next, the shifts ahead, and overrides and swaps. */
import type { CommandGroup } from '../src/router/spec.js';
import {
  MAX_DAYS,
  overrideCheck,
  runCancel,
  runOverride,
  runShifts,
  runSwap,
  shiftsCheck,
  swapCheck,
} from './oncall-run.js';
import { outputOption } from './options.js';

const teamOption = {
  type: 'string',
  description: 'the on-call team, as named in oncall.teams (needed when there are several)',
  placeholder: 'T',
} as const;

export const oncall: CommandGroup = {
  name: 'oncall',
  summary: 'who is on call now and next, the shifts ahead, overrides and swaps',
  commands: [
    {
      group: 'oncall',
      summary: 'who is on call now and who is next, per team (overrides applied)',
      permission: 'oncall:read',
      run: async (ctx) => {
        const engine = ctx.services.incidents;
        if (!engine) return void (await ctx.reply('The on-call rota is not set up in this coxswain.'));
        await ctx.services.oncall?.refresh();
        await ctx.reply(engine.oncall());
      },
    },
    {
      group: 'oncall',
      name: 'shifts',
      summary: 'the shifts of the coming days, per team, with their overrides and swaps',
      options: {
        team: teamOption,
        days: {
          type: 'number',
          description: `how many days ahead (default 14, at most ${MAX_DAYS})`,
          placeholder: 'N',
        },
        output: outputOption(),
      },
      permission: 'oncall:read',
      check: shiftsCheck,
      examples: ['oncall shifts --team platform --days 28'],
      run: runShifts,
    },
    {
      group: 'oncall',
      name: 'override',
      summary: 'put someone of a rota on call instead, from now (or --from) until a time',
      positionals: [
        { name: 'person', description: 'who, e.g. @bob (listed in an on-call team)', required: true },
      ],
      options: {
        until: {
          type: 'string',
          description: "until when: a time on the team's clock like 2026-12-24T09:00, or a delay like 12h",
          required: true,
          placeholder: 'T',
        },
        from: { type: 'string', description: 'from when, as --until (default: now)', placeholder: 'T' },
        team: teamOption,
        reason: { type: 'string', description: 'why, shown with the shift', placeholder: 'TEXT' },
      },
      permission: 'oncall:write',
      dangerous: true,
      visibility: 'in_channel',
      check: overrideCheck,
      examples: [
        'oncall override @bob --until 2026-12-24T09:00 --team platform --reason "covering for alice"',
      ],
      run: runOverride,
    },
    {
      group: 'oncall',
      name: 'swap',
      summary: 'the people of two shifts trade them (each shift named by its first day)',
      positionals: [
        { name: 'shift', description: "a shift's first day, e.g. 2026-12-21", required: true },
        { name: 'with', description: "the other shift's first day, e.g. 2026-12-28", required: true },
      ],
      options: { team: teamOption },
      permission: 'oncall:write',
      dangerous: true,
      visibility: 'in_channel',
      check: swapCheck,
      examples: ['oncall swap 2026-12-21 2026-12-28 --team platform'],
      run: runSwap,
    },
    {
      group: 'oncall',
      name: 'cancel',
      summary: 'remove an override (or both halves of a swap) by its number',
      positionals: [{ name: 'id', description: 'the number `oncall shifts` shows, e.g. 12', required: true }],
      permission: 'oncall:write',
      dangerous: true,
      visibility: 'in_channel',
      check: (args) =>
        /^\d{1,12}$/.test(String(args.id))
          ? undefined
          : `${String(args.id).slice(0, 40)} is not an override number like 12`,
      run: runCancel,
    },
  ],
};
