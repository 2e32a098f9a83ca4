/**
 * The health snapshot in an incident's pinned summary: one line per component of the affected
 * cluster, problems first. It reads whatever health engine the health feature put in the
 * services, through the small shape below, so incidents do not depend on how health is built.
 */
import { escapeChat } from '../text/escape.js';

export interface HealthComponentLike {
  component: string;
  status: string;
  summary: string;
}

export interface HealthReportLike {
  cluster: string;
  reachable: boolean;
  error?: string;
  components: HealthComponentLike[];
}

/** The part of the health engine incidents use. */
export interface HealthSource {
  check(query: { cluster?: string }): Promise<HealthReportLike[]>;
}

export function isHealthSource(value: unknown): value is HealthSource {
  return typeof (value as { check?: unknown } | undefined)?.check === 'function';
}

const RANK: Record<string, number> = { fail: 0, warn: 1, ok: 2, absent: 3 };
const MARK: Record<string, string> = { fail: '✖', warn: '⚠', ok: '✔', absent: '·' };

export function renderSnapshot(reports: readonly HealthReportLike[]): string {
  if (reports.length === 0) return 'The health engine knows no such cluster.';
  return reports
    .map((report) => {
      if (!report.reachable)
        return `Cluster ${escapeChat(report.cluster)} is unreachable: ${escapeChat(report.error ?? 'no answer')}.`;
      const lines = [...report.components]
        .sort((a, b) => (RANK[a.status] ?? 9) - (RANK[b.status] ?? 9))
        .filter((c) => c.status !== 'absent')
        .map(
          (c) =>
            `- ${MARK[c.status] ?? '?'} ${escapeChat(c.component)}: ${escapeChat(c.status)}, ${escapeChat(c.summary)}`,
        );
      return lines.length > 0
        ? lines.join('\n')
        : `Cluster ${escapeChat(report.cluster)} reports no components.`;
    })
    .join('\n');
}
