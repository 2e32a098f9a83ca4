/**
 * The one road from an alert post to a silence, shared by the `Silence 1h/4h` buttons, the
 * `Silence…` button and the form's submission: find the group the post shows, pick the
 * Alertmanager it came from, create the silence as the person, and record it on the group so the
 * post shows who silenced it until when.
 */
import type { ActionResult } from '../router/action-spec.js';
import type { AlertmanagerApi, AlertmanagerDirectory } from './alertmanager-api.js';
import type { AlertDelivery } from './delivery.js';
import type { GroupState } from './group.js';
import type { Matcher } from './matchers.js';

export interface SilenceGroupDeps {
  delivery: Pick<AlertDelivery, 'group' | 'recordSilence'>;
  alertmanagers: AlertmanagerDirectory;
  now: () => number;
}

/** Why a button cannot act: what the audit records and the sentence (markdown) for the person. */
export interface GroupProblem extends ActionResult {
  text: string;
}

/** The group the post shows and the Alertmanager it came from, or why not. */
export async function groupAndAlertmanager(
  deps: SilenceGroupDeps,
  groupKey: string,
): Promise<{ group: GroupState; am: AlertmanagerApi } | { problem: GroupProblem }> {
  const group = await deps.delivery.group(groupKey);
  if (!group)
    return {
      problem: {
        outcome: 'invalid',
        detail: 'unknown group',
        text: 'That alert group is no longer known to coxswain; silence it with `silence add`.',
      },
    };
  const am = deps.alertmanagers.forExternalUrl(group.externalURL);
  if (!am)
    return {
      problem: {
        outcome: 'unavailable',
        detail: 'no alertmanager',
        text: 'No Alertmanager is configured, so coxswain cannot silence; add one under `alertmanagers:`.',
      },
    };
  return { group, am };
}

/** Alertmanager refused or could not be reached; nothing was recorded. */
export class SilenceRefused extends Error {}

/** Creates the silence in `am` as `user` from now for `forMs`, and records it on the group. */
export async function silenceGroup(
  deps: SilenceGroupDeps,
  target: { groupKey: string; am: AlertmanagerApi },
  silence: { matchers: Matcher[]; forMs: number; user: string; comment: string },
): Promise<{ id: string; until: number }> {
  const { am } = target;
  const now = deps.now();
  const until = now + silence.forMs;
  let id: string;
  try {
    id = await am.createSilence({
      matchers: silence.matchers,
      startsAt: now,
      endsAt: until,
      createdBy: silence.user,
      comment: silence.comment,
    });
  } catch (error) {
    throw new SilenceRefused(error instanceof Error ? error.message : String(error), { cause: error });
  }
  await deps.delivery.recordSilence(target.groupKey, {
    user: silence.user,
    id,
    alertmanager: am.name,
    until,
    at: now,
  });
  return { id, until };
}
