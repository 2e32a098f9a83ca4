/**
 * ClusterMesh remote-cluster readiness on the test stack: the health engine reads the seeded
 * clustermesh-apiserver through the real API servers, and `cilium_clustermesh_remote_cluster_readiness_status`
 * through the stack's real Prometheus (HTTP API v1), which scrapes the test exporter every second.
 *
 * What is simulated: no Cilium agent runs under kwok, so the exporter serves the gauges the
 * agents would (one series per agent, labels as Cilium's pkg/clustermesh/common/metrics.go writes
 * them). The exporter cannot forget a series, so each test labels its own with a fresh `run` and
 * configures the metrics endpoint's `matchers` to pick only those, as a store shared by several
 * clusters is configured.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMetrics, PrometheusClient } from '../../../adapters/prometheus/client.js';
import { renderMesh } from '../../../src/health/render.js';
import type { ClusterReader } from '../../../src/health/types.js';
import type { ClusterMetrics } from '../../../src/prometheus/query.js';
import { PrometheusError } from '../../../src/prometheus/query.js';
import { component, engine, env, eventually, reader } from './support.js';

const METRIC = 'cilium_clustermesh_remote_cluster_readiness_status';
const AGENTS = ['infra-01', 'infra-02', 'infra-03'];

let readers: ClusterReader[];
/** A local port nobody listens on (taken free, then closed). */
let closed: string;

beforeAll(async () => {
  readers = [reader('infra'), reader('apps')];
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  closed = `http://127.0.0.1:${port}`;
});
afterAll(() => {
  for (const r of readers) r.stop();
});

/** Sets one agent's gauge on the exporter, as that infra agent would export it. */
async function agentReports(run: string, node: string, target: string, value: 0 | 1): Promise<void> {
  const labels = `target_cluster=${target},source_node_name=${node},run=${run}`;
  const response = await fetch(
    `${env.EXPORTER_URL}/metric?name=${METRIC}&value=${value}&labels=${encodeURIComponent(labels)}`,
    { method: 'POST' },
  );
  expect(response.status).toBe(200);
}

function metricsFor(run: string, url = env.PROMETHEUS_URL): ClusterMetrics {
  return clusterMetrics({ url, timeout: '5s', matchers: `run="${run}"` }) as ClusterMetrics;
}

/** The cilium findings of infra, as `status subject: reason` lines, once `want` is among them. */
async function ciliumLines(metrics: ClusterMetrics | undefined, want: string): Promise<string[]> {
  const health = engine(readers, metrics ? { metrics: new Map([['infra', metrics]]) } : {});
  return eventually(`"${want}" in the cilium report`, async () => {
    const cilium = component(
      await health.check({ cluster: 'infra', components: ['cilium'], wide: true }),
      'infra',
      'cilium',
    );
    const lines = cilium.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`);
    return lines.includes(want) ? [cilium.status, ...lines] : undefined;
  });
}

describe('the Prometheus client against the real Prometheus', () => {
  it('answers an instant vector with labels and numbers', async () => {
    const client = new PrometheusClient({ url: env.PROMETHEUS_URL, timeoutMs: 5000 });
    const samples = await eventually('the exporter scraped', async () => {
      const up = await client.instant('up{job="coxswain-exporter"}');
      return up.length ? up : undefined;
    });
    expect(samples).toEqual([{ labels: expect.objectContaining({ job: 'coxswain-exporter' }), value: 1 }]);
  });

  it("says what Prometheus refused, and that a scalar is not a vector, without the token or the URL's password", async () => {
    const withSecrets = new URL(env.PROMETHEUS_URL);
    withSecrets.username = 'u';
    withSecrets.password = 'url-password';
    const client = new PrometheusClient({
      url: withSecrets.toString(),
      bearerToken: 'tok-3x4mpl3',
      timeoutMs: 5000,
    });
    expect(client.url).toBe(env.PROMETHEUS_URL);
    const bad = await client.instant('sum(').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(PrometheusError);
    expect((bad as PrometheusError).status).toBe(400);
    expect((bad as Error).message).toMatch(
      new RegExp(`^The metrics endpoint ${env.PROMETHEUS_URL} refused the query \\(HTTP 400, bad_data\\): `),
    );
    const scalar = await client.instant('scalar(vector(1))').catch((e: unknown) => e);
    expect((scalar as Error).message).toBe(
      `The metrics endpoint ${env.PROMETHEUS_URL} answered a scalar, not an instant vector.`,
    );
    for (const e of [bad, scalar]) {
      expect(String((e as Error).message)).not.toContain('tok-3x4mpl3');
      expect(String((e as Error).message)).not.toContain('url-password');
    }
  });

  it('reports a port nobody listens on as unreachable, within the timeout', async () => {
    const client = new PrometheusClient({ url: closed, timeoutMs: 2000 });
    await expect(client.instant('up')).rejects.toThrow(
      `The metrics endpoint ${closed} is unreachable: ECONNREFUSED.`,
    );
  });
});

describe('ClusterMesh remote clusters in health', () => {
  it('every infra agent reports apps ready: ok, per remote', async () => {
    const run = randomUUID();
    for (const node of AGENTS) await agentReports(run, node, 'apps', 1);
    const [status, ...lines] = await ciliumLines(
      metricsFor(run),
      'ok ClusterMesh remote apps: ready: 3/3 agents report it ready',
    );
    expect(status).toBe('ok');
    expect(lines.filter((l) => l.includes('ClusterMesh remote'))).toEqual([
      'ok ClusterMesh remote apps: ready: 3/3 agents report it ready',
    ]);
  });

  it('no agent reports apps ready: the cilium check fails; some: it warns', async () => {
    const run = randomUUID();
    for (const node of AGENTS) await agentReports(run, node, 'apps', 0);
    const [down] = await ciliumLines(
      metricsFor(run),
      'fail ClusterMesh remote apps: not ready: 0/3 agents report it ready',
    );
    expect(down).toBe('fail');
    await agentReports(run, 'infra-01', 'apps', 1);
    await agentReports(run, 'infra-02', 'apps', 1);
    const [partly] = await ciliumLines(
      metricsFor(run),
      'warn ClusterMesh remote apps: not ready: 2/3 agents report it ready',
    );
    expect(partly).toBe('warn');
  });

  it('metrics that do not answer make the remote status unknown, a warning, not a failure', async () => {
    const [status] = await ciliumLines(
      metricsFor(randomUUID(), closed),
      `warn ClusterMesh remote clusters: unknown, metrics unreachable: The metrics endpoint ${closed} is unreachable: ECONNREFUSED.`,
    );
    expect(status).toBe('warn');
  });

  it('without a metrics endpoint the report says the remote status is not known', async () => {
    const [status] = await ciliumLines(
      undefined,
      'ok ClusterMesh remote clusters: not known: no metrics endpoint is configured for this cluster (clusters[].metrics), and the Kubernetes API cannot tell',
    );
    expect(status).toBe('ok');
  });

  it('/ops mesh lists the remotes and the agents under Cilium ClusterMesh', async () => {
    const run = randomUUID();
    for (const node of AGENTS) await agentReports(run, node, 'apps', node === 'infra-03' ? 0 : 1);
    const health = engine(readers, { metrics: new Map([['infra', metricsFor(run)]]) });
    const message = await eventually('the remote in the mesh report', async () => {
      const m = renderMesh(await health.mesh());
      return m.text.includes('ClusterMesh remote apps') ? m : undefined;
    });
    const lines = message.text.split('\n');
    expect(lines.find((l) => l.startsWith('- infra: '))).toMatch(
      /^- infra: ok — clustermesh-apiserver 1\/1 ready, 1 endpoint\\\(s\\\); agents \d+\/\d+ ready$/,
    );
    expect(lines).toContain('  - **WARN** ClusterMesh remote apps: not ready: 2/3 agents report it ready');
    // apps has no metrics endpoint here: said, not guessed.
    expect(lines).toContain(
      '  - ok ClusterMesh remote clusters: not known: no metrics endpoint is configured for this cluster \\(clusters\\[\\].metrics\\), and the Kubernetes API cannot tell',
    );
    expect(message.severity).toBe('critical');
  });
});
