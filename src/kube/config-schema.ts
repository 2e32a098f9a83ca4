/**
 * Config keys of the clusters coxswain reads (and, as the operator account, writes), owned here
 * beside the cluster access: health, workloads, drills, phases and leader election all use them.
 * src/config/schema.ts composes this.
 */
import { z } from 'zod';
import { metricsEndpointSchema } from '../prometheus/config-schema.js';

const name = () =>
  z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: 'must be a Kubernetes name like infra' });

const cluster = z
  .strictObject({
    // How coxswain (and the reports) call the cluster.
    name: name(),
    // A kubeconfig file with the bot's read-only credentials for this cluster...
    kubeconfig: z.string().min(1).optional(),
    // ...and the context in it (unset: the file's current context).
    context: z.string().min(1).optional(),
    // The cluster the bot runs in: the pod's service account.
    inCluster: z.boolean().default(false),
    // Where this cluster's metrics are (Prometheus or VictoriaMetrics): what the Kubernetes API
    // cannot show, e.g. Cilium ClusterMesh's remote-cluster readiness as the agents report it.
    metrics: metricsEndpointSchema.optional(),
  })
  .refine((c) => c.inCluster !== (c.kubeconfig !== undefined), {
    error: 'set either kubeconfig (and context) or inCluster: true',
  });

export const clustersSchema = z
  .array(cluster)
  .default([])
  .refine((list) => new Set(list.map((c) => c.name)).size === list.length, { error: 'names must be unique' });

export type ClusterConfig = z.infer<typeof cluster>;
