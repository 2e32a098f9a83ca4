/**
 * What the platform's controllers would do while the whole plan rolls out, for a test that starts
 * from nothing. The stack runs no Flux, Cilium, Rook, CNPG, Velero or VictoriaMetrics operator, so
 * when a Kustomization reconciles this play applies the objects the plan says it `installs` to the
 * real API server and gives them the status their controller would report on a healthy platform
 * (the state the phase's checks ask for). Workloads are real Deployments/StatefulSets/DaemonSets:
 * kube-controller-manager and kwok make their pods Ready, and the play waits for the rollout as
 * Flux's health checks (`wait: true`) do before it reports the Kustomization Ready.
 *
 * `isolate` renames the plan so it touches nothing the seed made: every namespace but flux-system
 * gets a prefix, and Flux objects and cluster-scoped objects a suffix.
 */
import type { CheckSpec, PhasesFile } from '../../../src/phases/definitions.js';
import type { StackCluster, StackEnv } from '../../stack/env.js';
import { kubectl } from '../../stack/kubectl.js';

type ObjectRef = Extract<CheckSpec, { object: unknown }>['object'];

export function isolate(file: PhasesFile, prefix: string): PhasesFile {
  const ns = (n: string | undefined) => (n === undefined || n === 'flux-system' ? n : `${prefix}-${n}`);
  const object = <T extends ObjectRef>(o: T): T =>
    o.plural === 'namespaces'
      ? { ...o, name: `${prefix}-${o.name}` }
      : o.namespace === undefined
        ? { ...o, name: `${o.name}-${prefix}` }
        : { ...o, namespace: ns(o.namespace) };
  return {
    ...file,
    phases: file.phases.map((phase) => ({
      ...phase,
      flux: phase.flux.map((f) => ({
        ...f,
        namespace: ns(f.namespace) as string,
        name: f.kind === 'Kustomization' ? `${f.name}-${prefix}` : f.name,
        installs: f.installs.map(object),
      })),
      checks: phase.checks.map((c) => ('object' in c ? { ...c, object: object(c.object) } : c)),
    })),
  };
}

const KINDS: Record<string, string> = {
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  services: 'Service',
  endpoints: 'Endpoints',
  namespaces: 'Namespace',
  storageclasses: 'StorageClass',
  networkpolicies: 'NetworkPolicy',
  ciliumbgpnodeconfigs: 'CiliumBGPNodeConfig',
  ciliumloadbalancerippools: 'CiliumLoadBalancerIPPool',
  cephclusters: 'CephCluster',
  schedules: 'Schedule',
  clustersecretstores: 'ClusterSecretStore',
  clusters: 'Cluster',
  certificates: 'Certificate',
  replicationsources: 'ReplicationSource',
  vmrules: 'VMRule',
  links: 'Link',
};
const WORKLOADS = ['deployments', 'statefulsets', 'daemonsets'];
/** Kinds whose CRD has no status subresource: their status is written with the object. */
const STATUS_IN_OBJECT = ['schedules'];

/** The fields each kind needs to be accepted by its schema (what its chart would put there). */
function skeleton(plural: string, name: string): Record<string, unknown> {
  const labels = { 'app.kubernetes.io/name': name };
  const template = {
    metadata: { labels },
    spec: {
      containers: [{ name, image: 'registry.k8s.io/pause:3.10' }],
      tolerations: [{ operator: 'Exists' }],
    },
  };
  switch (plural) {
    case 'deployments':
    case 'daemonsets':
      return { spec: { selector: { matchLabels: labels }, template } };
    case 'statefulsets':
      return { spec: { serviceName: name, selector: { matchLabels: labels }, template } };
    case 'services':
      return { spec: { type: 'LoadBalancer', ports: [{ port: 2379 }] } };
    case 'networkpolicies':
      return { spec: { podSelector: {} } };
    case 'ciliumloadbalancerippools':
      return { spec: { blocks: [{ cidr: '10.25.11.100/30' }] } };
    case 'cephclusters':
      return { spec: {} };
    case 'schedules':
      return { spec: { schedule: '0 3 * * 0', template: {} } };
    case 'clustersecretstores':
      return {
        spec: {
          provider: {
            onepassword: {
              connectHost: 'http://onepassword-connect.external-secrets.svc.cluster.local:8080',
              vaults: { Kubernetes: 1 },
              auth: {
                secretRef: {
                  connectTokenSecretRef: {
                    name: 'onepassword-connect-token',
                    namespace: 'external-secrets',
                    key: 'token',
                  },
                },
              },
            },
          },
        },
      };
    case 'certificates':
      return {
        spec: { secretName: name, issuerRef: { name: 'letsencrypt-production', kind: 'ClusterIssuer' } },
      };
    case 'replicationsources':
      return { spec: { sourcePVC: name } };
    case 'vmrules':
      return { spec: { groups: [{ name: 'platform', rules: [{ alert: 'Watchdog', expr: 'vector(1)' }] }] } };
    default:
      return {};
  }
}

/** Sets a check path (`a.b.0.c`, `labels[x.y/z]`) in an object, making arrays for indexes. */
export function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = [...path.matchAll(/([^.[\]]+)|\[([^\]]+)\]/g)].map((m) => (m[1] ?? m[2]) as string);
  let node: Record<string, unknown> = target;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const next = keys[i + 1] as string;
    node[key] ??= /^\d+$/.test(next) ? [] : {};
    node = node[key] as Record<string, unknown>;
  });
}

const at = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class PlanPlay {
  readonly applied: string[] = [];
  /** What failed to apply (the Flux play swallows errors; the test shows these). */
  readonly errors: string[] = [];

  constructor(
    private readonly env: StackEnv,
    private readonly plan: PhasesFile,
  ) {}

  /** The FluxControllerPlay hook: bring up what Kustomization `name` installs on `cluster`. */
  readonly apply = async (cluster: StackCluster, name: string): Promise<void> => {
    for (const phase of this.plan.phases)
      for (const flux of phase.flux) {
        if (flux.kind !== 'Kustomization' || flux.name !== name || !flux.clusters.includes(cluster)) continue;
        for (const object of flux.installs) {
          const on = object.clusters ?? flux.clusters;
          for (const target of on)
            try {
              this.bringUp(target as StackCluster, object);
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              if (!this.errors.includes(message)) this.errors.push(message);
              throw error;
            }
        }
      }
  };

  private bringUp(cluster: StackCluster, o: ObjectRef): void {
    const checks = this.plan.phases
      .flatMap((p) => p.checks)
      .filter(
        (c): c is Extract<CheckSpec, { object: unknown }> =>
          'object' in c &&
          c.clusters.includes(cluster) &&
          c.object.plural === o.plural &&
          c.object.name === o.name &&
          c.object.namespace === o.namespace,
      );
    const body: Record<string, unknown> = {
      apiVersion: o.apiVersion,
      kind: KINDS[o.plural] ?? o.plural,
      metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) },
      ...skeleton(o.plural, o.name),
    };
    const workload = WORKLOADS.includes(o.plural);
    // A number the checks ask for: the largest atLeast on that path, else 1.
    const least = (path: string) =>
      Math.max(
        1,
        ...checks
          .flatMap((c) => c.expect)
          .flatMap((e) => ('atLeast' in e && e.path === path ? [e.atLeast] : [])),
      );
    for (const expectation of checks.flatMap((c) => c.expect)) {
      if ('condition' in expectation) {
        body.status ??= {};
        const status = body.status as { conditions?: unknown[] };
        status.conditions ??= [];
        status.conditions.push({
          type: expectation.condition,
          status: expectation.status,
          reason: 'Reconciled',
          message: '',
          lastTransitionTime: at(),
        });
        continue;
      }
      // Workload status is the controllers' (kube-controller-manager, kwok): only size the spec.
      if (workload && expectation.path.startsWith('status.')) {
        if (o.plural !== 'daemonsets') setAt(body, 'spec.replicas', least(expectation.path));
        continue;
      }
      if ('equals' in expectation) setAt(body, expectation.path, expectation.equals);
      else if ('atLeast' in expectation) setAt(body, expectation.path, least(expectation.path));
      else if ('equalsPath' in expectation) {
        setAt(body, expectation.path, least(expectation.path));
        setAt(body, expectation.equalsPath, least(expectation.path));
      } else if ('maxAge' in expectation) setAt(body, expectation.path, at());
      else if ('present' in expectation) setAt(body, expectation.path, '10.25.11.100');
    }
    const inObject = STATUS_IN_OBJECT.includes(o.plural);
    const { status: split, ...rest } = body;
    const spec = inObject ? body : rest;
    const status = inObject ? undefined : split;
    // Its own field manager: applying a bare Namespace as plan-play would drop the labels and
    // annotations plan-play set on that Namespace when the plan installs it too.
    if (o.namespace)
      kubectl(
        this.env,
        cluster,
        ['apply', '--server-side', '--field-manager=plan-play-namespaces', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace } }),
      );
    kubectl(
      this.env,
      cluster,
      ['apply', '--server-side', '--field-manager=plan-play', '-f', '-'],
      JSON.stringify(spec),
    );
    if (status)
      kubectl(
        this.env,
        cluster,
        ['apply', '--server-side', '--field-manager=plan-play', '--subresource=status', '-f', '-'],
        JSON.stringify({ ...spec, status }),
      );
    if (workload)
      kubectl(this.env, cluster, [
        'rollout',
        'status',
        `${o.plural}/${o.name}`,
        '-n',
        o.namespace ?? 'default',
        '--timeout=120s',
      ]);
    this.applied.push(`${cluster}/${o.plural}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`);
  }
}
