/**
 * The buttons on an alert post: Silence 1h/4h, Silence… (a form: duration, matchers, comment)
 * and Acknowledge (Runbook is a plain link; Open incident belongs to the incidents feature,
 * src/incidents/actions.ts), and the form's submission. Each is a spec the router's action chain
 * runs as the person who clicked (or submitted), who needs the operator role (alert:act); the
 * chain refuses and audits, these only do the work.
 */
import { parseDuration } from '../duration.js';
import type { ActionEvent, ChatPort } from '../ports.js';
import type { ActionResult, ActionSpec, DialogSpec } from '../router/action-spec.js';
import { escapeChat, inlineCode } from '../text/escape.js';
import { formatTime } from '../text/time.js';
import type { AlertmanagerApi } from './alertmanager-api.js';
import type { AlertDelivery } from './delivery.js';
import { type GroupState, groupLabelsForRouting } from './group.js';
import { formatMatchers, type Matcher } from './matchers.js';
import { ALERT_ACTIONS } from './render.js';
import {
  groupMatchers,
  readSilenceForm,
  SILENCE_DIALOG_ACTION,
  silenceCommand,
  silenceDialog,
} from './silence-dialog.js';
import {
  groupAndAlertmanager,
  type SilenceGroupDeps,
  SilenceRefused,
  silenceGroup,
} from './silence-group.js';

export interface AlertActionDeps extends SilenceGroupDeps {
  delivery: AlertDelivery;
  chat: Pick<ChatPort, 'dialogs'>;
  config: { command: string; timeZone: string };
}

/** How long a `Silence…` form may stay open before its submission is refused. */
const DIALOG_TTL_MS = 30 * 60_000;

const SUBJECT = 'Acting on an alert post';

export function alertActions(deps: AlertActionDeps): { actions: ActionSpec[]; dialogs: DialogSpec[] } {
  return {
    actions: [silenceButton(deps), silenceFormButton(deps), acknowledgeButton(deps)],
    dialogs: [silenceFormSubmission(deps)],
  };
}

/** An answer only the clicker sees, and what the audit records. */
async function said(
  event: Parameters<ActionSpec['run']>[0],
  text: string,
  result: ActionResult,
): Promise<ActionResult> {
  await event.responder.reply({ text }, 'ephemeral');
  return result;
}

/** A button on an alert post: every one needs alert:act, and the chain audits it as acting on the post. */
function alertButton(action: string, run: ActionSpec['run']): ActionSpec {
  return { action, permission: 'alert:act', subject: SUBJECT, run };
}

/**
 * Runs `act` on the clicked post's group and the Alertmanager that holds it; where either is
 * gone, answers the clicker why and records it.
 */
async function onGroup(
  deps: AlertActionDeps,
  event: ActionEvent,
  act: (found: { group: GroupState; am: AlertmanagerApi }, groupKey: string) => Promise<ActionResult>,
): Promise<ActionResult> {
  const groupKey = event.payload.group ?? '';
  const found = await groupAndAlertmanager(deps, groupKey);
  if ('problem' in found) return said(event, found.problem.text, found.problem);
  return act(found, groupKey);
}

/** `Silence 1h`, `Silence 4h`: a silence on the group's common labels, for the button's duration. */
function silenceButton(deps: AlertActionDeps): ActionSpec {
  return alertButton(ALERT_ACTIONS.silence, async (event) => {
    const forMs = parseDuration(event.payload.for ?? '');
    if (forMs === undefined)
      return said(event, 'That alert group is no longer known to coxswain; silence it with `silence add`.', {
        outcome: 'invalid',
        detail: 'unknown group',
      });
    return onGroup(deps, event, async (found, groupKey) => {
      const matchers: Matcher[] = Object.entries(groupLabelsForRouting(found.group)).map(([name, value]) => ({
        name,
        type: '=',
        value,
      }));
      if (matchers.length === 0)
        return said(
          event,
          'This alert group has no common labels to silence on; use `silence add` with matchers.',
          { outcome: 'invalid', detail: 'no labels' },
        );
      const { am } = found;
      const { id, until } = await silenceGroup(
        deps,
        { groupKey, am },
        {
          matchers,
          forMs,
          user: event.user.username,
          comment: `Silenced from chat by ${event.user.username} for ${event.payload.for}.`,
        },
      );
      return said(
        event,
        `Silenced until ${formatTime(until, deps.config.timeZone)} in ${escapeChat(am.name)}: silence ${inlineCode(id)} on ${inlineCode(formatMatchers(matchers))}.`,
        { outcome: 'ok', detail: `silence ${id} in ${am.name}` },
      );
    });
  });
}

/** `Silence…`: opens the form, or where the chat has none, offers the equivalent command. */
function silenceFormButton(deps: AlertActionDeps): ActionSpec {
  return alertButton(ALERT_ACTIONS.silenceForm, (event) =>
    onGroup(deps, event, async (found, groupKey) => {
      const { am } = found;
      const labels = groupLabelsForRouting(found.group);
      const matchers = groupMatchers(labels);
      const dialogs = deps.chat.dialogs;
      if (!dialogs || !event.trigger) {
        // The shell, Rocket.Chat: no forms, so the command that does the same, ready to edit.
        const command = silenceCommand({ command: deps.config.command, matchers, alertmanager: am.name });
        return said(event, `This chat cannot show the silence form; edit and run:\n${inlineCode(command)}`, {
          outcome: 'ok',
          detail: 'no dialogs: offered silence add',
        });
      }
      await dialogs.open(
        event.trigger,
        silenceDialog({
          groupKey,
          alertname: labels.alertname ?? 'this alert',
          matchers,
          alertmanager: am.name,
          expiresAt: deps.now() + DIALOG_TTL_MS,
        }),
      );
      return { outcome: 'ok', detail: 'silence form opened' };
    }),
  );
}

/** The `Silence…` form's submission, checked field by field; answers stay in the form. */
function silenceFormSubmission(deps: AlertActionDeps): DialogSpec {
  return {
    action: SILENCE_DIALOG_ACTION,
    permission: 'alert:act',
    subject: SUBJECT,
    async run(submission) {
      const form = readSilenceForm(submission.values);
      if ('errors' in form)
        return { outcome: 'invalid', detail: Object.keys(form.errors).join(', '), answer: form };
      const groupKey = submission.payload.group ?? '';
      const found = await groupAndAlertmanager(deps, groupKey);
      // A form shows plain text: the problem without its markdown.
      if ('problem' in found)
        return { ...found.problem, answer: { error: found.problem.text.replaceAll('`', '') } };
      const { am } = found;
      try {
        const { id } = await silenceGroup(
          deps,
          { groupKey, am },
          {
            matchers: form.matchers,
            forMs: form.forMs,
            user: submission.user.username,
            comment: form.comment,
          },
        );
        return { outcome: 'ok', detail: `silence ${id} in ${am.name} on ${formatMatchers(form.matchers)}` };
      } catch (error) {
        if (!(error instanceof SilenceRefused)) throw error;
        return {
          outcome: 'error',
          detail: error.message,
          answer: { error: `${am.name} did not take the silence: ${error.message}`.slice(0, 500) },
        };
      }
    },
  };
}

/** `Acknowledge`: records that the clicker is on it; the post shows it. */
function acknowledgeButton(deps: AlertActionDeps): ActionSpec {
  return alertButton(ALERT_ACTIONS.acknowledge, async (event) => {
    const known = await deps.delivery.acknowledge(event.payload.group ?? '', event.user.username);
    if (!known)
      return said(event, 'That alert group is no longer known to coxswain.', {
        outcome: 'invalid',
        detail: 'unknown group',
      });
    return said(event, 'Acknowledged: the post now shows you are on it.', {
      outcome: 'ok',
      detail: 'acknowledged',
    });
  });
}
