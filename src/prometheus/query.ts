/**
 * What coxswain needs from a Prometheus-compatible metrics store (HTTP API v1, which
 * VictoriaMetrics serves too): instant queries. adapters/prometheus/client.ts implements it, so
 * health and the drills do not import the adapter.
 */
import { formatLabelMatcher, type LabelMatcher } from './matchers.js';

/** One series of an instant vector: its labels and its value at the evaluation time. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusQuery {
  /** Where the store is (no credentials in it), for messages. */
  readonly url: string;
  /** `GET /api/v1/query?query=…`: the instant vector; rejects (PrometheusError) when there is no usable answer. */
  instant(query: string): Promise<Sample[]>;
}

/** No answer, or not one coxswain can read: the message says which and never carries a token. */
export class PrometheusError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

/** A cluster's metrics: the store and the matchers that pick its series out of a shared one. */
export interface ClusterMetrics {
  query: PrometheusQuery;
  matchers: readonly LabelMatcher[];
}

/** `metric{a="b", …}` with the cluster's matchers and the extra ones, as PromQL. */
export function selector(metric: string, ...matcherLists: (readonly LabelMatcher[])[]): string {
  const all = matcherLists.flat();
  return all.length ? `${metric}{${all.map(formatLabelMatcher).join(', ')}}` : metric;
}
