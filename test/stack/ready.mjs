// Exit 0 when every seeded Deployment, StatefulSet and DaemonSet on both clusters is fully
// ready (and observed), else 1. Usage: node ready.mjs ENV_FILE [--verbose]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const env = Object.fromEntries(
  fs
    .readFileSync(process.argv[2], 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z0-9_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const verbose = process.argv.includes('--verbose');
let ok = true;
for (const cluster of ['infra', 'apps']) {
  const kc = env[`KUBECONFIG_${cluster.toUpperCase()}`];
  const out = execFileSync(
    env.KUBECTL,
    ['--kubeconfig', kc, 'get', 'deployments,statefulsets,daemonsets', '-A', '-o', 'json'],
    { maxBuffer: 256 << 20 },
  );
  for (const o of JSON.parse(out).items) {
    const s = o.status ?? {};
    const want = o.kind === 'DaemonSet' ? s.desiredNumberScheduled : (o.spec.replicas ?? 1);
    const have = o.kind === 'DaemonSet' ? s.numberReady : s.readyReplicas;
    const observed = (s.observedGeneration ?? 0) >= o.metadata.generation;
    const ready = observed && (have ?? 0) >= want && (o.kind !== 'DaemonSet' || want > 0);
    if (!ready) {
      ok = false;
      if (verbose)
        console.error(
          `${cluster}: ${o.kind} ${o.metadata.namespace}/${o.metadata.name} ready ${have ?? 0}/${want}${observed ? '' : ' (not observed)'}`,
        );
    }
  }
}
process.exit(ok ? 0 : 1);
