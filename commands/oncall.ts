import type { CommandGroup } from '../src/router/spec.js';

export const oncall: CommandGroup = {
  name: 'oncall',
  summary: 'who is on call now and next',
  commands: [
    { group: 'oncall', summary: 'who is on call now and who is next, per team', permission: 'oncall:read' },
  ],
};
