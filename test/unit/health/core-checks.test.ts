import { describe, expect, it } from 'vitest';
import { ciliumCheck } from '../../../src/health/checks/cilium.js';
import { nodesCheck } from '../../../src/health/checks/nodes.js';
import { workloadsCheck } from '../../../src/health/checks/workloads.js';
import { KINDS } from '../../../src/health/kinds.js';
import type { KubeObject } from '../../../src/health/types.js';
import { daemonset, deployment, input, node, pod } from './fixtures.js';

describe('nodes', () => {
  it('is ok when every node is Ready, and names the kubelet and Talos versions', () => {
    const r = nodesCheck.run(input({ nodes: [node('infra-01'), node('infra-02')] }));
    expect(r.status).toBe('ok');
    expect(r.summary).toBe('2/2 Ready; v1.34.1, Talos (v1.11.2)');
    expect(r.findings).toEqual([]);
  });

  it('fails on a NotReady node with the kubelet reason, warns on pressure and cordoned nodes', () => {
    const r = nodesCheck.run(
      input({
        nodes: [
          node('infra-01', { ready: 'False' }),
          node('infra-02', { pressure: 'MemoryPressure' }),
          node('infra-03', { unschedulable: true }),
        ],
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.summary.startsWith('2/3 Ready')).toBe(true);
    expect(r.findings).toEqual([
      {
        status: 'fail',
        subject: 'infra-01',
        reason: 'NotReady: Ready=False (KubeletNotReady): container runtime network not ready',
      },
      { status: 'warn', subject: 'infra-02', reason: 'MemoryPressure=True (KubeletHasSufficientMemory)' },
      { status: 'warn', subject: 'infra-03', reason: 'cordoned (spec.unschedulable)' },
    ]);
  });

  it('treats a node without a Ready condition as NotReady', () => {
    const bare = { metadata: { name: 'x' }, status: { conditions: [] } };
    expect(nodesCheck.run(input({ nodes: [bare] })).status).toBe('fail');
  });

  it('lists healthy nodes only with wide output', () => {
    expect(nodesCheck.run(input({ nodes: [node('a')] }, { wide: true })).findings).toEqual([
      { status: 'ok', subject: 'a', reason: 'Ready, v1.34.1, Talos (v1.11.2)' },
    ]);
    expect(nodesCheck.run(input({ nodes: [node('a')] })).findings).toEqual([]);
  });
});

describe('workloads', () => {
  it('is ok when every workload is ready and no pod has a problem', () => {
    const r = workloadsCheck.run(
      input(
        {
          deployments: [deployment('gitlab', 'web', 2, 2)],
          daemonsets: [daemonset('kube-system', 'cilium', 3, 3)],
          pods: [pod('gitlab', 'web-1')],
        },
        { served: ['statefulsets'] },
      ),
    );
    expect(r.status).toBe('ok');
    expect(r.summary).toBe('2/2 workloads ready; 1 pods, 0 with problems');
  });

  it('warns on partly ready, fails on none ready and on a stuck rollout', () => {
    const stuck = deployment('harbor', 'core', 1, 1, {
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "core-7d" has timed out progressing.',
        },
      ],
    });
    const r = workloadsCheck.run(
      input({
        deployments: [deployment('gitlab', 'web', 3, 2), deployment('gitlab', 'shell', 2, 0), stuck],
        daemonsets: [daemonset('kube-system', 'cilium', 3, 2)],
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.findings.map((f) => [f.status, f.subject, f.reason])).toEqual([
      ['warn', 'deployment gitlab/web', '2/3 ready'],
      ['fail', 'deployment gitlab/shell', '0/2 ready'],
      ['fail', 'deployment harbor/core', 'rollout stuck: ReplicaSet "core-7d" has timed out progressing.'],
      ['warn', 'daemonset kube-system/cilium', '2/3 ready'],
    ]);
  });

  it('fails on a crash-looping pod with its restarts and last termination reason', () => {
    const r = workloadsCheck.run(
      input({
        pods: [
          pod('gitlab', 'sidekiq-1', {
            waiting: 'CrashLoopBackOff',
            restarts: 7,
            lastTerminated: 'OOMKilled',
          }),
        ],
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.findings).toEqual([
      {
        status: 'fail',
        subject: 'pod gitlab/sidekiq-1',
        reason: 'main: CrashLoopBackOff, 7 restarts, last terminated: OOMKilled',
      },
    ]);
  });

  it('warns on a ready pod that restarted often, not on one that restarted a little', () => {
    const r = workloadsCheck.run(
      input({ pods: [pod('a', 'often', { restarts: 12 }), pod('a', 'rarely', { restarts: 2 })] }),
    );
    expect(r.findings.map((f) => f.subject)).toEqual(['pod a/often']);
    expect(r.status).toBe('warn');
  });

  it('warns when the controller has not observed the latest generation', () => {
    const d = deployment('a', 'b', 1, 1);
    (d.metadata as KubeObject['metadata']).generation = 2;
    expect(workloadsCheck.run(input({ deployments: [d] })).findings[0]?.reason).toMatch(/not observed/);
  });

  it('keeps only what it reads from a pod: no managed fields, env or images in the cache', () => {
    const trimmed = KINDS.pods.trim(pod('a', 'b', { containers: ['main', 'linkerd-proxy'] }) as KubeObject);
    expect(JSON.stringify(trimmed)).not.toMatch(/env|image|managedFields/);
    expect(trimmed.spec).toEqual({
      nodeName: 'apps-01',
      containers: [{ name: 'main' }, { name: 'linkerd-proxy' }],
    });
    expect(JSON.stringify(KINDS.nodes.trim(node('n') as KubeObject))).not.toMatch(
      /managedFields|podCIDR|addresses/,
    );
  });
});

function clustermeshService(ip?: string) {
  return {
    metadata: { name: 'clustermesh-apiserver', namespace: 'kube-system' },
    spec: { type: 'LoadBalancer' },
    status: { loadBalancer: ip ? { ingress: [{ ip }] } : {} },
  };
}

describe('cilium', () => {
  it('is absent when neither the agents nor the CiliumNode API exist', () => {
    expect(
      ciliumCheck.run(input({ nodes: [node('a')] }, { served: ['daemonsets', 'deployments'] })).status,
    ).toBe('absent');
  });

  it('is ok with agents, operator and clustermesh-apiserver ready', () => {
    const r = ciliumCheck.run(
      input({
        daemonsets: [daemonset('kube-system', 'cilium', 3, 3)],
        deployments: [
          deployment('kube-system', 'cilium-operator', 1, 1),
          deployment('kube-system', 'clustermesh-apiserver', 1, 1),
        ],
        nodes: [node('a'), node('b'), node('c')],
        ciliumnodes: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }, { metadata: { name: 'c' } }],
        services: [clustermeshService('10.25.11.100')],
      }),
    );
    expect(r.status).toBe('ok');
    expect(r.summary).toBe('agents 3/3 ready');
  });

  const base = {
    daemonsets: [daemonset('kube-system', 'cilium', 1, 1)],
    deployments: [
      deployment('kube-system', 'cilium-operator', 1, 1),
      deployment('kube-system', 'clustermesh-apiserver', 1, 1),
    ],
    nodes: [node('infra-01')],
    ciliumnodes: [{ metadata: { name: 'infra-01' } }],
  };
  const bgp = (state: string) => ({
    metadata: { name: 'infra-01' },
    status: {
      bgpInstances: [
        {
          name: 'instance-64513',
          peers: [{ name: 'srx320', peerAddress: '10.25.11.1', peeringState: state }],
        },
      ],
    },
  });
  const pool = (conflict: 'True' | 'False') => ({
    metadata: { name: 'infra-pool' },
    spec: { blocks: [{ cidr: '10.25.11.100/27' }] },
    status: {
      conditions: [
        {
          type: 'cilium.io/PoolConflict',
          status: conflict,
          reason: conflict === 'True' ? 'cidr_overlap' : 'resolved',
          message: conflict === 'True' ? 'Pool overlaps with apps-pool' : '',
        },
      ],
    },
  });
  const lines = (r: ReturnType<typeof ciliumCheck.run>) =>
    r.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`);

  it('reports BGP sessions, LB-IPAM pools and the ClusterMesh address, healthy and failing', () => {
    const good = ciliumCheck.run(
      input(
        {
          ...base,
          services: [clustermeshService('10.25.11.100')],
          ciliumbgpnodeconfigs: [bgp('established')],
          ciliumloadbalancerippools: [pool('False')],
        },
        { wide: true },
      ),
    );
    expect(good.status).toBe('ok');
    expect(lines(good)).toContain('ok BGP infra-01: 1 session established');
    expect(lines(good)).toContain('ok LB-IPAM pool infra-pool: no conflict');
    expect(lines(good)).toContain('ok clustermesh-apiserver: reachable at 10.25.11.100');

    const bad = ciliumCheck.run(
      input({
        ...base,
        services: [clustermeshService()],
        ciliumbgpnodeconfigs: [bgp('active')],
        ciliumloadbalancerippools: [pool('True')],
      }),
    );
    expect(bad.status).toBe('fail');
    expect(lines(bad)).toEqual([
      'fail clustermesh-apiserver: LoadBalancer Service has no address (LB-IPAM?)',
      'fail BGP infra-01: peer srx320 active',
      'fail LB-IPAM pool infra-pool: cilium.io/PoolConflict=True (cidr_overlap): Pool overlaps with apps-pool',
    ]);
  });

  it('fails when the operator is missing and warns on agents not all ready', () => {
    const r = ciliumCheck.run(
      input(
        { daemonsets: [daemonset('kube-system', 'cilium', 3, 2)] },
        { served: ['deployments', 'ciliumnodes'] },
      ),
    );
    expect(r.status).toBe('fail');
    expect(r.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`)).toEqual([
      'warn agents: 2/3 ready',
      'fail cilium-operator: Deployment not found',
    ]);
  });
});
