// Alertmanager webhook payloads (version 4) as a busy platform produces them: kube-prometheus
// style alerts grouped by [alertname, cluster, namespace] (the test stack's Alertmanager route),
// groups of 1-12 alerts with the labels and annotations those rules carry. A group is opened
// (firing), updated (Alertmanager re-sends the whole group when an alert joins or resolves) and
// finally resolved (every alert resolved, as with send_resolved: true). Deterministic: the same
// seed gives the same stream.
import { createHash } from 'node:crypto';

const RULES = [
  {
    alertname: 'KubePodCrashLooping',
    severity: 'warning',
    job: 'kube-state-metrics',
    summary: 'Pod is crash looping.',
    description: (l) =>
      `Pod ${l.namespace}/${l.pod} (${l.container}) is in waiting state (reason: "CrashLoopBackOff").`,
    extra: (ns, i) => ({ pod: `${ns}-api-7d9f8b6c4-${i.toString(36)}x`, container: 'api' }),
  },
  {
    alertname: 'KubePodNotReady',
    severity: 'warning',
    job: 'kube-state-metrics',
    summary: 'Pod has been in a non-ready state for more than 15 minutes.',
    description: (l) =>
      `Pod ${l.namespace}/${l.pod} has been in a non-ready state for longer than 15 minutes.`,
    extra: (ns, i) => ({ pod: `${ns}-worker-${i}` }),
  },
  {
    alertname: 'KubeDeploymentReplicasMismatch',
    severity: 'warning',
    job: 'kube-state-metrics',
    summary: 'Deployment has not matched the expected number of replicas.',
    description: (l) =>
      `Deployment ${l.namespace}/${l.deployment} has not matched the expected number of replicas for longer than 15 minutes.`,
    extra: (ns, i) => ({ deployment: `${ns}-svc-${i}` }),
  },
  {
    alertname: 'CPUThrottlingHigh',
    severity: 'info',
    job: 'kubelet',
    summary: 'Processes experience elevated CPU throttling.',
    description: (l) =>
      `42.7% throttling of CPU in namespace ${l.namespace} for container ${l.container} in pod ${l.pod}.`,
    extra: (ns, i) => ({ pod: `${ns}-batch-${i}`, container: 'main' }),
  },
  {
    alertname: 'KubePersistentVolumeFillingUp',
    severity: 'critical',
    job: 'kubelet',
    summary: 'PersistentVolume is filling up.',
    description: (l) =>
      `The PersistentVolume claimed by ${l.persistentvolumeclaim} in Namespace ${l.namespace} is only 2.9% free.`,
    extra: (ns, i) => ({ persistentvolumeclaim: `data-${ns}-pg-${i}` }),
  },
  {
    alertname: 'TargetDown',
    severity: 'warning',
    job: 'serviceMonitor',
    summary: 'One or more targets are unreachable.',
    description: (l) => `100% of the ${l.service} targets in ${l.namespace} namespace are down.`,
    extra: (ns, i) => ({ service: `${ns}-metrics-${i}` }),
  },
  {
    alertname: 'KubeJobFailed',
    severity: 'warning',
    job: 'kube-state-metrics',
    summary: 'Job failed to complete.',
    description: (l) =>
      `Job ${l.namespace}/${l.job_name} failed to complete. Removing failed job after investigation should clear this alert.`,
    extra: (ns, i) => ({ job_name: `${ns}-backup-2926${i}` }),
  },
  {
    alertname: 'CNPGClusterReplicationLag',
    severity: 'critical',
    job: 'cnpg',
    summary: 'CloudNativePG replica lags behind its primary.',
    description: (l) => `Replica ${l.pod} of cluster ${l.namespace}/pg is 42s behind its primary.`,
    extra: (_ns, i) => ({ pod: `pg-${i + 1}` }),
  },
];

const NAMESPACES = Array.from(
  { length: 60 },
  (_, i) => `${['team', 'svc', 'data', 'edge', 'batch', 'web'][i % 6]}-${Math.floor(i / 6) + 1}`,
);

/** A small deterministic PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fingerprint = (labels) =>
  createHash('sha256')
    .update(
      Object.keys(labels)
        .sort()
        .map((k) => `${k}=${labels[k]}`)
        .join(','),
    )
    .digest('hex')
    .slice(0, 16);

export class AlertStream {
  constructor({ seed = 1, now = () => Date.now() } = {}) {
    this.random = prng(seed);
    this.now = now;
    this.active = [];
    this.serial = 0;
    this.counts = { opened: 0, updated: 0, resolved: 0, webhooks: 0, alerts: 0 };
  }

  pick(list) {
    return list[Math.floor(this.random() * list.length)];
  }

  /** 1-12 alerts, most groups small (as in real clusters: a few pods, sometimes a whole tier). */
  size() {
    const r = this.random();
    return r < 0.45 ? 1 : r < 0.75 ? 2 + Math.floor(this.random() * 3) : 5 + Math.floor(this.random() * 8);
  }

  makeAlert(group, i) {
    const rule = group.rule;
    const labels = {
      alertname: rule.alertname,
      cluster: group.cluster,
      namespace: group.namespace,
      severity: rule.severity,
      job: rule.job,
      prometheus: 'monitoring/k8s',
      instance: `10.${group.cluster === 'apps' ? 42 : 41}.${i % 250}.${(group.id * 7) % 250}:8080`,
      ...rule.extra(group.namespace, i),
    };
    return {
      status: 'firing',
      labels,
      annotations: {
        summary: rule.summary,
        description: rule.description(labels),
        runbook_url: `https://runbooks.prometheus-operator.dev/runbooks/kubernetes/${rule.alertname.toLowerCase()}`,
      },
      startsAt: new Date(this.now() - 60_000).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: `http://prometheus.${group.cluster}.example:9090/graph?g0.expr=${encodeURIComponent(`ALERTS{alertname="${rule.alertname}"}`)}`,
      fingerprint: fingerprint(labels),
    };
  }

  payload(group) {
    const alerts = group.alerts;
    const firing = alerts.some((a) => a.status === 'firing');
    this.counts.webhooks++;
    this.counts.alerts += alerts.length;
    const commonLabels = {
      alertname: group.rule.alertname,
      cluster: group.cluster,
      namespace: group.namespace,
      severity: group.rule.severity,
      job: group.rule.job,
      prometheus: 'monitoring/k8s',
    };
    return {
      body: JSON.stringify({
        version: '4',
        groupKey: `{}/{}:{alertname="${group.rule.alertname}", cluster="${group.cluster}", namespace="${group.namespace}"}#${group.id}`,
        truncatedAlerts: 0,
        status: firing ? 'firing' : 'resolved',
        receiver: 'coxswain',
        groupLabels: { alertname: group.rule.alertname, cluster: group.cluster, namespace: group.namespace },
        commonLabels,
        commonAnnotations:
          alerts.length === 1 ? { ...alerts[0].annotations } : { summary: group.rule.summary },
        externalURL: 'http://alertmanager.infra.example:9093',
        alerts,
      }),
      alerts: alerts.length,
      groupId: group.id,
    };
  }

  /** A new group, firing. */
  open() {
    const group = {
      id: ++this.serial,
      rule: this.pick(RULES),
      cluster: this.random() < 0.7 ? 'apps' : 'infra',
      namespace: this.pick(NAMESPACES),
      alerts: [],
      next: 0,
    };
    const n = this.size();
    for (let i = 0; i < n; i++) group.alerts.push(this.makeAlert(group, group.next++));
    this.active.push(group);
    this.counts.opened++;
    return this.payload(group);
  }

  /** An alert joins the group, or one of its firing alerts resolves; the whole group is sent. */
  update(group) {
    const firing = group.alerts.filter((a) => a.status === 'firing');
    if (firing.length > 1 && this.random() < 0.4) {
      const alert = this.pick(firing);
      alert.status = 'resolved';
      alert.endsAt = new Date(this.now()).toISOString();
    } else group.alerts.push(this.makeAlert(group, group.next++));
    this.counts.updated++;
    return this.payload(group);
  }

  /** Every alert of the group resolved; the group leaves the active set. */
  resolve(group) {
    const at = new Date(this.now()).toISOString();
    for (const alert of group.alerts) {
      if (alert.status === 'firing') {
        alert.status = 'resolved';
        alert.endsAt = at;
      }
    }
    this.active.splice(this.active.indexOf(group), 1);
    this.counts.resolved++;
    return this.payload(group);
  }

  /**
   * The next webhook of a busy stream: per group opened, on average `updatesPerGroup` updates and
   * one resolve, once the active set has warmed up to `activeTarget` groups.
   */
  next({ updatesPerGroup = 3, activeTarget = 400 } = {}) {
    if (this.active.length < Math.min(activeTarget, 20)) return this.open();
    const r = this.random() * (2 + updatesPerGroup);
    if (r < 1 || this.active.length < activeTarget / 2) return this.open();
    const group = this.pick(this.active);
    if (r < 2) return this.resolve(group);
    return this.update(group);
  }
}
