/**
 * Alertmanager's label matchers (`alertname="X", severity=~"warn.*"`), parsed the way amtool
 * reads them, for config routes and for silences typed in chat. Regexes are RE2, as in
 * Alertmanager (Go's regexp: `(?i)`, `[[:alpha:]]`, no lookahead or backreferences), compiled
 * with re2js and anchored as Alertmanager anchors them, `^(?:re)$`; a JavaScript RegExp would
 * accept other patterns and match other values. Chat tokenizing may already have removed the
 * quotes, so unquoted values work too.
 */
import { RE2JS } from 're2js';

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
    const regexError = op === '=~' || op === '!~' ? re2Error(value) : undefined;
    if (regexError !== undefined)
      return {
        error: `the value of ${name}${op} is not a valid regular expression (RE2, as Alertmanager reads it): ${JSON.stringify(value)}: ${regexError}`,
      };
    matchers.push({ name, type: op, value });
    skipSpace();
    if (text[i] === ',') i++;
    else if (i < text.length && !NAME.test(text.slice(i)))
      return { error: `unexpected ${JSON.stringify(text[i])} after ${name}; separate matchers with commas` };
  }
  return { matchers };
}

/** Why Alertmanager would refuse this regex, or undefined when it compiles. */
function re2Error(source: string): string | undefined {
  try {
    anchored(source);
    return undefined;
  } catch (error) {
    // The parser's message quotes the anchored text; say it about what the person wrote.
    const message = error instanceof Error ? error.message : String(error);
    return message
      .replace(/^error parsing regexp: /, '')
      .replace(/`\^\(\?:/, '`')
      .replace(/\)\$`$/, '`');
  }
}

const compiled = new Map<string, RE2JS>();
/**
 * Alertmanager compiles `^(?:` + value + `)$` (pkg/labels/matcher.go) and calls Go's MatchString, a
 * search: `a)|(b` becomes `^(?:a)|(b)$`, which matches "axyz". So this searches too (`test`, not the
 * whole-input `matches`).
 */
function anchored(source: string): RE2JS {
  let regex = compiled.get(source);
  if (!regex) {
    regex = RE2JS.compile(`^(?:${source})$`);
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

/**
 * Label values a matcher must accept to count as matching everything: the missing label (''),
 * both cases, digits, punctuation, spaces and non-ASCII, so that `(?i)critical`, `[[:alpha:]]*`
 * or `\\S*` do not count and `.*`, `(?s).*` or `!="nope"` do. Single-line, as label values are.
 */
export const EVERYTHING_PROBES: readonly string[] = [
  '',
  'x',
  'X',
  'critical',
  'CRITICAL',
  '0',
  'some-value_123',
  'a b',
  'Ω ∆ 7',
  '😀',
];

/**
 * True when the matchers would select every alert: none at all, or each one accepts any value
 * (`=~".*"` and the like). Such a silence mutes the whole platform.
 */
export function matchesEverything(matchers: readonly Matcher[]): boolean {
  return matchers.every((m) => EVERYTHING_PROBES.every((probe) => matchesOne(m, { [m.name]: probe })));
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}

export function formatMatchers(matchers: readonly Matcher[]): string {
  return matchers.map(formatMatcher).join(', ');
}
