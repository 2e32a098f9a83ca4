/**
 * Cilium: agents (DaemonSet), operator, ClusterMesh API server and its address, CiliumNodes per
 * node, BGP sessions (CiliumBGPNodeConfig, one per node: every peer `established`) and LB-IPAM
 * pools (condition cilium.io/PoolConflict). The ClusterMesh remote clusters' readiness is reported
 * by the agents, not through the API (docs/platform/health-notes.md): what the API shows is the
 * apiserver Ready and its LoadBalancer address, which the other cluster connects to; the remotes'
 * readiness comes from the cluster's metrics endpoint when one is configured (the engine reads it).
 */
import { remoteFindings } from '../clustermesh-remotes.js';
import { KINDS } from '../kinds.js';
import { absent, condition, describe, num, objectsOf, result, served } from '../objects.js';
import type { Check, Finding, KubeObject } from '../types.js';

const find = (list: readonly KubeObject[], namespace: string, name: string) =>
  list.find((o) => o.metadata.namespace === namespace && o.metadata.name === name);

export const ciliumCheck: Check = {
  component: 'cilium',
  kinds: [
    KINDS.daemonsets,
    KINDS.deployments,
    KINDS.services,
    KINDS.ciliumnodes,
    KINDS.nodes,
    KINDS.ciliumbgpnodeconfigs,
    KINDS.ciliumloadbalancerippools,
  ],
  run({ kinds, wide, clustermeshRemotes }) {
    const agents = find(objectsOf(kinds, 'daemonsets'), 'kube-system', 'cilium');
    if (!agents && !served(kinds, 'ciliumnodes')) return absent('cilium', 'no kube-system/cilium DaemonSet');
    const findings: Finding[] = [];
    if (!agents)
      findings.push({ status: 'fail', subject: 'agents', reason: 'DaemonSet kube-system/cilium not found' });
    else {
      const ready = num(agents.status?.numberReady);
      const desired = num(agents.status?.desiredNumberScheduled);
      findings.push({
        status: ready < desired || desired === 0 ? (ready === 0 ? 'fail' : 'warn') : 'ok',
        subject: 'agents',
        reason: `${ready}/${desired} ready`,
      });
    }
    const deployments = objectsOf(kinds, 'deployments');
    for (const [name, optional] of [
      ['cilium-operator', false],
      ['clustermesh-apiserver', true],
    ] as const) {
      const d = find(deployments, 'kube-system', name);
      if (!d) {
        if (!optional) findings.push({ status: 'fail', subject: name, reason: 'Deployment not found' });
        continue;
      }
      const ready = num(d.status?.readyReplicas);
      const wanted = d.spec?.replicas === undefined ? 1 : num(d.spec.replicas);
      findings.push({
        status: ready >= wanted ? 'ok' : ready === 0 ? 'fail' : 'warn',
        subject: name,
        reason: `${ready}/${wanted} ready`,
      });
    }
    if (find(deployments, 'kube-system', 'clustermesh-apiserver') && served(kinds, 'services')) {
      const service = find(objectsOf(kinds, 'services'), 'kube-system', 'clustermesh-apiserver');
      const ingress = (service?.status?.loadBalancer as { ingress?: { ip?: string; hostname?: string }[] })
        ?.ingress?.[0];
      const address = ingress?.ip ?? ingress?.hostname;
      findings.push(
        !service
          ? {
              status: 'fail',
              subject: 'clustermesh-apiserver',
              reason: 'Service not found: the other cluster cannot connect',
            }
          : service.spec?.type === 'LoadBalancer' && !address
            ? {
                status: 'fail',
                subject: 'clustermesh-apiserver',
                reason: 'LoadBalancer Service has no address (LB-IPAM?)',
              }
            : {
                status: 'ok',
                subject: 'clustermesh-apiserver',
                reason: `reachable at ${address ?? 'its NodePort'}`,
              },
      );
      findings.push(...remoteFindings(clustermeshRemotes ?? { state: 'not-configured' }));
    }
    findings.push(...bgpFindings(objectsOf(kinds, 'ciliumbgpnodeconfigs')));
    for (const pool of objectsOf(kinds, 'ciliumloadbalancerippools')) {
      const conflict = condition(pool, 'cilium.io/PoolConflict');
      const subject = `LB-IPAM pool ${pool.metadata.name}`;
      if (pool.spec?.disabled === true) findings.push({ status: 'warn', subject, reason: 'disabled' });
      else if (conflict?.status === 'True')
        findings.push({ status: 'fail', subject, reason: describe(conflict) });
      else findings.push({ status: 'ok', subject, reason: 'no conflict' });
    }
    const ciliumNodes = objectsOf(kinds, 'ciliumnodes').length;
    const nodes = objectsOf(kinds, 'nodes').length;
    if (served(kinds, 'ciliumnodes') && ciliumNodes < nodes)
      findings.push({
        status: 'warn',
        subject: 'CiliumNodes',
        reason: `${ciliumNodes} CiliumNodes for ${nodes} nodes`,
      });
    const agentLine = findings.find((f) => f.subject === 'agents')?.reason ?? 'missing';
    return result('cilium', findings, `agents ${agentLine}`, wide);
  },
};

interface BgpPeer {
  name?: string;
  peerAddress?: string;
  peeringState?: string;
}

/** Every BGP peer of every node's instance; a session not `established` fails. */
function bgpFindings(configs: readonly KubeObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const config of configs) {
    const instances = (config.status?.bgpInstances ?? []) as { name?: string; peers?: BgpPeer[] }[];
    const peers = instances.flatMap((i) => i.peers ?? []);
    const subject = `BGP ${config.metadata.name}`;
    if (peers.length === 0) {
      findings.push({ status: 'warn', subject, reason: 'no BGP peer reported yet' });
      continue;
    }
    const down = peers.filter((p) => p.peeringState !== 'established');
    findings.push(
      down.length
        ? {
            status: 'fail',
            subject,
            reason: down
              .map((p) => `peer ${p.name ?? p.peerAddress ?? '?'} ${p.peeringState ?? 'unknown'}`)
              .join(', '),
          }
        : {
            status: 'ok',
            subject,
            reason: `${peers.length} session${peers.length === 1 ? '' : 's'} established`,
          },
    );
  }
  return findings;
}
