/** Phase definitions: the data in phases.yaml, checked on load. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../duration.js';

const duration = () =>
  z
    .string()
    .refine((v) => parseDuration(v) !== undefined, { error: 'must be a duration like 6h or 10m' })
    .transform((v) => parseDuration(v) as number);

const name = () =>
  z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { error: 'must be a Kubernetes name' });

const fluxObject = z.strictObject({
  kind: z.enum(['Kustomization', 'HelmRelease']).default('Kustomization'),
  namespace: name().default('flux-system'),
  name: name(),
  clusters: z.array(z.string().min(1)).min(1),
});

const expectation = z.union([
  z.strictObject({ path: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean()]) }),
  z.strictObject({ path: z.string().min(1), equalsPath: z.string().min(1) }),
  z.strictObject({ path: z.string().min(1), atLeast: z.number() }),
  z.strictObject({ path: z.string().min(1), maxAge: duration() }),
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
    object: z.strictObject({
      apiVersion: z
        .string()
        .regex(/^[a-z0-9.-]+\/v[0-9a-z]+$/, { error: 'must be group/version, e.g. apps/v1' }),
      plural: z.string().min(1),
      namespace: name().optional(),
      name: name(),
    }),
    expect: z.array(expectation).min(1),
  }),
]);

const phaseSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  title: z.string().min(1),
  dependsOn: z.array(z.string()).default([]),
  flux: z.array(fluxObject).default([]),
  checks: z.array(check).default([]),
  timeout: duration().optional(),
});

const fileSchema = z.strictObject({
  timeout: duration().default(600_000),
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
  return result.data;
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
