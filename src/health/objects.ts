/** Reading the common shapes of Kubernetes status: conditions, timestamps, names. */
import { formatDuration } from '../duration.js';
import type { Component, ComponentResult, Finding, KindState, KubeObject, Status } from './types.js';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export function conditions(object: KubeObject): Condition[] {
  const list = object.status?.conditions;
  return Array.isArray(list) ? (list as Condition[]) : [];
}

export function condition(object: KubeObject, type: string): Condition | undefined {
  return conditions(object).find((c) => c.type === type);
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function ref(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name}` : name;
}

export function objectsOf(kinds: Map<string, KindState>, id: string): readonly KubeObject[] {
  const state = kinds.get(id);
  return state?.served ? state.objects : [];
}

export function served(kinds: Map<string, KindState>, id: string): boolean {
  return kinds.get(id)?.served === true;
}

/** Milliseconds since an RFC 3339 time, or undefined when absent or unparsable. */
export function ageMs(time: unknown, now: number): number | undefined {
  if (typeof time !== 'string') return undefined;
  const at = Date.parse(time);
  return Number.isNaN(at) ? undefined : now - at;
}

export function ago(ms: number): string {
  return `${formatDuration(Math.max(0, ms))} ago`;
}

/** `Ready=False (ReconciliationFailed): message` as one short line. */
export function describe(c: Condition | undefined, fallback = 'no Ready condition'): string {
  if (!c) return fallback;
  const reason = c.reason ? ` (${c.reason})` : '';
  const message = c.message ? `: ${oneLine(c.message)}` : '';
  return `${c.type}=${c.status}${reason}${message}`;
}

export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

const RANK: Record<Status, number> = { absent: 0, ok: 1, warn: 2, fail: 3 };

export function worst(statuses: readonly Status[]): Status {
  return statuses.reduce<Status>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok');
}

/** Builds a result from findings: the worst finding decides; `ok` findings are kept only when wide. */
export function result(
  component: Component,
  findings: Finding[],
  summary: string,
  wide: boolean,
): ComponentResult {
  const status = worst(findings.map((f) => f.status));
  return {
    component,
    status,
    summary,
    findings: wide ? findings : findings.filter((f) => f.status !== 'ok'),
  };
}

export function absent(component: Component, what: string): ComponentResult {
  return { component, status: 'absent', summary: `not installed (${what})`, findings: [] };
}

/** An error as one line for a report: the message and, when there is one, its cause. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const causeText =
      cause instanceof Error && !error.message.includes(cause.message) ? `: ${cause.message}` : '';
    return `${error.message}${causeText}`;
  }
  return String(error);
}
