/**
 * Button callbacks. Adapters verify a callback's signature and hand over an ActionEvent; this
 * dispatcher finds the handler registered for its action id. The router's Confirm/Cancel/
 * Approve/Reject are registered here like any feature's buttons.
 */
import type { ActionEvent } from '../src/ports.js';

export type ActionHandler = (event: ActionEvent) => Promise<void>;

export class ActionRegistry {
  private readonly handlers = new Map<string, ActionHandler>();

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
}
