/** Cilium: agents (DaemonSet), operator, ClusterMesh API server, CiliumNodes per node. */
import { KINDS } from '../kinds.js';
import { absent, num, objectsOf, result, served } from '../objects.js';
import type { Check, Finding, KubeObject } from '../types.js';

const find = (list: readonly KubeObject[], namespace: string, name: string) =>
  list.find((o) => o.metadata.namespace === namespace && o.metadata.name === name);

export const ciliumCheck: Check = {
  component: 'cilium',
  kinds: [KINDS.daemonsets, KINDS.deployments, KINDS.ciliumnodes, KINDS.nodes],
  run({ kinds, wide }) {
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
