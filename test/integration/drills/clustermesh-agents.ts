/**
 * The apps cluster's Cilium agents as the clustermesh-resilience tests simulate them (no Cilium
 * agent can run under kwok): their `cilium_clustermesh_remote_cluster_readiness_status
 * {target_cluster="infra"}` gauges, set on the stack's test exporter and read back through the
 * real Prometheus. Each test labels its series with a fresh `run` (the exporter cannot forget a
 * series), and gives apps a metrics endpoint whose matchers (`run="<run>"`) pick only those.
 */
import type { StackEnv } from '../../stack/env.js';
import { waitFor } from './helpers.js';

export const METRIC = 'cilium_clustermesh_remote_cluster_readiness_status';
export const APPS_AGENTS = ['apps-01', 'apps-02', 'apps-03'];

/** Sets every simulated apps agent's view of infra: 1 ready, 0 not ready. */
export async function setAgents(env: StackEnv, run: string, value: 0 | 1): Promise<void> {
  for (const node of APPS_AGENTS) {
    const labels = `target_cluster=infra,source_node_name=${node},run=${run}`;
    const response = await fetch(
      `${env.EXPORTER_URL}/metric?name=${METRIC}&value=${value}&labels=${encodeURIComponent(labels)}`,
      { method: 'POST' },
    );
    if (response.status !== 200) throw new Error(`exporter: ${response.status}`);
  }
}

/** Waits until Prometheus has scraped this run's gauges at `value`. */
export async function scraped(env: StackEnv, run: string, value: 0 | 1): Promise<void> {
  await waitFor(`Prometheus to have the run's gauges at ${value}`, async () => {
    const query = encodeURIComponent(`${METRIC}{run="${run}"}`);
    const answer = (await (await fetch(`${env.PROMETHEUS_URL}/api/v1/query?query=${query}`)).json()) as {
      data: { result: { value: [number, string] }[] };
    };
    const values = answer.data.result.map((r) => r.value[1]);
    return values.length === APPS_AGENTS.length && values.every((v) => v === String(value))
      ? true
      : undefined;
  });
}
