import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../src/kube/names.js';
import type { CommandGroup, OptionSpec, PositionalSpec } from '../src/router/spec.js';
import { drillAbort, drillList, drillPlan, drillRun, drillStatus } from './drill-run.js';
import { clusterOption, dryRunOption, outputOption } from './options.js';

const drillArg: PositionalSpec = {
  name: 'drill',
  description: 'the drill (see `drill list`)',
  required: true,
  pattern: DNS1123_LABEL,
};
const drillOptions: Record<string, OptionSpec> = {
  cluster: clusterOption,
  node: {
    type: 'string',
    description: 'the node, for node drills',
    placeholder: 'N',
    pattern: DNS1123_SUBDOMAIN,
  },
  namespace: {
    type: 'string',
    description:
      "the namespace of the target workload (backup-restore: the namespace to restore; volsync-restore: the ReplicationSource's)",
    placeholder: 'NS',
    pattern: DNS1123_LABEL,
  },
  workload: {
    type: 'string',
    description:
      'the target Deployment or StatefulSet (mesh-gateway: the gateway; app-failover: the primary side)',
    placeholder: 'W',
    pattern: DNS1123_SUBDOMAIN,
  },
  backup: {
    type: 'string',
    description: 'backup-restore: the Velero Backup (default: the newest Completed one)',
    placeholder: 'B',
    pattern: DNS1123_SUBDOMAIN,
  },
  source: {
    type: 'string',
    description: 'volsync-restore: the VolSync ReplicationSource whose backup to restore (in --namespace)',
    placeholder: 'RS',
    pattern: DNS1123_SUBDOMAIN,
  },
};

export const drill: CommandGroup = {
  name: 'drill',
  summary: 'failover drills with measured recovery against the objectives',
  commands: [
    {
      group: 'drill',
      name: 'list',
      summary: 'the drills and their objectives',
      options: { output: outputOption() },
      permission: 'drill:list',
      run: drillList,
    },
    {
      group: 'drill',
      name: 'plan',
      summary: 'what exactly a drill would do; changes nothing',
      positionals: [drillArg],
      options: drillOptions,
      permission: 'drill:plan',
      run: drillPlan,
    },
    {
      group: 'drill',
      name: 'run',
      summary: 'run a drill (one per cluster at a time), reporting each step in a thread',
      positionals: [drillArg],
      options: {
        ...drillOptions,
        'dry-run': dryRunOption,
        override: {
          type: 'string',
          description: 'admin only: run despite an open incident or firing critical alert, with this reason',
          placeholder: 'REASON',
        },
      },
      permission: 'drill:run',
      run: drillRun,
      dangerous: (args) => args['dry-run'] !== true,
      visibility: 'in_channel',
      examples: ['drill run node-drain --cluster apps --node apps-02 --dry-run'],
    },
    {
      group: 'drill',
      name: 'status',
      summary: 'running and recent drills',
      options: { cluster: clusterOption, output: outputOption() },
      permission: 'drill:status',
      examples: ['drill status --cluster apps -o json'],
      run: drillStatus,
    },
    {
      group: 'drill',
      name: 'abort',
      summary: 'stop the running drill and roll it back',
      options: { cluster: clusterOption },
      permission: 'drill:run',
      run: drillAbort,
      visibility: 'in_channel',
    },
  ],
};
