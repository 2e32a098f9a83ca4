/**
 * Audits a button click like a typed command: who, where, which action, its payload, the outcome
 * and how long it took. An audit write that fails is logged, never thrown: the click has happened.
 */
import type { Logger } from '../log.js';
import type { ActionEvent } from '../ports.js';
import type { AuditOutcome, Store } from '../store/store.js';

export interface ActionAudit {
  outcome: AuditOutcome;
  detail: string;
  startedAt: number;
  finishedAt: number;
}

export async function auditAction(
  store: Store,
  log: Logger,
  event: ActionEvent,
  audit: ActionAudit,
): Promise<void> {
  await store
    .appendAudit({
      at: audit.startedAt,
      requestId: event.requestId,
      platform: event.platform,
      userId: event.user.id,
      username: event.user.username,
      channelId: event.channel.id,
      channelName: event.channel.name,
      command: `button ${event.action}`,
      args: event.payload,
      outcome: audit.outcome,
      detail: audit.detail,
      durationMs: audit.finishedAt - audit.startedAt,
    })
    .catch((error: unknown) => log.error({ err: error, requestId: event.requestId }, 'audit write failed'));
}
