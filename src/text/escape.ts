/**
 * Neutralises text that comes from outside (alert labels, annotations, pod names, user input
 * echoed back) before it is put into a chat message: no mentions (`@all`, `@here`, `@channel`,
 * `<!here>`), no markdown links or images, no HTML, no layout breaking. The text stays readable:
 * characters are escaped with backslashes or a zero-width joiner, never removed.
 */
const MARKDOWN_SPECIALS = /[\\`*_{}[\]()#+!|<>~]/g;
const ZERO_WIDTH_SPACE = '\u200b';

export function escapeChat(value: unknown): string {
  const text = String(value ?? '');
  return (
    text
      // Control characters other than newline and tab break rendering and terminals.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .replace(MARKDOWN_SPECIALS, (c) => `\\${c}`)
      // A mention needs `@` directly before a name; a zero-width space between them keeps the
      // text readable while no platform parses it as a mention.
      .replace(/@/g, `@${ZERO_WIDTH_SPACE}`)
      // Bare URLs are auto-linked by both platforms; breaking the scheme separator stops that.
      .replace(/:\/\//g, `:${ZERO_WIDTH_SPACE}//`)
  );
}

/** Escapes a value for inline code spans: backticks cannot close the span early. */
export function inlineCode(value: unknown): string {
  const text = String(value ?? '').replace(/[\r\n]+/g, ' ');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '').replace(/`/g, 'ˋ');
  return `\`${clean}\``;
}
