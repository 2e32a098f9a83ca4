/** Health and mesh reports as platform-neutral Messages. Every outside string is escaped. */
import type { Message, Severity } from '../message.js';
import { escapeChat } from '../text/escape.js';
import { isReady, remoteFindings } from './clustermesh-remotes.js';
import type { ClusterMeshState, MeshReport } from './mesh.js';
import { worst } from './objects.js';
import type { ClusterReport, Status } from './types.js';

/** Findings listed per component before the rest are counted. */
export const MAX_FINDINGS = 10;

const LABEL: Record<Status, string> = { ok: 'ok', warn: '**WARN**', fail: '**FAIL**', absent: 'absent' };

export function clusterStatus(report: ClusterReport): Status | 'unreachable' {
  if (!report.reachable) return 'unreachable';
  return worst(report.components.map((c) => c.status));
}

function severityOf(statuses: (Status | 'unreachable')[]): Severity {
  if (statuses.some((s) => s === 'fail' || s === 'unreachable')) return 'critical';
  if (statuses.includes('warn')) return 'warning';
  return 'ok';
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function renderClusterLines(report: ClusterReport, options: { timing?: boolean } = {}): string[] {
  const status = clusterStatus(report);
  const timing =
    options.timing === false ? '' : ` _(${report.cold ? 'cold' : 'cached'}, ${seconds(report.tookMs)})_`;
  if (!report.reachable)
    return [
      `#### ${escapeChat(report.cluster)}: **UNREACHABLE**${timing}`,
      escapeChat(report.error ?? 'no answer'),
    ];
  const lines = [`#### ${escapeChat(report.cluster)}: ${LABEL[status as Status]}${timing}`];
  for (const c of report.components) {
    lines.push(`- ${c.component}: ${LABEL[c.status]} — ${escapeChat(c.summary)}`);
    for (const f of c.findings.slice(0, MAX_FINDINGS))
      lines.push(`  - ${LABEL[f.status]} ${escapeChat(f.subject)}: ${escapeChat(f.reason)}`);
    if (c.findings.length > MAX_FINDINGS)
      lines.push(
        `  - … and ${c.findings.length - MAX_FINDINGS} more (ask for one component with --component ${c.component})`,
      );
  }
  return lines;
}

export function renderHealth(reports: readonly ClusterReport[], options: { timing?: boolean } = {}): Message {
  const statuses = reports.map(clusterStatus);
  const text = reports.map((r) => renderClusterLines(r, options).join('\n')).join('\n\n');
  const fields = reports.map((r) => ({
    title: escapeChat(r.cluster),
    value: clusterStatus(r) === 'unreachable' ? 'unreachable' : String(clusterStatus(r)),
    short: true,
  }));
  return { title: 'Platform health', text, severity: severityOf(statuses), fields };
}

export function renderMesh(report: MeshReport): Message {
  const lines: string[] = [];
  if (report.paths.length === 0) lines.push('No Linkerd multicluster Link on any reachable cluster.');
  for (const p of report.paths) {
    const head = `- ${escapeChat(p.from)} → ${escapeChat(p.to)}: ${p.up ? 'ok, **up**' : '**FAIL, down**'} (Link ${escapeChat(p.link)}${p.gatewayAddress ? `, gateway ${escapeChat(p.gatewayAddress)}` : ''})`;
    lines.push(head);
    for (const problem of p.problems) lines.push(`  - ${escapeChat(problem)}`);
    const mirrors = p.mirrored
      .map(
        (m) =>
          `${escapeChat(m.name)} (${m.remoteDiscovery ? 'remote discovery' : `${m.endpoints} endpoint${m.endpoints === 1 ? '' : 's'}`})`,
      )
      .join(', ');
    if (mirrors) lines.push(`  - mirrored: ${mirrors}`);
  }
  lines.push('', '**Cilium ClusterMesh**');
  for (const c of report.clusters) {
    if (!c.reachable)
      lines.push(`- ${escapeChat(c.cluster)}: **UNREACHABLE** — ${escapeChat(c.error ?? '')}`);
    else {
      const agents = c.agents ? `; agents ${c.agents.ready}/${c.agents.desired} ready` : '';
      lines.push(
        `- ${escapeChat(c.cluster)}: ${c.clustermesh.status === 'fail' ? '**FAIL**' : c.clustermesh.status} — ${escapeChat(c.clustermesh.reason)}${agents}`,
      );
    }
    if (c.clustermesh.status !== 'absent')
      for (const f of remoteFindings(c.remotes))
        lines.push(`  - ${LABEL[f.status]} ${escapeChat(f.subject)}: ${escapeChat(f.reason)}`);
  }
  const up = report.paths.filter((p) => p.up).map((p) => `${p.from} → ${p.to}`);
  const down = report.paths.filter((p) => !p.up).map((p) => `${p.from} → ${p.to}`);
  const statement =
    report.paths.length === 0
      ? 'No cross-cluster path is configured.'
      : `Up: ${up.length ? escapeChat(up.join(', ')) : 'none'}. Down: ${down.length ? escapeChat(down.join(', ')) : 'none'}.`;
  const severity: Severity =
    down.length > 0 ||
    report.clusters.some((c) => !c.reachable || c.clustermesh.status === 'fail' || remoteDown(c))
      ? 'critical'
      : report.clusters.some((c) => c.clustermesh.status !== 'absent' && c.remotes.state === 'unreachable')
        ? 'warning'
        : 'ok';
  return { title: 'Cross-cluster mesh', text: `${statement}\n\n${lines.join('\n')}`, severity };
}

/** A remote cluster this cluster's agents report not ready (a metrics answer, not a guess). */
function remoteDown(c: ClusterMeshState): boolean {
  return c.remotes.state === 'known' && c.remotes.remotes.some((r) => !isReady(r));
}
