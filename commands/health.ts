import { COMPONENTS } from '../src/health/types.js';
import type { CommandGroup } from '../src/router/spec.js';
import { runHealth } from './health-run.js';
import { clusterOption } from './options.js';

export const health: CommandGroup = {
  name: 'health',
  summary: 'is the platform healthy? nodes, workloads and every platform component, per cluster',
  commands: [
    {
      group: 'health',
      summary: 'one summary per cluster: ok / warn / fail with the reason',
      options: {
        cluster: clusterOption,
        component: {
          type: 'string',
          description: 'only this component',
          placeholder: 'X',
          choices: COMPONENTS,
        },
        output: {
          type: 'string',
          alias: 'o',
          description: 'wide shows every check, not only problems',
          choices: ['wide'],
          placeholder: 'wide',
        },
      },
      permission: 'health:read',
      examples: ['health', 'health --cluster infra --component ceph'],
      run: runHealth,
    },
  ],
};
