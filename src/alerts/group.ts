/**
 * The merged state of one Alertmanager group: every alert seen in it (by fingerprint, latest
 * status wins), who acknowledged or silenced it, and what its posts last announced. Stored in
 * the alert_groups table so a restart renders the same post.
 */
import type { OutboxAlert, WebhookAlert } from './payload.js';

export interface GroupAck {
  user: string;
  at: number;
}

export interface GroupSilence {
  user: string;
  id: string;
  alertmanager: string;
  until: number;
  at: number;
}

export interface GroupState {
  groupKey: string;
  receiver: string;
  externalURL: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  alerts: Record<string, WebhookAlert>;
  acks: GroupAck[];
  silences: GroupSilence[];
  /** The status the posts' threads were last told about; drives "resolved after ...". */
  announced?: 'firing' | 'resolved';
  /** Channels (ids) where this group was folded into a storm summary instead of posted. */
  folded: string[];
  /**
   * Channels (ids) whose post shows an older state: its update was held back during a storm so
   * that new groups and the summary go first. Refreshed once the outbox has no backlog.
   */
  stale?: string[];
  /** When the first of those updates was held back: the oldest stale group is refreshed first. */
  staleSince?: number;
}

export function newGroup(first: OutboxAlert): GroupState {
  return {
    groupKey: first.groupKey,
    receiver: first.receiver,
    externalURL: first.externalURL,
    groupLabels: first.groupLabels,
    commonLabels: first.commonLabels,
    commonAnnotations: first.commonAnnotations,
    alerts: {},
    acks: [],
    silences: [],
    folded: [],
  };
}

/** Folds one outbox row into the group. Rows arrive oldest first. */
export function mergeAlert(group: GroupState, item: OutboxAlert): void {
  group.receiver = item.receiver;
  if (item.externalURL) group.externalURL = item.externalURL;
  group.groupLabels = item.groupLabels;
  group.commonLabels = item.commonLabels;
  group.commonAnnotations = item.commonAnnotations;
  const fingerprint = item.alert.fingerprint;
  // Own keys only: a fingerprint such as `toString` or `__proto__` is a key like any other.
  const known = Object.hasOwn(group.alerts, fingerprint) ? group.alerts[fingerprint] : undefined;
  // A stale "firing" for the same episode must not undo its resolution.
  if (
    known &&
    known.status === 'resolved' &&
    item.alert.status === 'firing' &&
    known.startsAt === item.alert.startsAt
  )
    return;
  // Defined, not assigned: assigning to `__proto__` would replace the object's prototype and lose the alert.
  Object.defineProperty(group.alerts, fingerprint, {
    value: item.alert,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

export function groupStatus(group: GroupState): 'firing' | 'resolved' {
  return Object.values(group.alerts).some((a) => a.status === 'firing') ? 'firing' : 'resolved';
}

/** When the earliest alert of the group started firing (epoch ms). */
export function groupStartedAt(group: GroupState): number | undefined {
  const starts = Object.values(group.alerts)
    .map((a) => Date.parse(a.startsAt))
    .filter((t) => Number.isFinite(t) && t > 0);
  return starts.length > 0 ? Math.min(...starts) : undefined;
}

/** When the last alert of a resolved group ended (epoch ms). */
export function groupEndedAt(group: GroupState): number | undefined {
  const ends = Object.values(group.alerts)
    .map((a) => Date.parse(a.endsAt))
    .filter((t) => Number.isFinite(t) && t > 0);
  return ends.length > 0 ? Math.max(...ends) : undefined;
}

/** The labels routing and silences look at: what all alerts of the group share. */
export function groupLabelsForRouting(group: GroupState): Record<string, string> {
  const alerts = Object.values(group.alerts);
  if (Object.keys(group.commonLabels).length > 0) return group.commonLabels;
  if (alerts.length === 1) return (alerts[0] as WebhookAlert).labels;
  return group.groupLabels;
}
