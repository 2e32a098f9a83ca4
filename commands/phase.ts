import { DNS1123_LABEL } from '../src/kube/names.js';
import type { CommandGroup, PositionalSpec } from '../src/router/spec.js';
import { clusterOption, dryRunOption, outputOption } from './options.js';
import { phaseList, phasePause, phaseRun, phaseStatus } from './phase-run.js';

const phaseArg: PositionalSpec = {
  name: 'phase',
  description: 'the phase name (see `phase list`)',
  required: true,
  pattern: DNS1123_LABEL,
};

export const phase: CommandGroup = {
  name: 'phase',
  summary: 'the platform rollout phases, driven through Flux',
  commands: [
    {
      group: 'phase',
      name: 'list',
      summary: 'the phases, their order and state',
      options: { cluster: clusterOption, output: outputOption() },
      permission: 'phase:list',
      examples: ['phase list --cluster infra -o yaml'],
      run: phaseList,
    },
    {
      group: 'phase',
      name: 'status',
      summary: 'each step and check of a phase, with who ran what and when',
      positionals: [{ ...phaseArg, required: false }],
      options: { cluster: clusterOption, output: outputOption() },
      permission: 'phase:status',
      run: phaseStatus,
    },
    {
      group: 'phase',
      name: 'run',
      summary: 'resume and reconcile a phase in dependency order, then run its success checks',
      positionals: [phaseArg],
      options: { 'dry-run': dryRunOption },
      permission: 'phase:run',
      run: phaseRun,
      dangerous: (args) => args['dry-run'] !== true,
      visibility: 'in_channel',
      examples: ['phase run storage-backup --dry-run'],
    },
    {
      group: 'phase',
      name: 'pause',
      summary: "suspend a phase's Flux objects again",
      positionals: [phaseArg],
      permission: 'phase:run',
      run: phasePause,
      dangerous: true,
      visibility: 'in_channel',
    },
  ],
};
