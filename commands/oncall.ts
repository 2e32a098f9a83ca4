import type { CommandGroup } from '../src/router/spec.js';

export const oncall: CommandGroup = {
  name: 'oncall',
  summary: 'who is on call now and next',
  commands: [
    {
      group: 'oncall',
      summary: 'who is on call now and who is next, per team',
      permission: 'oncall:read',
      run: async (ctx) => {
        const engine = ctx.services.incidents;
        await ctx.reply(engine ? engine.oncall() : 'The on-call rota is not set up in this coxswain.');
      },
    },
  ],
};
