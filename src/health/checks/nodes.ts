/** Nodes: Ready, cordoned, pressure conditions, kubelet and OS (Talos) versions. */
import { KINDS } from '../kinds.js';
import { condition, conditions, describe, result } from '../objects.js';
import type { Check, Finding } from '../types.js';

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

export const nodesCheck: Check = {
  component: 'nodes',
  kinds: [KINDS.nodes],
  run({ kinds, wide }) {
    const nodes = kinds.get('nodes');
    const list = nodes?.served ? nodes.objects : [];
    const findings: Finding[] = [];
    const versions = new Set<string>();
    let ready = 0;
    for (const node of list) {
      const name = node.metadata.name;
      const info = (node.status?.nodeInfo ?? {}) as { kubeletVersion?: string; osImage?: string };
      const version = [info.kubeletVersion, info.osImage].filter(Boolean).join(', ');
      versions.add(version);
      const readyCondition = condition(node, 'Ready');
      const problems: Finding[] = [];
      if (readyCondition?.status !== 'True')
        problems.push({ status: 'fail', subject: name, reason: `NotReady: ${describe(readyCondition)}` });
      else ready++;
      for (const c of conditions(node))
        if (PRESSURE.includes(c.type) && c.status === 'True')
          problems.push({ status: 'warn', subject: name, reason: describe(c) });
      if (node.spec?.unschedulable === true)
        problems.push({ status: 'warn', subject: name, reason: 'cordoned (spec.unschedulable)' });
      if (problems.length === 0) problems.push({ status: 'ok', subject: name, reason: `Ready, ${version}` });
      findings.push(...problems);
    }
    if (list.length === 0)
      findings.push({ status: 'fail', subject: 'nodes', reason: 'the cluster has no nodes' });
    const summary = `${ready}/${list.length} Ready${versions.size ? `; ${[...versions].join(' | ')}` : ''}`;
    return result('nodes', findings, summary, wide);
  },
};
