/**
 * Alertmanager's webhook payload (version 4), as its `notify/webhook` sends it. Unknown extra
 * keys are allowed (Alertmanager adds some over time); missing or mistyped ones are a 400.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

const labelSet = z.record(z.string(), z.string());

export const webhookAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.string(),
  endsAt: z.string().default('0001-01-01T00:00:00Z'),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1),
});

export const webhookPayloadSchema = z.object({
  version: z.literal('4', { error: 'only webhook payload version 4 is understood' }),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(webhookAlertSchema).max(10_000),
});

export type WebhookAlert = z.infer<typeof webhookAlertSchema>;
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** What one outbox row carries: one alert and the group it arrived in. */
export interface OutboxAlert {
  groupKey: string;
  receiver: string;
  /** The receiver named in the hook path (`/hooks/alertmanager/:receiver`), if any. */
  pathReceiver?: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alert: WebhookAlert;
}

/**
 * A retried (or repeated) webhook maps to the same key, so the outbox stores it once. The start
 * time is part of it because an alert that resolves and later fires again keeps its fingerprint:
 * without it, the second firing would be taken for a retry of the first.
 */
export function dedupeKey(
  groupKey: string,
  alert: Pick<WebhookAlert, 'fingerprint' | 'status' | 'startsAt'>,
): string {
  // Hashed: PostgreSQL's TEXT cannot hold the NUL separators (nor a NUL inside a group key), and
  // a fixed length keeps the unique index small.
  return createHash('sha256')
    .update(`${groupKey}\u0000${alert.fingerprint}\u0000${alert.status}\u0000${alert.startsAt}`)
    .digest('base64url');
}
