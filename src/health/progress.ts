/**
 * Answer now-or-later: when the work takes longer than `afterMs`, post a progress note first and
 * update that post with the answer; a fast answer is posted once.
 */
import type { Message } from '../message.js';
import type { PostRef } from '../ports.js';

export interface ProgressReplier {
  reply(message: Message | string): Promise<PostRef | undefined>;
  update(ref: PostRef, message: Message | string): Promise<void>;
}

export async function replyWithProgress(
  ctx: ProgressReplier,
  work: Promise<Message>,
  options: { afterMs: number; progress: Message | string },
): Promise<'direct' | 'updated'> {
  let progressPost: Promise<PostRef | undefined> | undefined;
  const timer = setTimeout(() => {
    progressPost = ctx.reply(options.progress);
  }, options.afterMs);
  let message: Message;
  try {
    message = await work;
  } finally {
    clearTimeout(timer);
  }
  if (progressPost) {
    const ref = await progressPost.catch(() => undefined);
    if (ref) {
      await ctx.update(ref, message);
      return 'updated';
    }
  }
  await ctx.reply(message);
  return 'direct';
}
