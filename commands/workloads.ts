/**
 * kubectl from chat: `get`, `describe`, `events`, `logs` read (lists from the watch caches, never
 * a list request per call), `rollout restart` and `scale` write as the operator account after
 * the invoker confirms. Secrets and ConfigMaps are not among the kinds: nothing here shows them.
 */
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../src/kube/names.js';
import type { CommandGroup, OptionSpec, PositionalSpec } from '../src/router/spec.js';
import { GET_WORDS } from '../src/workloads/kinds.js';
import { namespaceOption } from './flux.js';
import { DEFAULT_TAIL, logsCheck, MAX_TAIL, runLogs } from './logs-run.js';
import { clusterOption, outputOption } from './options.js';
import { namespaceCheck, runDescribe, runEvents, runGet } from './workloads-run.js';
import { MAX_REPLICAS, runRolloutRestart, runScale, scaleCheck } from './workloads-write.js';

const allNamespaces: OptionSpec = {
  type: 'boolean',
  alias: 'A',
  description: 'every namespace (also what you get without -n)',
};

const objectArg: PositionalSpec = {
  name: 'object',
  description: 'KIND/NAME, e.g. deploy/grafana, pod/grafana-5d9f, node/apps-01, pvc/data',
  required: true,
};

const deploymentArg: PositionalSpec = {
  name: 'deployment',
  description: 'deploy/NAME',
  required: true,
};

const lookup = {
  namespace: { ...namespaceOption, description: 'the namespace, where the name is in several' },
  cluster: clusterOption,
};

export const get: CommandGroup = {
  name: 'get',
  summary: 'list pods, deployments, statefulsets, daemonsets, nodes or PVCs (kubectl get)',
  commands: [
    {
      group: 'get',
      summary: 'list objects of one kind, from the watch caches',
      positionals: [{ name: 'kind', description: 'what to list', required: true, choices: GET_WORDS }],
      options: {
        namespace: namespaceOption,
        'all-namespaces': allNamespaces,
        selector: {
          type: 'string',
          alias: 'l',
          description: 'a label selector, e.g. app=grafana,tier!=db',
          placeholder: 'SELECTOR',
        },
        cluster: clusterOption,
        output: outputOption({ wide: 'adds pod IP and node (pods), OS image (nodes)' }),
      },
      permission: 'workload:read',
      check: namespaceCheck,
      examples: [
        'get pods -n monitoring -l app=grafana',
        'get deploy -A --cluster apps -o wide',
        'get nodes',
      ],
      run: runGet,
    },
  ],
};

export const describeGroup: CommandGroup = {
  name: 'describe',
  summary: 'one object in detail, with its recent events (kubectl describe)',
  commands: [
    {
      group: 'describe',
      summary: 'state, containers and images, conditions and events of one object',
      // KIND/NAME is checked in run, after authorization (as silence matchers are), and before
      // anything is sent to a cluster.
      positionals: [objectArg],
      options: lookup,
      permission: 'workload:read',
      examples: ['describe deploy/grafana -n monitoring'],
      run: runDescribe,
    },
  ],
};

export const events: CommandGroup = {
  name: 'events',
  summary: 'recent Kubernetes events (kubectl events)',
  commands: [
    {
      group: 'events',
      summary: 'the newest events, oldest first, from the watch caches',
      options: {
        namespace: namespaceOption,
        for: {
          type: 'string',
          description: 'only the events of this object, KIND/NAME',
          placeholder: 'KIND/NAME',
        },
        cluster: clusterOption,
        output: outputOption(),
      },
      permission: 'workload:read',
      examples: ['events -n monitoring --for deploy/grafana'],
      run: runEvents,
    },
  ],
};

export const logs: CommandGroup = {
  name: 'logs',
  summary: "a pod's container log; long logs arrive as a file (values that look like secrets are masked)",
  commands: [
    {
      group: 'logs',
      summary: "a container's log, the last lines",
      positionals: [{ name: 'pod', description: 'the pod name', required: true, pattern: DNS1123_SUBDOMAIN }],
      options: {
        ...lookup,
        container: {
          type: 'string',
          alias: 'c',
          description: 'the container (default: the first)',
          placeholder: 'C',
          pattern: DNS1123_LABEL,
        },
        tail: {
          type: 'number',
          description: `how many lines from the end (default ${DEFAULT_TAIL}, up to ${MAX_TAIL})`,
          placeholder: 'N',
        },
        since: { type: 'duration', description: 'only lines newer than this, e.g. 15m', placeholder: 'D' },
        previous: { type: 'boolean', description: "the previous container instance's log, after a restart" },
      },
      permission: 'workload:logs',
      check: logsCheck,
      examples: [
        'logs grafana-5d9f7c-x2x4q -n monitoring --tail 50',
        'logs mattermost-0 --previous --since 1h',
      ],
      run: runLogs,
    },
  ],
};

export const rollout: CommandGroup = {
  name: 'rollout',
  summary: 'restart a Deployment (kubectl rollout restart)',
  commands: [
    {
      group: 'rollout',
      name: 'restart',
      summary: "replace a Deployment's pods one by one, as the operator account",
      positionals: [deploymentArg],
      options: lookup,
      permission: 'workload:write',
      dangerous: true,
      visibility: 'in_channel',
      examples: ['rollout restart deploy/grafana -n monitoring'],
      run: runRolloutRestart,
    },
  ],
};

export const scale: CommandGroup = {
  name: 'scale',
  summary: 'set the replicas of a Deployment (kubectl scale)',
  commands: [
    {
      group: 'scale',
      summary: `set a Deployment's replicas (0 to ${MAX_REPLICAS}), as the operator account`,
      positionals: [deploymentArg],
      options: {
        replicas: { type: 'number', description: 'how many', required: true, placeholder: 'N' },
        ...lookup,
      },
      permission: 'workload:write',
      dangerous: true,
      visibility: 'in_channel',
      check: scaleCheck,
      examples: ['scale deploy/grafana -n monitoring --replicas 2'],
      run: runScale,
    },
  ],
};
