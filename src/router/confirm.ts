/**
 * Confirmation and approval of dangerous commands. The invoker gets a Confirm/Cancel pair that
 * only they can use, once, before it expires; where the command's group needs approval, a
 * second person holding the command's role must then approve. Only then is the command text
 * replayed through the whole chain again (so a role revoked meanwhile still stops it).
 */
import { randomBytes } from 'node:crypto';
import { allows, requiredRole } from '../auth/permissions.js';
import type { ActionEvent, Invocation } from '../ports.js';
import type { Confirmation } from '../store/store.js';
import { inlineCode } from '../text/escape.js';
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

/** Handles the four buttons. Each decision is audited like a command. */
export async function onConfirmAction(deps: ConfirmDeps, event: ActionEvent): Promise<void> {
  const id = event.payload.id ?? '';
  const confirmation = await deps.store.getConfirmation(id);
  const say = (text: string) => event.responder.reply({ text }, 'ephemeral');
  if (!confirmation || confirmation.platform !== event.platform) {
    await say('That request is unknown here; run the command again.');
    return;
  }
  const isConfirm = event.action === CONFIRM_ACTIONS.confirm || event.action === CONFIRM_ACTIONS.cancel;
  if (isConfirm !== (confirmation.kind === 'confirm')) {
    await say('That button does not belong to this request.');
    return;
  }
  const requester = confirmation.userId === event.user.id;
  if (confirmation.kind === 'confirm' && !requester) {
    await say(`Only @${confirmation.username}, who ran the command, can confirm or cancel it.`);
    return;
  }
  if (confirmation.kind === 'approve' && event.action === CONFIRM_ACTIONS.approve) {
    if (requester) {
      await say('You cannot approve your own command; someone else must.');
      return;
    }
    const problem = approverProblem(deps, event, confirmation);
    if (problem) {
      await say(problem);
      return;
    }
  }
  const to =
    event.action === CONFIRM_ACTIONS.cancel
      ? 'cancelled'
      : event.action === CONFIRM_ACTIONS.reject
        ? 'rejected'
        : 'done';
  const decided = await deps.store.decideConfirmation(confirmation.id, to, event.user.username, deps.now());
  if (!decided) {
    const expired = confirmation.state === 'pending' && confirmation.expiresAt <= deps.now();
    await say(
      expired
        ? 'That request has expired; run the command again.'
        : `That request was already ${confirmation.state === 'done' ? 'used' : confirmation.state}.`,
    );
    return;
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
  if (to !== 'done') {
    await say(`${to === 'cancelled' ? 'Cancelled' : 'Rejected'}: ${command}. Nothing was done.`);
    return;
  }
  const invocation: Invocation = {
    platform: confirmation.platform,
    user: { id: confirmation.userId, username: confirmation.username, groups: confirmation.userGroups },
    channel: { id: confirmation.channelId, name: confirmation.channelName },
    text: confirmation.text,
    requestId: event.requestId,
    responder: event.responder,
  };
  await deps.replay(invocation, isConfirm ? {} : { approvedBy: event.user.username });
}

/** The approver must hold the role the command itself needs. */
function approverProblem(
  deps: ConfirmDeps,
  event: ActionEvent,
  confirmation: Confirmation,
): string | undefined {
  const tokens = tokenize(confirmation.text);
  if ('error' in tokens) return 'That request can no longer be read; run the command again.';
  const resolution = resolveCommand(deps.groups(), tokens.words);
  if (resolution.kind !== 'found') return 'That command no longer exists.';
  const role = deps.roles.roleOf(event.user, event.channel);
  if (allows(role, resolution.spec.permission)) return undefined;
  return `Approving needs the ${requiredRole(resolution.spec.permission)} role; you have ${role ? `the ${role} role` : 'no role'}.`;
}

export function isConfirmAction(action: string): boolean {
  return (Object.values(CONFIRM_ACTIONS) as string[]).includes(action);
}

export { answer };
