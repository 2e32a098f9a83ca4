/** Linkerd: control plane Deployments, injected proxies, and the multicluster Links' gateway probes. */
import { KINDS } from '../kinds.js';
import { absent, num, objectsOf, ref, result } from '../objects.js';
import type { Check, Finding } from '../types.js';
import { identityFindings } from './linkerd-identity.js';

const CONTROL_PLANE = ['linkerd-destination', 'linkerd-identity', 'linkerd-proxy-injector'];

interface ContainerStatus {
  name?: string;
  ready?: boolean;
}

export const linkerdCheck: Check = {
  component: 'linkerd',
  kinds: [
    KINDS.deployments,
    KINDS.pods,
    KINDS.links,
    KINDS.endpoints,
    KINDS.linkerdtrustroots,
    KINDS.certificates,
  ],
  run({ kinds, now, identityExpiry, wide }) {
    const deployments = objectsOf(kinds, 'deployments').filter((d) => d.metadata.namespace === 'linkerd');
    if (!deployments.some((d) => CONTROL_PLANE.includes(d.metadata.name)))
      return absent('linkerd', 'no control plane in namespace linkerd');
    const findings: Finding[] = [];
    for (const name of CONTROL_PLANE) {
      const d = deployments.find((o) => o.metadata.name === name);
      if (!d) {
        findings.push({ status: 'fail', subject: name, reason: 'Deployment not found' });
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
    let meshed = 0;
    let proxyNotReady = 0;
    for (const pod of objectsOf(kinds, 'pods')) {
      const containers = (pod.spec?.containers as { name?: string }[] | undefined) ?? [];
      if (!containers.some((c) => c.name === 'linkerd-proxy')) continue;
      meshed++;
      if (pod.status?.phase !== 'Running') continue;
      const proxy = ((pod.status?.containerStatuses as ContainerStatus[] | undefined) ?? []).find(
        (c) => c.name === 'linkerd-proxy',
      );
      if (proxy && proxy.ready !== true) {
        proxyNotReady++;
        findings.push({ status: 'warn', subject: `pod ${ref(pod)}`, reason: 'linkerd-proxy not ready' });
      }
    }
    // A Link whose probe Endpoints are empty cannot reach the remote gateway.
    const endpoints = objectsOf(kinds, 'endpoints');
    for (const link of objectsOf(kinds, 'links')) {
      const target = String(link.spec?.targetClusterName ?? link.metadata.name);
      const probe = endpoints.find(
        (e) =>
          e.metadata.namespace === link.metadata.namespace && e.metadata.name === `probe-gateway-${target}`,
      );
      const addresses = num(probe?.status?.addresses);
      findings.push({
        status: addresses > 0 ? 'ok' : 'fail',
        subject: `Link ${ref(link)}`,
        reason:
          addresses > 0
            ? `gateway of ${target} probed at ${addresses} address(es)`
            : `no gateway endpoints for ${target}: the path to ${target} is down`,
      });
    }
    const identity = identityFindings(kinds, now, identityExpiry);
    findings.push(...identity.findings);
    const cp = findings.filter((f) => CONTROL_PLANE.includes(f.subject) && f.status === 'ok').length;
    const summary = `control plane ${cp}/${CONTROL_PLANE.length} ready; ${meshed} meshed pods${proxyNotReady ? `, ${proxyNotReady} proxies not ready` : ''}${identity.note ? `; ${identity.note}` : ''}`;
    return result('linkerd', findings, summary, wide);
  },
};
