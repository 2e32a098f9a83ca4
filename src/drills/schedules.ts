/**
 * Scheduled drills: node-cron jobs from `operations.drills.schedules`, the same cron the health
 * summaries use. Only the leader runs them (the other replicas' ticks are skipped, silently, as
 * for summaries). A run goes through the same guard rails as `drill run`, with no override: when
 * they refuse (an open incident, a critical alert, another drill on the cluster) the schedule
 * posts that it skipped and why. Otherwise the drill posts its steps in a thread in the channel as
 * usual, and when it ends its report is posted in the channel itself, since nobody was watching.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.js';
import type { Message } from '../message.js';
import type { Destination, PostRef } from '../ports.js';
import type { Run } from '../store/store.js';
import { escapeChat, inlineCode } from '../text/escape.js';
import { type DrillScheduleConfig, scheduleName } from './config-schema.js';
import type { DrillEngine } from './engine.js';

export interface ScheduleChat {
  post(destination: Destination, message: Message): Promise<PostRef>;
  resolveChannel(name: string): Promise<Destination>;
}

export interface DrillScheduleDeps {
  engine: Pick<DrillEngine, 'start' | 'settled' | 'report' | 'definition'>;
  chat: ScheduleChat;
  isLeader: () => boolean;
  log: Logger;
}

/** What one firing did, for logs and tests. */
export type ScheduledOutcome =
  | { outcome: 'not-leader' }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'ran'; run: Run }
  | { outcome: 'error'; error: string };

/** The actor a scheduled run is started (and audited) as. */
export function scheduleActor(name: string): string {
  return `schedule:${name}`;
}

/** Problems with the schedules against the loaded definitions; empty when all name a drill. */
export function scheduleProblems(
  schedules: readonly DrillScheduleConfig[],
  known: (drill: string) => boolean,
): string[] {
  return schedules.flatMap((s, i) =>
    known(s.drill)
      ? []
      : [`operations.drills.schedules[${i}].drill: there is no drill ${s.drill} in the definitions`],
  );
}

export class DrillSchedules {
  private readonly tasks: ScheduledTask[] = [];

  constructor(
    private readonly schedules: readonly DrillScheduleConfig[],
    private readonly deps: DrillScheduleDeps,
  ) {}

  start(): void {
    this.schedules.forEach((schedule, index) => {
      const name = scheduleName(schedule, index);
      const task = cron.schedule(
        schedule.cron,
        async () => {
          await this.run(schedule, index);
        },
        { name: `drill:${name}`, timezone: schedule.timeZone, noOverlap: true },
      );
      this.tasks.push(task);
    });
  }

  /** When each schedule runs next. */
  nextRuns(): Map<string, Date | null> {
    return new Map(
      this.tasks.map((task, i) => [
        this.schedules[i] ? scheduleName(this.schedules[i], i) : String(i),
        task.getNextRun(),
      ]),
    );
  }

  /** One firing of a schedule; resolves when the drill has ended (or was skipped). */
  async run(schedule: DrillScheduleConfig, index = 0): Promise<ScheduledOutcome> {
    const name = scheduleName(schedule, index);
    if (!this.deps.isLeader()) {
      this.deps.log.debug({ schedule: name }, 'not the leader: scheduled drill skipped');
      return { outcome: 'not-leader' };
    }
    try {
      const channel = await this.deps.chat.resolveChannel(schedule.channel);
      const result = await this.deps.engine.start({
        drill: schedule.drill,
        ...schedule.args,
        actor: scheduleActor(name),
        isAdmin: false,
        open: (message) => this.deps.chat.post(channel, message),
      });
      if (!result.ok || !result.run) {
        // The engine's reasons are chat text already (outside strings in them are escaped there).
        const reason = result.ok ? 'the drill did not start' : result.reason;
        this.deps.log.info({ schedule: name, reason }, 'scheduled drill skipped');
        await this.deps.chat.post(channel, {
          title: `Scheduled drill ${escapeChat(schedule.drill)} skipped`,
          text: `Schedule ${escapeChat(name)} (${inlineCode(schedule.cron)} ${escapeChat(schedule.timeZone)}) did not run the drill: ${reason}`,
          severity: 'warning',
        });
        return { outcome: 'skipped', reason };
      }
      const done = (await this.deps.engine.settled(result.run.id)) ?? result.run;
      if (done.finishedAt !== undefined) {
        const report = this.deps.engine.report(done);
        await this.deps.chat.post(channel, {
          ...report,
          title: `Scheduled ${report.title ?? `drill ${done.name}`}`,
        });
      }
      return { outcome: 'ran', run: done };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.deps.log.error({ err: error, schedule: name }, 'scheduled drill failed');
      return { outcome: 'error', error: message };
    }
  }

  stop(): void {
    for (const task of this.tasks.splice(0)) void task.destroy();
  }
}
