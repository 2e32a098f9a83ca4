import type { CommandGroup } from '../src/router/spec.js';

const amOption = {
  type: 'string',
  description: 'which Alertmanager, as named in the config',
  placeholder: 'AM',
} as const;

export const silence: CommandGroup = {
  name: 'silence',
  summary: 'Alertmanager silences, created and ended from chat',
  commands: [
    {
      group: 'silence',
      name: 'add',
      summary: 'silence the alerts matching Alertmanager matchers',
      positionals: [
        {
          name: 'matchers',
          description: 'e.g. alertname="X", severity=~"warn.*"',
          required: true,
          variadic: true,
        },
      ],
      options: {
        for: { type: 'duration', description: 'how long, e.g. 2h', required: true, placeholder: 'D' },
        comment: {
          type: 'string',
          description: 'why (shown in Alertmanager)',
          required: true,
          placeholder: 'TEXT',
        },
        am: amOption,
      },
      permission: 'silence:write',
      visibility: 'in_channel',
      examples: ['silence add alertname="CephHealthWarning" --for 2h --comment "planned OSD swap"'],
    },
    {
      group: 'silence',
      name: 'list',
      summary: 'active silences',
      options: {
        am: amOption,
        match: {
          type: 'string',
          description: 'only silences with a matcher on this label=value',
          placeholder: 'M',
        },
      },
      permission: 'silence:list',
    },
    {
      group: 'silence',
      name: 'expire',
      summary: 'end a silence now',
      positionals: [{ name: 'id', description: 'the silence id', required: true }],
      options: { am: amOption },
      permission: 'silence:write',
      visibility: 'in_channel',
    },
    {
      group: 'silence',
      name: 'extend',
      summary: 'make a silence last longer',
      positionals: [{ name: 'id', description: 'the silence id', required: true }],
      options: {
        for: { type: 'duration', description: 'how much longer', required: true, placeholder: 'D' },
        am: amOption,
      },
      permission: 'silence:write',
      visibility: 'in_channel',
    },
  ],
};
