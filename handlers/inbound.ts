/**
 * What every chat adapter calls. Tracks work in flight so a graceful shutdown can wait for it,
 * and refuses new work once shutdown has begun.
 */
import type { Logger } from '../src/log.js';
import type {
  ActionEvent,
  DialogAnswer,
  DialogSubmission,
  InboundHandlers,
  Invocation,
} from '../src/ports.js';
import type { Router } from '../src/router/router.js';

export class Inbound implements InboundHandlers {
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;

  constructor(
    private readonly router: Router,
    private readonly log: Logger,
  ) {}

  onCommand(invocation: Invocation): Promise<void> {
    return this.track(invocation.responder, () => this.router.handle(invocation));
  }

  onAction(event: ActionEvent): Promise<void> {
    return this.track(event.responder, () =>
      this.router.actions.dispatch(event).catch(async (error: unknown) => {
        this.log.error(
          { err: error, action: event.action, requestId: event.requestId },
          'button handler failed',
        );
        await event.responder
          .reply(
            { text: `That did not work: the failure is logged under request ${event.requestId}.` },
            'ephemeral',
          )
          .catch(() => undefined);
      }),
    );
  }

  async onDialogSubmit(submission: DialogSubmission): Promise<DialogAnswer | undefined> {
    if (this.closing) return { error: 'coxswain is restarting; submit again in a moment.' };
    let answer: DialogAnswer | undefined;
    await this.track(submission.responder, async () => {
      try {
        answer = await this.router.actions.submit(submission);
      } catch (error) {
        this.log.error(
          { err: error, action: submission.action, requestId: submission.requestId },
          'dialog handler failed',
        );
        answer = { error: `That did not work: the failure is logged under request ${submission.requestId}.` };
      }
    });
    return answer;
  }

  /** Stops taking new work and waits for what is running. */
  async drain(): Promise<void> {
    this.closing = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(responder: Invocation['responder'], work: () => Promise<void>): Promise<void> {
    if (this.closing) {
      return responder
        .reply({ text: 'coxswain is restarting; send that again in a moment.' }, 'ephemeral')
        .then(() => undefined);
    }
    const promise = work().finally(() => this.inFlight.delete(promise));
    this.inFlight.add(promise);
    return promise;
  }
}
