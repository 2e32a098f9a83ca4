/**
 * Kubernetes label selectors as kubectl's `-l` takes them: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a` (exists), `!a` (does not exist), joined by commas. Parsed once, matched
 * against the cached objects' labels.
 */

type Requirement =
  | { key: string; op: 'eq' | 'ne'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'absent' };

export type Selector = (labels: Readonly<Record<string, string>> | undefined) => boolean;

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Splits on commas that are not inside parentheses. */
function parts(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out.map((p) => p.trim());
}

function requirement(part: string): Requirement | string {
  const set = /^(\S+)\s+(in|notin)\s+\(([^()]*)\)$/.exec(part);
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim());
    const bad = values.find((v) => !VALUE.test(v));
    if (bad !== undefined) return `"${bad}" is not a label value`;
    return { key: set[1]!, op: set[2] as 'in' | 'notin', values };
  }
  const equality = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (equality) {
    if (!VALUE.test(equality[3]!)) return `"${equality[3]}" is not a label value`;
    return { key: equality[1]!, op: equality[2] === '!=' ? 'ne' : 'eq', value: equality[3]! };
  }
  if (part.startsWith('!')) return { key: part.slice(1).trim(), op: 'absent' };
  return { key: part, op: 'exists' };
}

export function parseSelector(text: string): { select: Selector } | { error: string } {
  const requirements: Requirement[] = [];
  for (const part of parts(text)) {
    if (part === '') return { error: `the selector "${text.slice(0, 100)}" has an empty part` };
    const r = requirement(part);
    if (typeof r === 'string') return { error: r };
    if (!KEY.test(r.key)) return { error: `"${r.key.slice(0, 100)}" is not a label key` };
    requirements.push(r);
  }
  return { select: (labels) => requirements.every((r) => holds(r, labels?.[r.key])) };
}

function holds(r: Requirement, value: string | undefined): boolean {
  if (r.op === 'eq') return value === r.value;
  if (r.op === 'ne') return value !== r.value;
  if (r.op === 'in') return value !== undefined && r.values.includes(value);
  if (r.op === 'notin') return value === undefined || !r.values.includes(value);
  if (r.op === 'exists') return value !== undefined;
  return value === undefined;
}
