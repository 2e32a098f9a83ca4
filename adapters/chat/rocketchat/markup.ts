/**
 * Turns coxswain's message text (CommonMark-style, outside strings escaped by escapeChat with
 * backslashes) into what Rocket.Chat's message parser (@rocket.chat/message-parser) reads the
 * same way. That parser knows backslash escapes only for `*`, `_`, `~`, backtick, `#` and `.`,
 * and not inside emphasis: every other escape showed its backslash (`90% \(node x\)`), and
 * `\(`…`\)` is even KaTeX there. So each escaped character is written the way that parser
 * needs, and only where it would otherwise be markup:
 *
 * - `*`, `_`, `~`, backtick: its backslash escape, which the parser removes; a bold span of
 *   coxswain's that holds one loses its bold, since escapes do not work inside emphasis;
 * - `@`: escapeChat's zero-width space after it, and one before (e-mail links);
 * - `#` (channel mention, heading), `<` (`<url|text>` links, `<t:…>` times), `\` (KaTeX
 *   `\(`, escapes), `]` before `(` (`[text](url)`), `|` before `|` (spoilers), `+` before a
 *   digit (phone links), `>` opening a line (quote): a zero-width space after it (before, for
 *   `>`), which breaks the construct and shows nothing;
 * - everything else (`(`, `)`, `{`, `}`, `!`, …): the plain character.
 *
 * URLs escapeChat left alone become `<url|url>`: a link whose text is its target, even for hosts
 * the parser would not auto-link (`http://prometheus:9090/…`), whose `_x_` would be italic.
 * Code spans pass through untouched.
 *
 * Known gap: that parser auto-links a bare domain (`a.io`) up to the next space, so an escaped
 * `*`, `_` or `~` right after one (`a.io*`) shows its backslash inside that link.
 */
import { URL_IN_TEXT, ZERO_WIDTH_SPACE } from '../../../src/text/escape.js';

type Token =
  | { kind: 'literal'; char: string }
  | { kind: 'markup'; text: string }
  | { kind: 'bold' }
  | { kind: 'url'; url: string }
  | { kind: 'code'; text: string };

const ESCAPED = new Set('\\`*_{}[]()#+!|<>~');
const EMPHASIS = new Set('*_~`');
const URL_START = /^https?:\/\//;
const URL_HERE = new RegExp(URL_IN_TEXT.source, 'y');
/** Inside bold, that parser's escapes fail and a failed link stops later links from parsing. */
const RISKY_IN_BOLD = new Set('*_~`[<');

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '\\' && next !== undefined && ESCAPED.has(next)) {
      tokens.push({ kind: 'literal', char: next });
      i += 2;
    } else if (c === '@' && next === ZERO_WIDTH_SPACE) {
      // escapeChat's broken mention: here the break goes on both sides, or `ops@example.com`
      // is still an e-mail link (that parser takes the zero-width space as part of a domain).
      tokens.push({ kind: 'literal', char: '@' });
      i += 2;
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      const close = end === -1 ? text.length : end + 1;
      tokens.push({ kind: 'code', text: text.slice(i, close) });
      i = close;
    } else if (c === '*' && next === '*') {
      tokens.push({ kind: 'bold' });
      i += 2;
    } else if (c === 'h' && URL_START.test(text.slice(i, i + 8))) {
      URL_HERE.lastIndex = i;
      const url = URL_HERE.exec(text)?.[0];
      if (url) {
        tokens.push({ kind: 'url', url });
        i += url.length;
      } else {
        tokens.push({ kind: 'markup', text: c });
        i++;
      }
    } else {
      tokens.push({ kind: 'markup', text: c });
      i++;
    }
  }
  return tokens;
}

/**
 * Bold markers to leave out: a span that holds an escaped emphasis character (escapes do not
 * work inside emphasis there), a literal `[` or `<` or a URL (a failed link inside bold stops
 * later links from parsing), a line break, or nothing but spaces (`****` is not bold there).
 * coxswain writes its markers in pairs, so they pair up in order.
 */
function unboldable(tokens: Token[]): Set<number> {
  const dropped = new Set<number>();
  let open: number | undefined;
  let risky = false;
  let empty = true;
  tokens.forEach((token, index) => {
    if (token.kind === 'bold') {
      if (open === undefined) {
        open = index;
        risky = false;
        empty = true;
      } else {
        if (risky || empty) dropped.add(open).add(index);
        open = undefined;
      }
      return;
    }
    if (open === undefined) return;
    if (token.kind === 'url' || (token.kind === 'literal' && RISKY_IN_BOLD.has(token.char))) risky = true;
    // Emphasis does not cross lines in that parser (an outside string may hold a newline).
    if ((token.kind === 'markup' || token.kind === 'literal') && /[\r\n]/.test(tokenText(token)))
      risky = true;
    if (!(token.kind === 'markup' && /^\s$/.test(token.text))) empty = false;
  });
  return dropped;
}

function tokenText(token: { kind: 'markup'; text: string } | { kind: 'literal'; char: string }): string {
  return token.kind === 'markup' ? token.text : token.char;
}

function firstChar(token: Token | undefined): string {
  if (!token) return '';
  switch (token.kind) {
    case 'literal':
      return token.char;
    case 'markup':
    case 'code':
      return token.text[0] ?? '';
    case 'bold':
      return '*';
    case 'url':
      return 'h';
  }
}

export function toRocketChatMarkup(text: string): string {
  const tokens = tokenize(text);
  const dropped = unboldable(tokens);
  let out = '';
  tokens.forEach((token, index) => {
    const following = firstChar(tokens[index + 1]);
    switch (token.kind) {
      case 'code':
      case 'markup':
        out += token.text;
        return;
      case 'bold':
        if (dropped.has(index)) return;
        // `:*`, `:-*`, `;*`, `=*`, `:^*` are emoticons there: they would eat a closing marker.
        out += /[:;=^-]$/.test(out) ? `${ZERO_WIDTH_SPACE}**` : '**';
        return;
      case 'url':
        out += `<${token.url}|${token.url}>`;
        return;
      case 'literal':
        // `:\` and `=\` are emoticons there: they would eat an escape's backslash.
        if (EMPHASIS.has(token.char) && /[:=]$/.test(out)) out += ZERO_WIDTH_SPACE;
        out += literal(token.char, following, out.length === 0 || out.endsWith('\n'));
    }
  });
  return out;
}

function literal(char: string, following: string, lineStart: boolean): string {
  if (EMPHASIS.has(char)) return `\\${char}`;
  switch (char) {
    case '#':
    case '<':
    case '\\':
      return `${char}${ZERO_WIDTH_SPACE}`;
    case '@':
      return `${ZERO_WIDTH_SPACE}@${ZERO_WIDTH_SPACE}`;
    case ']':
      return following === '(' ? `]${ZERO_WIDTH_SPACE}` : ']';
    case '|':
      return following === '|' ? `|${ZERO_WIDTH_SPACE}` : '|';
    case '+':
      return /^[0-9(]$/.test(following) ? `+${ZERO_WIDTH_SPACE}` : '+';
    case '>':
      return lineStart ? `${ZERO_WIDTH_SPACE}>` : '>';
    default:
      return char;
  }
}
