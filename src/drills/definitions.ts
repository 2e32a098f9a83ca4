/** Drill definitions: the data in drills.yaml, checked on load. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { type Matcher, parseMatchers } from '../alerts/matchers.js';
import { parseDuration } from '../duration.js';
import type { DrillParams } from './kind.js';

export const DRILL_KINDS = [
  'pod-kill',
  'node-drain',
  'cnpg-failover',
  'mesh-gateway',
  'backup-restore',
  'volsync-restore',
  'clustermesh-resilience',
  'app-failover',
] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

const duration = () =>
  z
    .string()
    .refine((v) => parseDuration(v) !== undefined, { error: 'must be a duration like 1m or 5m' })
    .transform((v) => parseDuration(v) as number);

const drillSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  kind: z.enum(DRILL_KINDS),
  summary: z.string().min(1),
  tier: z.enum(['weekly', 'monthly', 'quarterly']).optional(),
  objective: duration(),
  /** Which of objective and tier the DR plan does not give: this file chose them (shown as such). */
  chosen: z.array(z.enum(['objective', 'tier'])).default([]),
  timeLimit: duration(),
  defaults: z
    .strictObject({
      cluster: z.string().optional(),
      namespace: z.string().optional(),
      workload: z.string().optional(),
      node: z.string().optional(),
      backup: z.string().optional(),
      source: z.string().optional(),
    })
    .default({}),
  /**
   * The alerts the drill is expected to cause, silenced for its duration: one silence per entry
   * (Alertmanager matchers; `{namespace}`, `{workload}`, `{node}` stand for the run's arguments),
   * each with `cluster="<the drill's cluster>"` added.
   */
  expectedAlerts: z
    .array(
      z.string().refine((v) => !('error' in parseMatchers(fill(v, {}))), {
        error: 'must be Alertmanager matchers like alertname="KubePodNotReady", namespace="{namespace}"',
      }),
    )
    .default([]),
  preconditions: z.array(z.string()).default([]),
  steps: z.array(z.string()).min(1),
  rollback: z.string().min(1),
});

/** Puts the run's arguments into a matcher template; `unset` stands for an argument not given. */
function fill(template: string, params: Partial<DrillParams>, unset = 'x'): string {
  return template.replace(
    /\{(namespace|workload|node)\}/g,
    (_, key: 'namespace' | 'workload' | 'node') => params[key] ?? unset,
  );
}

const UNSET = '\u0000unset';

/**
 * The matcher sets a run of the drill silences (see `expectedAlerts`). A matcher naming an
 * argument the run does not have is left out, so the silence is wider rather than wrong.
 */
export function expectedAlertMatchers(definition: DrillDefinition, params: DrillParams): Matcher[][] {
  return definition.expectedAlerts.flatMap((template) => {
    const parsed = parseMatchers(fill(template, params, UNSET));
    return 'error' in parsed ? [] : [parsed.matchers.filter((m) => !m.value.includes(UNSET))];
  });
}

const fileSchema = z.strictObject({ drills: z.array(drillSchema).min(1) });

export type DrillDefinition = z.infer<typeof drillSchema>;

/** Parses drills YAML; throws a sentence naming the bad field. */
export function parseDrills(text: string, source = 'drills.yaml'): DrillDefinition[] {
  const result = fileSchema.safeParse(parse(text));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${source}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const names = new Set<string>();
  for (const drill of result.data.drills) {
    if (names.has(drill.name)) throw new Error(`${source}: drill ${drill.name} is defined twice`);
    names.add(drill.name);
  }
  return result.data.drills;
}

/** The shipped defaults, next to this module (or in src/ when running from dist/). */
export function defaultDrillsPath(): string {
  const candidates = [
    new URL('./drills.yaml', import.meta.url),
    new URL('../../../src/drills/drills.yaml', import.meta.url),
  ].map((u) => fileURLToPath(u));
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

export function loadDrills(path: string = defaultDrillsPath()): DrillDefinition[] {
  return parseDrills(readFileSync(path, 'utf8'), path);
}
