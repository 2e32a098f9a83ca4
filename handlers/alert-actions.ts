/**
 * The buttons on an alert post: Silence 1h/4h, Silence… (a form: duration, matchers, comment)
 * and Acknowledge (Runbook is a plain link; Open incident belongs to the incidents feature,
 * src/incidents/feature.ts). Each runs as the person who clicked, who must hold the operator
 * role under the same role resolver the router uses; so does the form's submission, checked
 * again as the person who submits. Every click and submission, allowed or not, is audited.
 */

import type { AlertmanagerDirectory } from '../src/alerts/alertmanager-api.js';
import type { AlertDelivery } from '../src/alerts/delivery.js';
import { groupLabelsForRouting } from '../src/alerts/group.js';
import { formatMatchers, type Matcher } from '../src/alerts/matchers.js';
import { ALERT_ACTIONS } from '../src/alerts/render.js';
import {
  groupMatchers,
  readSilenceForm,
  SILENCE_DIALOG_ACTION,
  silenceCommand,
  silenceDialog,
} from '../src/alerts/silence-dialog.js';
import { auditAction } from '../src/audit/audit-action.js';
import { allows } from '../src/auth/permissions.js';
import { parseDuration } from '../src/duration.js';
import type { FeatureContext } from '../src/feature.js';
import type { ActionEvent, DialogAnswer } from '../src/ports.js';
import type { AuditOutcome } from '../src/store/store.js';
import { escapeChat, inlineCode } from '../src/text/escape.js';
import { formatTime } from '../src/text/time.js';

export interface AlertActionDeps {
  delivery: AlertDelivery;
  alertmanagers: AlertmanagerDirectory;
  now: () => number;
}

/** How long a `Silence…` form may stay open before its submission is refused. */
const DIALOG_TTL_MS = 30 * 60_000;

function roleRefusal(role: string | undefined): string {
  return `The alert buttons need the operator role, and you have ${role ? `the ${role} role` : 'no role'}; ask an admin to bind you to operator in auth.bindings.`;
}

export function registerAlertActions(ctx: FeatureContext, deps: AlertActionDeps): void {
  const say = (event: ActionEvent, text: string) => event.responder.reply({ text }, 'ephemeral');

  const audit = (event: ActionEvent, outcome: AuditOutcome, detail: string, startedAt: number) =>
    auditAction(ctx.store, ctx.log, event, { outcome, detail, startedAt, finishedAt: deps.now() });

  /** Runs a button as its clicker, if they may. */
  const guarded = (work: (event: ActionEvent) => Promise<{ outcome: AuditOutcome; detail: string }>) => {
    return async (event: ActionEvent) => {
      const startedAt = deps.now();
      const role = ctx.services.roles?.roleOf(event.user, event.channel);
      if (!allows(role, 'alert:act')) {
        await say(event, roleRefusal(role));
        await audit(event, 'denied', `role ${role ?? 'none'}`, startedAt);
        return;
      }
      try {
        const { outcome, detail } = await work(event);
        await audit(event, outcome, detail, startedAt);
      } catch (error) {
        await audit(event, 'error', error instanceof Error ? error.message : String(error), startedAt);
        throw error;
      }
    };
  };

  ctx.registerAction(
    ALERT_ACTIONS.silence,
    guarded(async (event) => {
      const groupKey = event.payload.group ?? '';
      const forMs = parseDuration(event.payload.for ?? '');
      const group = await deps.delivery.group(groupKey);
      if (!group || forMs === undefined) {
        await say(event, 'That alert group is no longer known to coxswain; silence it with `silence add`.');
        return { outcome: 'invalid', detail: 'unknown group' };
      }
      const am = deps.alertmanagers.forExternalUrl(group.externalURL);
      if (!am) {
        await say(
          event,
          'No Alertmanager is configured, so coxswain cannot silence; add one under `alertmanagers:`.',
        );
        return { outcome: 'unavailable', detail: 'no alertmanager' };
      }
      const matchers: Matcher[] = Object.entries(groupLabelsForRouting(group)).map(([name, value]) => ({
        name,
        type: '=',
        value,
      }));
      if (matchers.length === 0) {
        await say(
          event,
          'This alert group has no common labels to silence on; use `silence add` with matchers.',
        );
        return { outcome: 'invalid', detail: 'no labels' };
      }
      const now = deps.now();
      const until = now + forMs;
      const id = await am.createSilence({
        matchers,
        startsAt: now,
        endsAt: until,
        createdBy: event.user.username,
        comment: `Silenced from chat by ${event.user.username} for ${event.payload.for}.`,
      });
      await deps.delivery.recordSilence(groupKey, {
        user: event.user.username,
        id,
        alertmanager: am.name,
        until,
        at: now,
      });
      await say(
        event,
        `Silenced until ${formatTime(until, ctx.config.timeZone)} in ${escapeChat(am.name)}: silence ${inlineCode(id)} on ${inlineCode(formatMatchers(matchers))}.`,
      );
      return { outcome: 'ok', detail: `silence ${id} in ${am.name}` };
    }),
  );

  ctx.registerAction(
    ALERT_ACTIONS.silenceForm,
    guarded(async (event) => {
      const groupKey = event.payload.group ?? '';
      const group = await deps.delivery.group(groupKey);
      if (!group) {
        await say(event, 'That alert group is no longer known to coxswain; silence it with `silence add`.');
        return { outcome: 'invalid', detail: 'unknown group' };
      }
      const am = deps.alertmanagers.forExternalUrl(group.externalURL);
      if (!am) {
        await say(
          event,
          'No Alertmanager is configured, so coxswain cannot silence; add one under `alertmanagers:`.',
        );
        return { outcome: 'unavailable', detail: 'no alertmanager' };
      }
      const labels = groupLabelsForRouting(group);
      const matchers = groupMatchers(labels);
      const dialogs = ctx.chat.dialogs;
      if (!dialogs || !event.trigger) {
        // The shell, Rocket.Chat: no forms, so the command that does the same, ready to edit.
        const command = silenceCommand({ command: ctx.config.command, matchers, alertmanager: am.name });
        await say(event, `This chat cannot show the silence form; edit and run:\n${inlineCode(command)}`);
        return { outcome: 'ok', detail: 'no dialogs: offered silence add' };
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

  ctx.registerDialog(SILENCE_DIALOG_ACTION, async (submission) => {
    const startedAt = deps.now();
    // The audit shows what was submitted beside what the form carried.
    const audited = { ...submission, payload: { ...submission.payload, ...submission.values } };
    const done = async (outcome: AuditOutcome, detail: string, answer?: DialogAnswer) => {
      await audit(audited, outcome, detail, startedAt);
      return answer;
    };
    const role = ctx.services.roles?.roleOf(submission.user, submission.channel);
    if (!allows(role, 'alert:act'))
      return done('denied', `role ${role ?? 'none'}`, { error: roleRefusal(role) });
    const form = readSilenceForm(submission.values);
    if ('errors' in form) return done('invalid', Object.keys(form.errors).join(', '), form);
    const groupKey = submission.payload.group ?? '';
    const group = await deps.delivery.group(groupKey);
    if (!group)
      return done('invalid', 'unknown group', {
        error: 'That alert group is no longer known to coxswain; silence it with silence add.',
      });
    const am = deps.alertmanagers.forExternalUrl(group.externalURL);
    if (!am)
      return done('unavailable', 'no alertmanager', {
        error: 'No Alertmanager is configured, so coxswain cannot silence; add one under alertmanagers:.',
      });
    const now = deps.now();
    const until = now + form.forMs;
    let id: string;
    try {
      id = await am.createSilence({
        matchers: form.matchers,
        startsAt: now,
        endsAt: until,
        createdBy: submission.user.username,
        comment: form.comment,
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return done('error', why, { error: `${am.name} did not take the silence: ${why}`.slice(0, 500) });
    }
    await deps.delivery.recordSilence(groupKey, {
      user: submission.user.username,
      id,
      alertmanager: am.name,
      until,
      at: now,
    });
    return done('ok', `silence ${id} in ${am.name} on ${formatMatchers(form.matchers)}`);
  });

  ctx.registerAction(
    ALERT_ACTIONS.acknowledge,
    guarded(async (event) => {
      const known = await deps.delivery.acknowledge(event.payload.group ?? '', event.user.username);
      if (!known) {
        await say(event, 'That alert group is no longer known to coxswain.');
        return { outcome: 'invalid', detail: 'unknown group' };
      }
      await say(event, 'Acknowledged: the post now shows you are on it.');
      return { outcome: 'ok', detail: 'acknowledged' };
    }),
  );
}
