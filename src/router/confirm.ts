/**
 * Confirmation and approval of dangerous commands. The invoker gets a Confirm/Cancel pair that
 * only they can use, once, before it expires; where the command's group needs approval, a
 * second person holding the command's role must then approve. Only then is the command text
 * replayed through the whole chain again (so a role revoked meanwhile still stops it).
 */
import { randomBytes } from 'node:crypto';
import { type Permission, requiredRole } from '../auth/permissions.js';
import type { ActionEvent, Invocation } from '../ports.js';
import type { Confirmation } from '../store/store.js';
import { inlineCode } from '../text/escape.js';
import type { ActionResult, ActionSpec } from './action-spec.js';
import type { Dispatch, Middleware } from './dispatch.js';
import { answer, type MiddlewareDeps } from './middleware.js';
import { resolveCommand } from './resolve.js';
import { tokenize } from './tokenize.js';

export const CONFIRM_ACTIONS = {
  confirm: 'router.confirm',
  cancel: 'router.cancel',
  approve: 'router.approve',
  reject: 'router.reject',
} as const;

export interface ConfirmDeps extends MiddlewareDeps {
  confirmExpiryMs: number;
  approvalExpiryMs: number;
  /** Command groups (or `group command` paths) that need a second person's approval. */
  approvalsRequired: readonly string[];
  /** Re-enters the chain with a confirmed command. */
  replay(invocation: Invocation, confirmed: { approvedBy?: string }): Promise<void>;
}

export function confirm(deps: ConfirmDeps): Middleware {
  return async (d, next) => {
    const spec = d.spec!;
    const dangerous =
      typeof spec.dangerous === 'function' ? spec.dangerous(d.args ?? {}) : spec.dangerous === true;
    if (!dangerous) return next();
    if (!d.confirmed) return ask(deps, d, 'confirm');
    if (needsApproval(deps, d) && !d.confirmed.approvedBy) return ask(deps, d, 'approve');
    if (d.confirmed.approvedBy) d.detail = `approved by ${d.confirmed.approvedBy}`;
    return next();
  };
}

function needsApproval(deps: ConfirmDeps, d: Dispatch): boolean {
  return deps.approvalsRequired.includes(d.spec!.group) || deps.approvalsRequired.includes(d.command);
}

async function ask(deps: ConfirmDeps, d: Dispatch, kind: 'confirm' | 'approve'): Promise<void> {
  const now = deps.now();
  const expiryMs = kind === 'confirm' ? deps.confirmExpiryMs : deps.approvalExpiryMs;
  const { invocation } = d;
  const confirmation: Confirmation = {
    id: randomBytes(18).toString('base64url'),
    kind,
    platform: invocation.platform,
    userId: invocation.user.id,
    username: invocation.user.username,
    userGroups: invocation.user.groups,
    channelId: invocation.channel.id,
    channelName: invocation.channel.name,
    text: invocation.text,
    state: 'pending',
    createdAt: now,
    expiresAt: now + expiryMs,
  };
  await deps.store.createConfirmation(confirmation);
  const command = inlineCode(`${deps.trigger} ${invocation.text}`);
  const minutes = Math.max(1, Math.round(expiryMs / 60_000));
  const payload = { id: confirmation.id };
  if (kind === 'confirm') {
    d.outcome = 'awaiting-confirmation';
    await invocation.responder.reply(
      {
        title: 'Confirm a dangerous command',
        text: `Run ${command}? Only you can confirm, within ${minutes} min.`,
        severity: 'warning',
        buttons: [
          {
            label: 'Confirm',
            action: CONFIRM_ACTIONS.confirm,
            payload,
            style: 'danger',
            expiresAt: confirmation.expiresAt,
          },
          { label: 'Cancel', action: CONFIRM_ACTIONS.cancel, payload, expiresAt: confirmation.expiresAt },
        ],
      },
      'ephemeral',
    );
  } else {
    d.outcome = 'awaiting-approval';
    const role = requiredRole(d.spec!.permission);
    await invocation.responder.reply(
      {
        title: 'Approval needed',
        text: `@${invocation.user.username} asks to run ${command}. Someone else with the ${role} role must approve within ${minutes} min.`,
        severity: 'warning',
        buttons: [
          {
            label: 'Approve',
            action: CONFIRM_ACTIONS.approve,
            payload,
            style: 'danger',
            expiresAt: confirmation.expiresAt,
          },
          { label: 'Reject', action: CONFIRM_ACTIONS.reject, payload, expiresAt: confirmation.expiresAt },
        ],
      },
      'in_channel',
    );
  }
}

/**
 * The four buttons, as specs on the action chain, which audits each decision. Confirm, Cancel
 * and Reject need no role of their own (only the requester may confirm or cancel, and the replay
 * checks the command's role again); Approve needs the role the command itself needs.
 */
export function confirmActions(deps: ConfirmDeps): ActionSpec[] {
  const spec = (action: string, subject: string, permission: ActionSpec['permission']): ActionSpec => ({
    action,
    permission,
    subject,
    run: (event) => decide(deps, event),
  });
  return [
    spec(CONFIRM_ACTIONS.confirm, 'Confirming this command', 'help'),
    spec(CONFIRM_ACTIONS.cancel, 'Cancelling this command', 'help'),
    spec(CONFIRM_ACTIONS.approve, 'Approving this command', (event) => approvalPermission(deps, event)),
    spec(CONFIRM_ACTIONS.reject, 'Rejecting this command', 'help'),
  ];
}

/** Why this click may not decide this request, if it may not: said to the clicker and audited. */
function clickProblem(
  event: ActionEvent,
  confirmation: Confirmation,
): (ActionResult & { text: string }) | undefined {
  if (isConfirmClick(event) !== (confirmation.kind === 'confirm'))
    return {
      outcome: 'invalid',
      detail: 'button of another kind of request',
      text: 'That button does not belong to this request.',
    };
  const requester = confirmation.userId === event.user.id;
  if (confirmation.kind === 'confirm' && !requester)
    return {
      outcome: 'denied',
      detail: `not the requester ${confirmation.username}`,
      text: `Only @${confirmation.username}, who ran the command, can confirm or cancel it.`,
    };
  if (event.action === CONFIRM_ACTIONS.approve && requester)
    return {
      outcome: 'denied',
      detail: 'own request',
      text: 'You cannot approve your own command; someone else must.',
    };
  return undefined;
}

function isConfirmClick(event: ActionEvent): boolean {
  return event.action === CONFIRM_ACTIONS.confirm || event.action === CONFIRM_ACTIONS.cancel;
}

/** What each button does to a request; Confirm and Approve settle it as done. */
const DECISION: Readonly<Record<string, 'cancelled' | 'rejected'>> = {
  [CONFIRM_ACTIONS.cancel]: 'cancelled',
  [CONFIRM_ACTIONS.reject]: 'rejected',
};

/** One click on Confirm, Cancel, Approve or Reject: settles the request once, then replays it. */
async function decide(deps: ConfirmDeps, event: ActionEvent): Promise<ActionResult> {
  const say = async (text: string, result: ActionResult) => {
    await event.responder.reply({ text }, 'ephemeral');
    return result;
  };
  const confirmation = await deps.store.getConfirmation(event.payload.id ?? '');
  if (!confirmation || confirmation.platform !== event.platform)
    return say('That request is unknown here; run the command again.', {
      outcome: 'invalid',
      detail: 'unknown request',
    });
  const problem = clickProblem(event, confirmation);
  if (problem) {
    const { text, ...result } = problem;
    return say(text, result);
  }
  const isConfirm = isConfirmClick(event);
  const to: 'cancelled' | 'rejected' | 'done' = DECISION[event.action] ?? 'done';
  const decided = await deps.store.decideConfirmation(confirmation.id, to, event.user.username, deps.now());
  if (!decided) {
    const expired = confirmation.state === 'pending' && confirmation.expiresAt <= deps.now();
    return say(
      expired
        ? 'That request has expired; run the command again.'
        : `That request was already ${confirmation.state === 'done' ? 'used' : confirmation.state}.`,
      {
        outcome: expired ? 'expired' : 'invalid',
        detail: expired ? 'expired' : `already ${confirmation.state}`,
      },
    );
  }
  const command = inlineCode(`${deps.trigger} ${confirmation.text}`);
  if (event.post) {
    const verdict = {
      cancelled: 'Cancelled',
      rejected: 'Rejected',
      done: isConfirm ? 'Confirmed' : 'Approved',
    }[to];
    await event.responder
      .update(event.post, { text: `${verdict} by @${event.user.username}: ${command}` })
      .catch((error: unknown) => deps.log.warn({ err: error }, 'could not update the confirmation post'));
  }
  if (to !== 'done')
    return say(`${to === 'cancelled' ? 'Cancelled' : 'Rejected'}: ${command}. Nothing was done.`, {
      outcome: 'cancelled',
      detail: `${to} ${confirmation.text.slice(0, 200)}`,
    });
  // The replay goes through the whole command chain, which audits the command itself.
  await deps.replay(
    requestersInvocation(confirmation, event),
    isConfirm ? {} : { approvedBy: event.user.username },
  );
  return {
    outcome: 'ok',
    detail: `${isConfirm ? 'confirmed' : 'approved'} ${confirmation.text.slice(0, 200)}`,
  };
}

/** The command as its requester typed it, answered where the deciding click came from. */
function requestersInvocation(confirmation: Confirmation, event: ActionEvent): Invocation {
  return {
    platform: confirmation.platform,
    user: { id: confirmation.userId, username: confirmation.username, groups: confirmation.userGroups },
    channel: { id: confirmation.channelId, name: confirmation.channelName },
    text: confirmation.text,
    requestId: event.requestId,
    responder: event.responder,
  };
}

/**
 * The approver must hold the role the command itself needs. A request that cannot be read asks
 * for no role here: decide() answers why it cannot go on.
 */
async function approvalPermission(deps: ConfirmDeps, event: ActionEvent): Promise<Permission> {
  const confirmation = await deps.store.getConfirmation(event.payload.id ?? '');
  if (confirmation?.kind !== 'approve') return 'help';
  const tokens = tokenize(confirmation.text);
  if ('error' in tokens) return 'help';
  const resolution = resolveCommand(deps.groups(), tokens.words);
  return resolution.kind === 'found' ? resolution.spec.permission : 'help';
}

export function isConfirmAction(action: string): boolean {
  return (Object.values(CONFIRM_ACTIONS) as string[]).includes(action);
}

export { answer };
