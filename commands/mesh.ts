import type { CommandGroup } from '../src/router/spec.js';
import { runMesh } from './health-run.js';

export const mesh: CommandGroup = {
  name: 'mesh',
  summary: 'cross-cluster health: Linkerd multicluster links, mirrored services, Cilium ClusterMesh',
  commands: [
    {
      group: 'mesh',
      summary: 'which cross-cluster paths are up',
      permission: 'mesh:read',
      examples: ['mesh'],
      run: runMesh,
    },
  ],
};
