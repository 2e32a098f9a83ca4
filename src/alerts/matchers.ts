/**
 * Alertmanager's label matchers (`alertname="X", severity=~"warn.*"`), parsed the way amtool
 * reads them, for config routes and for silences typed in chat. Regexes are anchored, as in
 * Alertmanager. Chat tokenizing may already have removed the quotes, so unquoted values work too.
 */
export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
}

export type ParseResult = { matchers: Matcher[] } | { error: string };

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
// A new matcher starts at whitespace followed by `name op`: it ends an unquoted value.
const NEXT_MATCHER = /^\s+[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)/;

export const MATCHER_SYNTAX =
  'write matchers like alertname="X", severity=~"warn.*" (operators =, !=, =~, !~)';

export function parseMatchers(input: string): ParseResult {
  let text = input.trim();
  if (text.startsWith('{')) {
    if (!text.endsWith('}'))
      return { error: `the matcher list opens { but never closes it; ${MATCHER_SYNTAX}` };
    text = text.slice(1, -1).trim();
  }
  const matchers: Matcher[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  while (true) {
    skipSpace();
    if (i >= text.length) break;
    const name = NAME.exec(text.slice(i))?.[0];
    if (!name)
      return {
        error: `expected a label name at ${JSON.stringify(text.slice(i, i + 20))}; ${MATCHER_SYNTAX}`,
      };
    i += name.length;
    skipSpace();
    const op = /^(=~|!~|!=|=)/.exec(text.slice(i))?.[0] as MatchType | undefined;
    if (!op) return { error: `${name} needs an operator (=, !=, =~ or !~) and a value; ${MATCHER_SYNTAX}` };
    i += op.length;
    skipSpace();
    let value = '';
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i] as string;
        if (c === '\\' && i + 1 < text.length) {
          const next = text[i + 1] as string;
          value += next === 'n' ? '\n' : next;
          i += 2;
          continue;
        }
        if (c === quote) {
          closed = true;
          i++;
          break;
        }
        value += c;
        i++;
      }
      if (!closed) return { error: `the value of ${name} opens a quote but never closes it` };
    } else {
      while (i < text.length && text[i] !== ',' && !NEXT_MATCHER.test(text.slice(i))) value += text[i++];
      value = value.trim();
    }
    if ((op === '=~' || op === '!~') && !validRegex(value))
      return {
        error: `the value of ${name}${op} is not a valid regular expression: ${JSON.stringify(value)}`,
      };
    matchers.push({ name, type: op, value });
    skipSpace();
    if (text[i] === ',') i++;
    else if (i < text.length && !NAME.test(text.slice(i)))
      return { error: `unexpected ${JSON.stringify(text[i])} after ${name}; separate matchers with commas` };
  }
  return { matchers };
}

function validRegex(source: string): boolean {
  try {
    new RegExp(`^(?:${source})$`);
    return true;
  } catch {
    return false;
  }
}

const compiled = new Map<string, RegExp>();
function anchored(source: string): RegExp {
  let regex = compiled.get(source);
  if (!regex) {
    regex = new RegExp(`^(?:${source})$`);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(source, regex);
  }
  return regex;
}

/** A missing label matches as the empty string, as in Alertmanager. */
export function matchesOne(matcher: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[matcher.name] ?? '';
  switch (matcher.type) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return anchored(matcher.value).test(value);
    case '!~':
      return !anchored(matcher.value).test(value);
  }
}

export function matchesAll(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => matchesOne(m, labels));
}

const PROBES = ['', 'x', 'critical', 'some-value_123', 'Ω ∆ 7'];

/**
 * True when the matchers would select every alert: none at all, or each one accepts any value
 * (`=~".*"` and the like). Such a silence mutes the whole platform.
 */
export function matchesEverything(matchers: readonly Matcher[]): boolean {
  return matchers.every((m) => PROBES.every((probe) => matchesOne(m, { [m.name]: probe })));
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}

export function formatMatchers(matchers: readonly Matcher[]): string {
  return matchers.map(formatMatcher).join(', ');
}
