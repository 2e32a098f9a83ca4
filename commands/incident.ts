import { DNS1123_LABEL } from '../src/kube/names.js';
import type { CommandGroup } from '../src/router/spec.js';
import { clusterOption } from './options.js';

const sevChoices = ['1', '2', '3', '4'] as const;

export const incident: CommandGroup = {
  name: 'incident',
  summary: 'on-call incident rooms: open, run, resolve',
  commands: [
    {
      group: 'incident',
      name: 'open',
      summary: 'open an incident room and invite the on-call people',
      positionals: [
        { name: 'title', description: 'what is wrong, in a few words', required: true, variadic: true },
      ],
      options: {
        sev: {
          type: 'string',
          description: 'severity, 1 (worst) to 4',
          choices: sevChoices,
          placeholder: '1-4',
        },
        cluster: clusterOption,
      },
      permission: 'incident:write',
      visibility: 'in_channel',
      examples: ['incident open "postgres failover loop" --sev 2 --cluster infra'],
    },
    {
      group: 'incident',
      name: 'status',
      summary: "this room's incident: state, people, timeline",
      permission: 'incident:list',
    },
    {
      group: 'incident',
      name: 'note',
      summary: 'add a timeline entry',
      positionals: [{ name: 'text', description: 'the note', required: true, variadic: true }],
      permission: 'incident:write',
    },
    {
      group: 'incident',
      name: 'assign',
      summary: 'give someone a role in the incident',
      positionals: [{ name: 'user', description: '@someone', required: true }],
      options: {
        role: {
          type: 'string',
          description: 'their role',
          required: true,
          choices: ['commander', 'comms'],
          placeholder: 'R',
        },
      },
      permission: 'incident:write',
    },
    {
      group: 'incident',
      name: 'sev',
      summary: 'change the severity',
      positionals: [{ name: 'severity', description: '1 (worst) to 4', required: true, choices: sevChoices }],
      permission: 'incident:write',
    },
    {
      group: 'incident',
      name: 'link-alert',
      summary: 'link an alert so its state changes post into the room',
      positionals: [
        {
          name: 'alert',
          description: 'an alert fingerprint or a link to its post',
          required: true,
          pattern: { regex: /^\S{1,512}$/, explain: 'must be one word' },
        },
      ],
      permission: 'incident:write',
    },
    {
      group: 'incident',
      name: 'resolve',
      summary: 'resolve: post the timeline and a postmortem skeleton, archive the room later',
      positionals: [
        { name: 'summary', description: 'what happened, in a sentence', required: true, variadic: true },
      ],
      permission: 'incident:write',
      visibility: 'in_channel',
    },
    {
      group: 'incident',
      name: 'list',
      summary: 'incidents across rooms',
      options: {
        open: { type: 'boolean', description: 'only open ones' },
        cluster: { ...clusterOption, pattern: DNS1123_LABEL },
      },
      permission: 'incident:list',
    },
  ],
};
