/**
 * Config keys of phases and drills (issue 8), under `operations:`. Documented in
 * deploy/examples/coxswain.yaml under `phases and drills`. The clusters are the `clusters:` list.
 */
import cron from 'node-cron';
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { isTimeZone, TIME_ZONE_PROBLEM } from '../text/time.js';

const duration = () =>
  z.string().refine((value) => parseDuration(value) !== undefined, {
    error: 'must be a duration like 2s or 1m',
  });
const name = () =>
  z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: 'must be a Kubernetes name' });

const engineFields = {
  // A YAML file replacing the shipped definitions (src/phases/phases.yaml, src/drills/drills.yaml).
  definitions: z.string().min(1).optional(),
  // How often a running phase or drill re-reads the cluster and advances.
  interval: duration().default('2s'),
};
const engine = () => z.strictObject(engineFields).prefault({});

/** A drill run by node-cron, as the health summaries are; only the leader runs it. */
const drillSchedule = z.strictObject({
  // How logs and posts call the schedule (unset: <drill>-<position>, e.g. pod-kill-1).
  name: name().optional(),
  // The drill to run (a name from `drill list`); checked against the definitions at start.
  drill: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'must be a drill name like pod-kill' }),
  // Its arguments, as `drill run` takes them; unset ones come from the drill's defaults.
  args: z
    .strictObject({
      cluster: name().optional(),
      namespace: name().optional(),
      workload: z.string().min(1).optional(),
      node: z.string().min(1).optional(),
      backup: z.string().min(1).optional(),
      source: z.string().min(1).optional(),
    })
    .default({}),
  // node-cron expression (5 or 6 fields), e.g. "0 10 * * 2" for Tuesdays at 10:00.
  cron: z
    .string()
    .refine((value) => cron.validate(value), { error: 'must be a cron expression like 0 10 * * 2' }),
  // IANA time zone the expression is read in (unset: UTC).
  timeZone: z.string().refine(isTimeZone, { error: TIME_ZONE_PROBLEM }).default('UTC'),
  // The channel the drill posts its steps and report in (or why it was skipped).
  channel: z.string().min(1),
});

export const operationsSchema = z
  .strictObject({
    // The service account every write impersonates; the bot's own account only reads.
    operator: z
      .strictObject({
        namespace: name().default('coxswain'),
        serviceAccount: name().default('coxswain-operator'),
        // The impersonation extra that carries the chat user into the Kubernetes audit log.
        chatUserExtra: z
          .string()
          .regex(/^[a-z0-9.-]+\/[a-z0-9-]+$/, { error: 'must look like coxswain.dev/chat-user' })
          .default('coxswain.dev/chat-user'),
      })
      .prefault({}),
    phases: engine(),
    drills: z
      .strictObject({
        ...engineFields,
        // Drills that run by themselves (the platform's tiers: pod/PVC weekly, node monthly).
        schedules: z
          .array(drillSchedule)
          .default([])
          .refine(
            (list) => {
              const names = list.map((s, i) => s.name ?? `${s.drill}-${i + 1}`);
              return new Set(names).size === names.length;
            },
            { error: 'names must be unique' },
          ),
      })
      .prefault({}),
  })
  .prefault({});

export type OperationsConfig = z.infer<typeof operationsSchema>;
export type DrillScheduleConfig = z.infer<typeof drillSchedule>;

/** A schedule's name: its own, else `<drill>-<position>` (1-based). */
export function scheduleName(schedule: DrillScheduleConfig, index: number): string {
  return schedule.name ?? `${schedule.drill}-${index + 1}`;
}
