/**
 * Neutralises text that comes from outside (alert labels, annotations, pod names, user input
 * echoed back) before it is put into a chat message: no mentions (`@all`, `@here`, `@channel`,
 * `<!here>`), no markdown links or images, no HTML, no layout breaking. The text stays readable:
 * characters are escaped with backslashes (Mattermost's CommonMark reading; each adapter turns
 * them into what its platform needs) or followed by a zero-width space, never removed.
 *
 * http(s) URLs in the text are left exactly as they are, so the platform links them and a copy
 * is the URL itself: a bare URL shows where it goes, so it cannot be disguised. What could
 * disguise one (`[text](url)`, `<url|text>`) is escaped around it.
 */
export const ESCAPED_CHARACTERS = '\\`*_{}[]()#+!|<>~';
const MARKDOWN_SPECIALS = /[\\`*_{}[\]()#+!|<>~]/g;
export const ZERO_WIDTH_SPACE = '\u200b';

/**
 * A URL as it stands in text: scheme, then characters URLs use that are not markup delimiters
 * (no brackets, parentheses, angle brackets, backticks, `*`, `|`, `@`, quotes or spaces), not
 * ending in sentence punctuation. `@` ends it so that a mention cannot ride inside a URL that
 * a platform does not link.
 */
export const URL_IN_TEXT: RegExp = /https?:\/\/[A-Za-z0-9\-._~:/?#%&=+,;!$']*[A-Za-z0-9\-_~/#%&=+$]/;

export function escapeChat(value: unknown): string {
  const text = String(value ?? '')
    // Control characters other than newline and tab break rendering and terminals.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
  let out = '';
  let at = 0;
  for (const match of text.matchAll(new RegExp(URL_IN_TEXT.source, 'g'))) {
    out += escapeText(text.slice(at, match.index)) + match[0];
    at = match.index + match[0].length;
  }
  return out + escapeText(text.slice(at));
}

function escapeText(text: string): string {
  return (
    text
      .replace(MARKDOWN_SPECIALS, (c) => `\\${c}`)
      // A mention needs `@` directly before a name; a zero-width space between them keeps the
      // text readable while no platform parses it as a mention (nor as an e-mail address).
      .replace(/@/g, `@${ZERO_WIDTH_SPACE}`)
  );
}

/** Escapes a value for inline code spans: backticks cannot close the span early. */
export function inlineCode(value: unknown): string {
  const text = String(value ?? '').replace(/[\r\n]+/g, ' ');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '').replace(/`/g, 'ˋ');
  return `\`${clean}\``;
}
