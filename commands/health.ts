import { COMPONENTS } from '../src/health/types.js';
import type { CommandGroup } from '../src/router/spec.js';
import { runHealth } from './health-run.js';
import { clusterOption, outputOption } from './options.js';

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
        output: outputOption({ wide: 'shows every check, not only problems' }),
      },
      permission: 'health:read',
      examples: ['health', 'health --cluster infra --component ceph'],
      run: runHealth,
    },
  ],
};
