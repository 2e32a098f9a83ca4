/**
 * Config keys of phases and drills (issue 8), under `operations:`. Documented in
 * deploy/examples/coxswain.yaml under `phases and drills`. The clusters are the `clusters:` list.
 */
import { z } from 'zod';
import { parseDuration } from '../duration.js';

const duration = () =>
  z.string().refine((value) => parseDuration(value) !== undefined, {
    error: 'must be a duration like 2s or 1m',
  });
const name = () =>
  z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: 'must be a Kubernetes name' });

const engine = () =>
  z
    .strictObject({
      // A YAML file replacing the shipped definitions (src/phases/phases.yaml, src/drills/drills.yaml).
      definitions: z.string().min(1).optional(),
      // How often a running phase or drill re-reads the cluster and advances.
      interval: duration().default('2s'),
    })
    .prefault({});

export const operationsSchema = z
  .strictObject({
    // The service account every write impersonates; the bot's own account only reads.
    operator: z
      .strictObject({
        namespace: name().default('coxswain'),
        serviceAccount: name().default('coxswain-operator'),
        // The impersonation extra that carries the chat user into the Kubernetes audit log.
        chatUserExtra: z
          .string()
          .regex(/^[a-z0-9.-]+\/[a-z0-9-]+$/, { error: 'must look like coxswain.dev/chat-user' })
          .default('coxswain.dev/chat-user'),
      })
      .prefault({}),
    phases: engine(),
    drills: engine(),
  })
  .prefault({});

export type OperationsConfig = z.infer<typeof operationsSchema>;
