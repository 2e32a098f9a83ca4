/**
 * Config key of a cluster's metrics endpoint (`clusters[].metrics`): a Prometheus, or a
 * VictoriaMetrics that serves the same HTTP API v1, holding that cluster's metrics. Health reads
 * what the Kubernetes API cannot show from it (Cilium ClusterMesh's remote-cluster readiness, as
 * the agents report it), and the clustermesh-resilience drill watches the same metric.
 * src/kube/config-schema.ts puts it on each cluster.
 */
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { parseLabelMatchers } from './matchers.js';

const duration = () =>
  z.string().refine((value) => parseDuration(value) !== undefined, {
    error: 'must be a duration like 90s, 2m, 1h or 1h30m',
  });

export const metricsEndpointSchema = z.strictObject({
  // The base URL; coxswain appends /api/v1/query (VictoriaMetrics single: http://vm:8428;
  // a cluster's vmselect: http://vmselect:8481/select/0/prometheus).
  url: z
    .url({ error: 'must be a URL like http://vmsingle.monitoring.svc:8428' })
    .refine((value) => /^https?:\/\//.test(value), {
      error: 'must be an http:// or https:// URL (the Prometheus HTTP API)',
    }),
  // Sent as `Authorization: Bearer …` (write bearerTokenFile: /path, as for every secret). Never logged.
  bearerToken: z.string().min(1, { error: 'must not be empty' }).optional(),
  // Longest wait for one query; a slower answer counts as "metrics unreachable".
  timeout: duration().default('5s'),
  // When one store holds several clusters: the label matchers that select this cluster's series,
  // e.g. cluster="apps". Unset: every series the endpoint has is this cluster's.
  matchers: z
    .string()
    .refine((value) => parseLabelMatchers(value) !== undefined, {
      error: 'must be label matchers like cluster="apps" or cluster=~"apps|apps-.*"',
    })
    .optional(),
});

export type MetricsEndpointConfig = z.infer<typeof metricsEndpointSchema>;
