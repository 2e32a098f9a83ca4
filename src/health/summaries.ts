/**
 * Scheduled health summaries: node-cron jobs from config (each in its own time zone) that post the
 * whole report, only what changed since the previous run, or the backup-freshness report. Only
 * the leader posts; the other replicas' ticks are skipped.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.js';
import type { Message } from '../message.js';
import type { ChatPort } from '../ports.js';
import { escapeChat } from '../text/escape.js';
import type { ScheduleConfig } from './config-schema.js';
import type { HealthEngine } from './engine.js';
import { clusterStatus, renderHealth } from './render.js';
import type { ClusterReport, Component } from './types.js';

const BACKUP_COMPONENTS: Component[] = ['velero', 'volsync'];

/** What changed between two runs, one line each; empty when nothing did. */
export function diffReports(previous: readonly ClusterReport[], next: readonly ClusterReport[]): string[] {
  const lines: string[] = [];
  for (const report of next) {
    const before = previous.find((p) => p.cluster === report.cluster);
    const cluster = escapeChat(report.cluster);
    const was = before ? clusterStatus(before) : undefined;
    const now = clusterStatus(report);
    if (now === 'unreachable' || was === 'unreachable') {
      if (was !== now)
        lines.push(
          `${cluster}: ${was ?? 'new'} → ${now}${report.error ? ` (${escapeChat(report.error)})` : ''}`,
        );
      continue;
    }
    for (const component of report.components) {
      const old = before?.components.find((c) => c.component === component.component);
      if (old && old.status === component.status && old.summary === component.summary) continue;
      if (!old && component.status === 'ok') continue;
      lines.push(
        `${cluster} ${component.component}: ${old?.status ?? 'new'} → ${component.status} — ${escapeChat(component.summary)}`,
      );
    }
  }
  return lines;
}

export interface SummaryDeps {
  engine: HealthEngine;
  chat: ChatPort;
  isLeader: () => boolean;
  log: Logger;
  /** The clusters in a maintenance window now, each with its one-line description. */
  maintenance?: () => Promise<{ cluster: string; text: string }[]>;
}

/** Builds the message a schedule posts; undefined when a changes-only run has nothing to say. */
export async function buildSummary(
  schedule: ScheduleConfig,
  engine: HealthEngine,
  previous: readonly ClusterReport[] | undefined,
): Promise<{ message: Message | undefined; reports: ClusterReport[] }> {
  if (schedule.report === 'backups') {
    const reports = await engine.check({ components: BACKUP_COMPONENTS, wide: true });
    const message = renderHealth(reports, { timing: false });
    return { message: { ...message, title: 'Backup freshness' }, reports };
  }
  const reports = await engine.check({});
  if (schedule.report === 'changes' && previous) {
    const changes = diffReports(previous, reports);
    if (changes.length === 0) return { message: undefined, reports };
    const full = renderHealth(reports, { timing: false });
    return {
      message: {
        title: 'Platform health: changes',
        text: changes.map((l) => `- ${l}`).join('\n'),
        severity: full.severity ?? 'info',
      },
      reports,
    };
  }
  return { message: renderHealth(reports, { timing: false }), reports };
}

export class HealthSummaries {
  private readonly tasks: ScheduledTask[] = [];
  private readonly previous = new Map<string, ClusterReport[]>();

  constructor(
    private readonly schedules: readonly ScheduleConfig[],
    private readonly deps: SummaryDeps,
  ) {}

  start(): void {
    for (const schedule of this.schedules) {
      const task = cron.schedule(schedule.cron, () => this.run(schedule), {
        name: `health:${schedule.name}`,
        timezone: schedule.timeZone,
        noOverlap: true,
      });
      this.tasks.push(task);
    }
  }

  /** When each schedule runs next (for `/ops` answers and tests of the time zone). */
  nextRuns(): Map<string, Date | null> {
    return new Map(this.tasks.map((task, i) => [this.schedules[i]?.name ?? String(i), task.getNextRun()]));
  }

  /** One run of a schedule; exported for tests and for `run now`. Returns whether it posted. */
  async run(schedule: ScheduleConfig): Promise<boolean> {
    if (!this.deps.isLeader()) {
      this.deps.log.debug({ schedule: schedule.name }, 'not the leader: scheduled summary skipped');
      return false;
    }
    try {
      const { message, reports } = await buildSummary(
        schedule,
        this.deps.engine,
        this.previous.get(schedule.name),
      );
      this.previous.set(schedule.name, reports);
      if (!message) return false;
      const windows = await (this.deps.maintenance?.() ?? Promise.resolve([])).catch((error: unknown) => {
        this.deps.log.warn({ err: error }, 'maintenance windows unknown: health post without them');
        return [];
      });
      const inReport = windows.filter((w) => reports.some((r) => r.cluster === w.cluster));
      if (inReport.length)
        message.text = [...inReport.map((w) => `🔧 ${escapeChat(w.text)}`), '', message.text].join('\n');
      for (const channel of schedule.channels) {
        const destination = await this.deps.chat.resolveChannel(channel);
        await this.deps.chat.post(destination, message);
      }
      return true;
    } catch (error) {
      this.deps.log.error({ err: error, schedule: schedule.name }, 'scheduled health summary failed');
      return false;
    }
  }

  stop(): void {
    for (const task of this.tasks.splice(0)) void task.destroy();
  }
}
