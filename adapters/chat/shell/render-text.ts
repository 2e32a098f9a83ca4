/** A Message as plain terminal text: what the shell adapter prints. */
import type { Message } from '../../../src/message.js';

const SEVERITY_MARK = { info: 'ℹ', ok: '✔', warning: '⚠', critical: '✖' } as const;

/** The escapes in a message exist for chat markdown; a terminal shows the plain characters. */
function plain(text: string): string {
  return text.replace(/\\([\\`*_{}[\]()#+!|<>~])/g, '$1').replace(/\u200b/g, '');
}

export function renderText(message: Message, buttonNumbers: number[] = []): string {
  const lines: string[] = [];
  if (message.title)
    lines.push(`${message.severity ? `${SEVERITY_MARK[message.severity]} ` : ''}${plain(message.title)}`);
  if (message.text) lines.push(plain(message.text));
  for (const field of message.fields ?? []) lines.push(`  ${plain(field.title)}: ${plain(field.value)}`);
  for (const link of message.links ?? []) lines.push(`  ${plain(link.label)}: ${link.url}`);
  const buttons = (message.buttons ?? []).map(
    (button, index) => `[${buttonNumbers[index]}] ${plain(button.label)}`,
  );
  if (buttons.length > 0) lines.push(`  ${buttons.join('  ')}   (type the number to choose)`);
  return lines.join('\n');
}
