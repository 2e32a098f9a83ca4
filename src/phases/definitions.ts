/** Phase definitions: the data in phases.yaml, checked on load. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { type Matcher, parseMatchers } from '../alerts/matchers.js';
import { parseDuration } from '../duration.js';

const duration = () =>
  z
    .string()
    .refine((v) => parseDuration(v) !== undefined, { error: 'must be a duration like 6h or 10m' })
    .transform((v) => parseDuration(v) as number);

const name = () =>
  z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { error: 'must be a Kubernetes name' });

/** One Kubernetes object: `apiVersion` is group/version, or `v1` for the core group. */
const objectRef = {
  apiVersion: z.string().regex(/^([a-z0-9.-]+\/)?v[0-9a-z]+$/, {
    error: 'must be group/version (apps/v1), or v1 for the core group',
  }),
  plural: z.string().min(1),
  namespace: name().optional(),
  name: name(),
  /** The documents do not give this name: the plan chose it, and a platform sets its own. */
  chosen: z.literal(true).optional(),
};

/** What a Flux object applies that a check reads; on other clusters too (a Linkerd mirror). */
const installed = z.strictObject({ ...objectRef, clusters: z.array(z.string().min(1)).min(1).optional() });

const fluxObject = z.strictObject({
  kind: z.enum(['Kustomization', 'HelmRelease']).default('Kustomization'),
  namespace: name().default('flux-system'),
  name: name(),
  clusters: z.array(z.string().min(1)).min(1),
  /** The objects its reconcile brings up that checks read (phases.yaml's header). */
  installs: z.array(installed).default([]),
});

const expectation = z.union([
  z.strictObject({ path: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean()]) }),
  z.strictObject({ path: z.string().min(1), equalsPath: z.string().min(1) }),
  z.strictObject({ path: z.string().min(1), atLeast: z.number() }),
  z.strictObject({ path: z.string().min(1), maxAge: duration() }),
  z.strictObject({ path: z.string().min(1), present: z.literal(true) }),
  z.strictObject({ condition: z.string().min(1), status: z.enum(['True', 'False', 'Unknown']) }),
]);

const check = z.union([
  z.strictObject({
    name: z.string().min(1),
    clusters: z.array(z.string().min(1)).min(1),
    nodesReady: z.literal(true),
  }),
  z.strictObject({
    name: z.string().min(1),
    clusters: z.array(z.string().min(1)).min(1),
    object: z.strictObject(objectRef),
    expect: z.array(expectation).min(1),
  }),
]);

/** Alertmanager matchers of alerts a run is expected to cause (silenced while it runs). */
const expectedAlerts = () =>
  z
    .array(
      z.string().refine((v) => !('error' in parseMatchers(v)), {
        error: 'must be Alertmanager matchers like alertname=~"Flux.*"',
      }),
    )
    .default([]);

const phaseSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  title: z.string().min(1),
  dependsOn: z.array(z.string()).default([]),
  flux: z.array(fluxObject).default([]),
  checks: z.array(check).default([]),
  timeout: duration().optional(),
  /** Besides the file's: alerts this phase's run is expected to cause. */
  expectedAlerts: expectedAlerts(),
});

const fileSchema = z.strictObject({
  timeout: duration().default(600_000),
  /**
   * Alerts every phase run is expected to cause while Flux reconciles (one silence per entry and
   * cluster the run touches, `cluster="C"` added, the run id in the comment).
   */
  expectedAlerts: expectedAlerts(),
  phases: z.array(phaseSchema).min(1),
});

export type FluxObjectSpec = z.infer<typeof fluxObject>;
export type CheckSpec = z.infer<typeof check>;
export type Expectation = z.infer<typeof expectation>;
export type PhaseDefinition = z.infer<typeof phaseSchema>;
export type PhasesFile = z.infer<typeof fileSchema>;

/** Parses phases YAML; throws a sentence naming the bad field or dependency. */
export function parsePhases(text: string, source = 'phases.yaml'): PhasesFile {
  const result = fileSchema.safeParse(parse(text));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${source}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const names = new Set<string>();
  for (const phase of result.data.phases) {
    if (names.has(phase.name)) throw new Error(`${source}: phase ${phase.name} is defined twice`);
    for (const dep of phase.dependsOn)
      if (!names.has(dep))
        throw new Error(`${source}: phase ${phase.name} depends on ${dep}, which is not defined before it`);
    names.add(phase.name);
  }
  refuseChecksAhead(result.data, source);
  return result.data;
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

function where(o: { apiVersion: string; plural: string; namespace?: string | undefined; name: string }) {
  return `${o.plural}${groupOf(o.apiVersion) ? `.${groupOf(o.apiVersion)}` : ''} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/**
 * A check may only read what its own phase or one it depends on (directly or not) installs:
 * a check naming an object that a later phase brings up can never pass on a fresh platform, so
 * the later phase (which waits for it) never runs either. Every object a check reads must be
 * listed under some Flux object's `installs`; the version is left out of the match.
 */
function refuseChecksAhead(file: PhasesFile, source: string): void {
  const installer = new Map<string, string>();
  const key = (
    cluster: string,
    o: { apiVersion: string; plural: string; namespace?: string | undefined; name: string },
  ) => `${cluster}|${groupOf(o.apiVersion)}|${o.plural}|${o.namespace ?? ''}|${o.name}`;
  for (const phase of file.phases)
    for (const flux of phase.flux)
      for (const object of flux.installs)
        for (const cluster of object.clusters ?? flux.clusters) {
          const k = key(cluster, object);
          if (!installer.has(k)) installer.set(k, phase.name);
        }
  const ancestors = new Map<string, Set<string>>();
  for (const phase of file.phases) {
    const set = new Set<string>([phase.name]);
    for (const dep of phase.dependsOn) for (const a of ancestors.get(dep) ?? []) set.add(a);
    ancestors.set(phase.name, set);
  }
  const order = file.phases.map((p) => p.name);
  for (const phase of file.phases)
    for (const check of phase.checks) {
      if (!('object' in check)) continue;
      for (const cluster of check.clusters) {
        const by = installer.get(key(cluster, check.object));
        const what = `phase ${phase.name}: check "${check.name}" reads ${where(check.object)} on ${cluster}`;
        if (by === undefined)
          throw new Error(
            `${source}: ${what}, which no phase installs; list it under installs: of the Flux object that applies it`,
          );
        if (ancestors.get(phase.name)?.has(by)) continue;
        const when =
          order.indexOf(by) > order.indexOf(phase.name)
            ? 'which runs after it'
            : `which ${phase.name} does not depend on`;
        throw new Error(
          `${source}: ${what}, which phase ${by} installs, ${when}: a check may only name what its own phase or one it depends on installs, or the plan deadlocks on a fresh platform`,
        );
      }
    }
}

export function defaultPhasesPath(): string {
  const candidates = [
    new URL('./phases.yaml', import.meta.url),
    new URL('../../../src/phases/phases.yaml', import.meta.url),
  ].map((u) => fileURLToPath(u));
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

export function loadPhases(path: string = defaultPhasesPath()): PhasesFile {
  return parsePhases(readFileSync(path, 'utf8'), path);
}

/** The matcher sets a run of the phase silences: the file's, then the phase's own. */
export function phaseExpectedAlerts(file: PhasesFile, phase: PhaseDefinition): Matcher[][] {
  return [...file.expectedAlerts, ...phase.expectedAlerts].flatMap((text) => {
    const parsed = parseMatchers(text);
    return 'error' in parsed ? [] : [parsed.matchers];
  });
}
