import type { CommandGroup } from '../src/router/spec.js';
import { runMesh } from './health-run.js';
import { clusterOption, outputOption } from './options.js';

export const mesh: CommandGroup = {
  name: 'mesh',
  summary: 'cross-cluster health: Linkerd multicluster links, mirrored services, Cilium ClusterMesh',
  commands: [
    {
      group: 'mesh',
      summary: 'which cross-cluster paths are up',
      options: { cluster: clusterOption, output: outputOption() },
      permission: 'mesh:read',
      examples: ['mesh', 'mesh --cluster apps -o yaml'],
      run: runMesh,
    },
  ],
};
