// The Botkube side-by-side section of BENCHMARKS.md: the figures of one run of run.mjs with the
// machine, the load, what each figure measures, and how Botkube was built and configured. Only the
// text between `<!-- botkube:start -->` and `<!-- botkube:end -->` is replaced (both lines are
// appended at the end when missing); the rest of the file belongs to `npm run bench`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, summarize } from '../lib.mjs';
import { BOTKUBE_VERSION } from './botkube.mjs';

const repo = new URL('../..', import.meta.url).pathname;

export function writeSection(r) {
  const f = (v) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
  const ratio = (b, c) => `${(b / c).toFixed(1)}×`;
  const lat = (name, s) => {
    const c = summarize(s.cox);
    const b = summarize(s.botkube);
    return [
      `| ${name}, p50 | ${f(c.p50)} ms | ${f(b.p50)} ms | ${ratio(b.p50, c.p50)} |`,
      `| ${name}, p95 | ${f(c.p95)} ms | ${f(b.p95)} ms | ${ratio(b.p95, c.p95)} |`,
    ].join('\n');
  };
  const parts = (p) => p.map((x) => `${x.name} ${x.mib.toFixed(0)}`).join(' + ');
  const section = `<!-- botkube:start -->
## Side by side with Botkube ${BOTKUBE_VERSION}

Written by \`npm run bench:botkube\` (bench/botkube/run.mjs) on ${r.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, on ${machine()}.
Load average (1, 5, 15 min) at the start: ${r.loadBefore}; at the end: ${r.loadAfter}. The run took ${r.minutes} minutes.
Both bots ran at the same time, connected to the same real Mattermost 11.4 server (PostgreSQL, its
per-user rate limit at the test setup's 10/s, burst 20) and reading the same apps cluster of the
test stack (${r.podsOnApps.toLocaleString('en')} pods, ${r.loadPods.toLocaleString('en')} of them in \`load\`); every measure alternates
between them, one request at a time, and is timed on one clock: alice's WebSocket to Mattermost.
Read the ratios (Botkube ÷ coxswain): the machine is shared and its load moves the absolute figures.

| measure | coxswain | Botkube | ratio |
| --- | --- | --- | --- |
| RSS idle (connected, nothing asked), MiB | ${f(r.idle.cox)} | ${f(r.idle.botkube)} | ${ratio(r.idle.botkube, r.idle.cox)} |
| RSS after the reads of 5,000 pods and the events, MiB | ${f(r.busy.cox)} | ${f(r.busy.botkube)} | ${ratio(r.busy.botkube, r.busy.cox)} |
| RSS peak during the 5,000-pod reads (sampled every 100 ms), MiB | ${f(r.peak.cox)} | ${f(r.peak.botkube)} | ${ratio(r.peak.botkube, r.peak.cox)} |
${lat(`read: get pods -n ${r.small} (${r.smallPods} pods)`, r.smallLat)}
${lat(`read: get pods -n load (${r.loadPods.toLocaleString('en')} pods, a file)`, r.bigLat)}
${lat('event forwarded into the channel', r.eventLat)}

**RSS.** VmRSS from /proc, the median of 5 samples 2 s apart. coxswain: its one Node process (\`bin/coxswain.js\`, dist/).
Botkube: the agent plus its plugin processes, summed (the agent starts each plugin as its own
process and talks gRPC to it; a kubectl a plugin runs for a command would be counted too while it
lives). Botkube's own PR #1425 ("Reduce memory consumption for Kubernetes source configuration")
read the Botkube pod's memory on Grafana's "Kubernetes / Compute Resources / Pod" dashboard, i.e.
the container's working set, which holds the agent and every plugin process: the sum here is the
same set of processes, measured as RSS. Idle, last sample: ${parts(r.idle.parts)} MiB; after the reads: ${parts(r.busy.parts)} MiB.
"Idle" is after both connected and ${process.env.BENCH_BOTKUBE_SETTLE_S ?? 30} s passed: the 5,000 pods exist, but coxswain has not
filled its watch caches yet (it does on the first \`get\`), and Botkube's Kubernetes source holds its
informer on Events (its \`error\` routes watch Events, not the pods; ${r.eventsOnApps.toLocaleString('en')} Events on apps at the start,
most from creating the 5,000 pods). "After the reads" is after every
\`get pods\` and event round below, coxswain's pod cache then full. The peak is the highest sum
seen while the \`get pods -n load\` rounds ran, sampled every 100 ms for both: for Botkube it
includes the kubectl process listing the 5,000 pods, which the samples after the reads cannot see.

**Read command.** From just before alice's request leaves to the answer's arrival on her
WebSocket. coxswain: \`POST /api/v4/commands/execute\` with \`/ops get pods -n X\`; Mattermost calls
coxswain's slash-command endpoint; the answer comes from the watch-fed cache, as an ephemeral post
to alice (\`ephemeral_message\`), or for the 5,000-pod table a file uploaded into the channel.
Botkube: \`POST /api/v4/posts\` with \`@botkube kubectl get pods -n X\`; the agent hears it on its
WebSocket, the kubectl executor plugin (gRPC) runs the kubectl binary (a new process, listing
from the API server each time, with a kubeconfig impersonating the plugin RBAC group), and the
agent posts the output into the channel (\`posted\`), as a file when over 3,990 characters.
${r.smallLat.cox.length} rounds each after one warm-up for -n ${r.small}, ${r.bigLat.cox.length} for -n load.

**Event into the channel.** The fairest pair each bot has for "a pod is failing, tell the channel":
Botkube: a \`Warning\` Event (reason BackOff) about a pod in \`load\` POSTed to the API server; its
Kubernetes source's Events informer sees it, routes it (\`k8s-err-events\`), the agent posts it.
Timed from the POST to the API server until the post is on alice's WebSocket.
coxswain: an Alertmanager v4 webhook (one firing alert, a new group) POSTed to
\`/hooks/alertmanager\`, as Alertmanager sends it once the group is due; the bot writes it to its
outbox (SQLite, durable before the 200), routes, renders and posts it. Timed from the POST until
the post is on alice's WebSocket. Neither figure includes what comes before in production
(kubelet writing the Event; Prometheus evaluation and Alertmanager's group_wait).
${r.eventLat.cox.length} rounds each after one warm-up.

**How Botkube was built.** \`bench/botkube/build.sh\`, once per version, into
~/.cache/coxswain-stack/botkube-${BOTKUBE_VERSION}/; its BUILD.txt:

\`\`\`
${r.build.trim()}
\`\`\`

**How Botkube was run.** \`botkube-agent\` with \`BOTKUBE_CONFIG_PATHS\` set to the file below and
\`KUBECONFIG\` (and \`settings.kubeconfig\`) the stack's admin kubeconfig for apps; the agent's own
identity is that admin (in a cluster it would be the chart's ServiceAccount), the plugins
impersonate the group \`botkube-plugins-default\`, bound to get/list/watch on everything (as the
Helm chart's default plugin RBAC). Namespace \`botkube\` holds its system and state ConfigMaps.
Plugins were fetched by the agent itself from \`plugins.repositories.botkube.url\`: an index.yaml
(Botkube's index format, sha256 checksums) served with the binaries and the kubectl dependency by
a node:http server on loopback (bench/botkube/botkube.mjs); nothing came from the internet.
One difference from Botkube's own index: its kubectl executor names kubectl v1.28.1 from dl.k8s.io
as its dependency (internal/executor/kubectl/executor.go); here the dependency is the stack's
kubectl v1.37.2, built from the Kubernetes module the stack's API servers come from (a v1.28
client would also be outside kubectl's supported skew against a v1.37 server).
The config as this run wrote it (ports and paths differ per run; the token replaced by a placeholder):

\`\`\`yaml
${r.bkConfig.replace(/token: .*/g, 'token: <the botkube bot account personal access token>').trim()}
\`\`\`

coxswain ran as \`node bin/coxswain.js --config …\` (dist/ from \`npm run build\`) with the Mattermost
adapter (bot token, team \`ops\`, the \`/ops\` slash command registered by the bot), the apps
cluster through the same admin kubeconfig, SQLite store, the webhook route into \`ops-alerts\`,
log level error. To run again: \`npm run bench:botkube\` (STACK_STATE_DIR may point at a stack
started with \`--pods ${r.pods}\`; without one a stack is started and stopped). Not part of \`npm test\`.
<!-- botkube:end -->`;
  const file = join(repo, 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf('<!-- botkube:start -->');
  const end = text.indexOf('<!-- botkube:end -->');
  const next =
    start >= 0 && end > start
      ? text.slice(0, start) + section + text.slice(end + '<!-- botkube:end -->'.length)
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}
