/**
 * Answers that may be long (logs, big lists): short ones inline as a code block; long ones as a
 * file uploaded into the channel through the chat port, with a one-line message beside it. Where
 * the platform cannot upload, the first lines are shown and the answer says what was left out.
 */
import type { CommandContext } from '../src/router/spec.js';
import { fenced } from '../src/text/structured.js';

/** Past these the text goes to a file: a chat post stays readable, and under Mattermost's 16k limit. */
export const INLINE_MAX_LINES = 50;
export const INLINE_MAX_CHARS = 12_000;

export async function replyLong(
  ctx: CommandContext,
  answer: { title: string; text: string; fileName: string; language?: string; empty?: string },
): Promise<'inline' | 'file' | 'cut'> {
  // A text ending in a newline (as logs do) has no empty last line to count.
  const lines = answer.text.replace(/\n$/, '').split('\n');
  if (answer.text.trim() === '') {
    await ctx.reply({ title: answer.title, text: answer.empty ?? 'Nothing to show.' });
    return 'inline';
  }
  if (lines.length <= INLINE_MAX_LINES && answer.text.length <= INLINE_MAX_CHARS) {
    await ctx.reply({ title: answer.title, text: fenced(answer.text, answer.language) });
    return 'inline';
  }
  const { upload } = ctx.services;
  if (upload) {
    try {
      await upload(
        { channelId: ctx.invocation.channel.id },
        { name: answer.fileName, content: answer.text, mimeType: 'text/plain' },
        { title: answer.title, text: `${lines.length} lines, attached as ${answer.fileName}.` },
      );
      return 'file';
    } catch (error) {
      ctx.log.warn({ err: error }, 'file upload failed; answering with the first lines');
    }
  }
  const head = lines.slice(0, INLINE_MAX_LINES).join('\n').slice(0, INLINE_MAX_CHARS);
  await ctx.reply({
    title: answer.title,
    text: `${fenced(head, answer.language)}\nThe first ${INLINE_MAX_LINES} of ${lines.length} lines: narrow it down (e.g. -n, -l, --tail) to see the rest here.`,
  });
  return 'cut';
}
