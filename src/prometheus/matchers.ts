/**
 * PromQL label matchers as a metrics endpoint's config writes them (`cluster="apps"`,
 * `cluster=~"apps|edge"`), kept as written: coxswain only puts them inside a selector and lets
 * Prometheus judge the values (a bad regex comes back as the endpoint refusing the query).
 */

export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  /** The value as a PromQL double-quoted string literal, quotes and escapes included. */
  literal: string;
}

const ONE = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*(,|$)/;

/** The matchers of `a="x", b=~"y"` (braces allowed around them), or undefined when it is not that. */
export function parseLabelMatchers(text: string): LabelMatcher[] | undefined {
  let rest = text.trim();
  if (rest.startsWith('{') && rest.endsWith('}')) rest = rest.slice(1, -1);
  const matchers: LabelMatcher[] = [];
  while (rest.trim() !== '') {
    const match = ONE.exec(rest);
    if (!match) return undefined;
    matchers.push({
      name: match[1] as string,
      op: match[2] as LabelMatcher['op'],
      literal: match[3] as string,
    });
    rest = rest.slice(match[0].length);
  }
  return matchers.length ? matchers : undefined;
}

export function formatLabelMatcher(m: LabelMatcher): string {
  return `${m.name}${m.op}${m.literal}`;
}
