/**
 * Button callbacks and dialog submissions. Adapters verify a callback's signature (a dialog's
 * signed state) and hand over an ActionEvent (a DialogSubmission); this dispatcher finds the
 * handler registered for its action id. The router's Confirm/Cancel/Approve/Reject are
 * registered here like any feature's buttons.
 */
import type { ActionEvent, DialogAnswer, DialogSubmission } from '../src/ports.js';

export type ActionHandler = (event: ActionEvent) => Promise<void>;
export type DialogHandler = (submission: DialogSubmission) => Promise<DialogAnswer | undefined>;

export class ActionRegistry {
  private readonly handlers = new Map<string, ActionHandler>();
  private readonly dialogs = new Map<string, DialogHandler>();

  register(action: string, handler: ActionHandler): void {
    if (this.handlers.has(action)) throw new Error(`action ${action} is registered twice`);
    this.handlers.set(action, handler);
  }

  async dispatch(event: ActionEvent): Promise<void> {
    const handler = this.handlers.get(event.action);
    if (!handler) {
      await event.responder.reply(
        { text: 'That button no longer does anything in this version of coxswain.' },
        'ephemeral',
      );
      return;
    }
    await handler(event);
  }

  registerDialog(action: string, handler: DialogHandler): void {
    if (this.dialogs.has(action)) throw new Error(`dialog ${action} is registered twice`);
    this.dialogs.set(action, handler);
  }

  async submit(submission: DialogSubmission): Promise<DialogAnswer | undefined> {
    const handler = this.dialogs.get(submission.action);
    if (!handler) return { error: 'This form no longer does anything in this version of coxswain.' };
    return handler(submission);
  }
}
