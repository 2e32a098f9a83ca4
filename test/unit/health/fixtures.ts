/**
 * Object fixtures shaped like the real resources (field names as in test/stack/crds/ and the
 * test stack's seed), trimmed through the same KINDS trims the cache applies.
 */
import { KINDS } from '../../../src/health/kinds.js';
import type { CheckInput, CredentialExpiry, KindState, KubeObject } from '../../../src/health/types.js';

export const NOW = Date.parse('2026-11-23T12:00:00Z');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const iso = (ms: number) => new Date(ms).toISOString();

type Raw = Record<string, unknown> & { metadata: KubeObject['metadata'] };

/** Kind id → raw objects; ids left out are "not served" unless listed in `served`. */
export function input(
  objects: Partial<Record<keyof typeof KINDS, Raw[]>>,
  options: {
    served?: (keyof typeof KINDS)[];
    wide?: boolean;
    rpoMs?: number;
    credential?: CredentialExpiry;
    credentialWarningMs?: number;
  } = {},
): CheckInput {
  const kinds = new Map<string, KindState>();
  for (const id of Object.keys(KINDS) as (keyof typeof KINDS)[]) {
    const list = objects[id];
    if (list) kinds.set(id, { served: true, objects: list.map((o) => KINDS[id].trim(o as KubeObject)) });
    else if (options.served?.includes(id)) kinds.set(id, { served: true, objects: [] });
    else kinds.set(id, { served: false });
  }
  return {
    kinds,
    now: NOW,
    rpoMs: options.rpoMs ?? 6 * HOUR,
    certificateWarningMs: 14 * DAY,
    identityExpiry: { warnMs: 30 * DAY, failMs: 7 * DAY },
    credential: options.credential,
    credentialWarningMs: options.credentialWarningMs ?? 7 * DAY,
    wide: options.wide ?? false,
  };
}

export const ready = (reason = 'Succeeded', message = '') => ({
  type: 'Ready',
  status: 'True',
  reason,
  message,
  lastTransitionTime: iso(NOW - DAY),
});
export const notReady = (reason: string, message: string) => ({
  type: 'Ready',
  status: 'False',
  reason,
  message,
  lastTransitionTime: iso(NOW - HOUR),
});

export function node(
  name: string,
  overrides: { ready?: string; pressure?: string; unschedulable?: boolean } = {},
): Raw {
  const conditions = [
    {
      type: 'MemoryPressure',
      status: overrides.pressure === 'MemoryPressure' ? 'True' : 'False',
      reason: 'KubeletHasSufficientMemory',
    },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID' },
    {
      type: 'Ready',
      status: overrides.ready ?? 'True',
      reason: overrides.ready === 'False' ? 'KubeletNotReady' : 'KubeletReady',
      message:
        overrides.ready === 'False'
          ? 'container runtime network not ready'
          : 'kubelet is posting ready status',
    },
  ];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name },
      managedFields: [{ manager: 'kubelet', fieldsV1: { big: true } }],
    } as unknown as KubeObject['metadata'],
    spec: overrides.unschedulable
      ? { unschedulable: true, podCIDR: '10.244.0.0/24' }
      : { podCIDR: '10.244.0.0/24' },
    status: {
      conditions,
      nodeInfo: { kubeletVersion: 'v1.34.1', osImage: 'Talos (v1.11.2)', kernelVersion: '6.12.48-talos' },
      addresses: [{ type: 'InternalIP', address: '10.25.11.11' }],
    },
  };
}

export function deployment(
  namespace: string,
  name: string,
  replicas: number,
  readyReplicas: number,
  extra: Raw['status'] = {},
): Raw {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, generation: 1 },
    spec: { replicas, template: { spec: { containers: [{ name, image: 'x' }] } } },
    status: {
      observedGeneration: 1,
      replicas,
      readyReplicas,
      availableReplicas: readyReplicas,
      updatedReplicas: replicas,
      ...(extra as object),
    },
  };
}

export function daemonset(namespace: string, name: string, desired: number, readyCount: number): Raw {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace, generation: 1 },
    spec: {},
    status: {
      observedGeneration: 1,
      desiredNumberScheduled: desired,
      numberReady: readyCount,
      currentNumberScheduled: desired,
    },
  };
}

export function pod(
  namespace: string,
  name: string,
  options: {
    waiting?: string;
    restarts?: number;
    lastTerminated?: string;
    containers?: string[];
    phase?: string;
    labels?: Record<string, string>;
    proxyReady?: boolean;
  } = {},
): Raw {
  const containers = options.containers ?? ['main'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: options.labels ?? {},
      ownerReferences: [{ kind: 'ReplicaSet', name: `${name}-rs` }],
    } as KubeObject['metadata'],
    spec: {
      nodeName: 'apps-01',
      containers: containers.map((c) => ({ name: c, image: 'img', env: [{ name: 'X', value: 'y' }] })),
    },
    status: {
      phase: options.phase ?? 'Running',
      containerStatuses: containers.map((c) => ({
        name: c,
        ready: c === 'linkerd-proxy' ? options.proxyReady !== false : !options.waiting,
        restartCount: c === containers[0] ? (options.restarts ?? 0) : 0,
        state:
          options.waiting && c === containers[0]
            ? { waiting: { reason: options.waiting, message: 'back-off 5m0s restarting failed container' } }
            : { running: { startedAt: iso(NOW - HOUR) } },
        ...(options.lastTerminated && c === containers[0]
          ? { lastState: { terminated: { reason: options.lastTerminated, exitCode: 137 } } }
          : {}),
      })),
    },
  };
}
