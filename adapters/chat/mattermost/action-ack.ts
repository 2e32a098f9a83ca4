/**
 * Acknowledge now, answer later, for button clicks. Mattermost waits for the action URL's
 * answer and applies it: `update` rewrites the clicked post, `ephemeral_text` tells only the
 * clicker. A handler that answers within the window has its answer ride on the HTTP response;
 * after the window the response goes out empty and later answers take the REST API.
 */
import type { RenderedPost } from './render.js';

export interface ActionResponse {
  update?: RenderedPost;
  ephemeral_text?: string;
}

export class ActionAck {
  private answer: ActionResponse = {};
  private sent = false;
  private resolve!: (response: ActionResponse) => void;
  /** What to send as the HTTP response: settles at the first answer's end, or the deadline. */
  readonly response: Promise<ActionResponse>;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(windowMs: number) {
    this.response = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.timer = setTimeout(() => this.send(), windowMs);
  }

  /** Takes the rewrite of the clicked post, if the response has not gone yet. */
  offerUpdate(post: RenderedPost): boolean {
    if (this.sent || this.answer.update) return false;
    this.answer.update = post;
    return true;
  }

  /** Takes a message for the clicker alone, if the response has not gone yet. */
  offerEphemeral(text: string): boolean {
    if (this.sent || this.answer.ephemeral_text !== undefined) return false;
    this.answer.ephemeral_text = text;
    return true;
  }

  /** The handler is done (or failed): send what was gathered. */
  send(): void {
    if (this.sent) return;
    this.sent = true;
    clearTimeout(this.timer);
    this.resolve(this.answer);
  }
}
