/**
 * The Flux objects a phase drives, as the Kubernetes API names them: the resource of a
 * Kustomization or HelmRelease, what it dependsOn, the annotation that requests a reconcile, and
 * how a step is named in chat. Its own file because planning, the pass and pause all address the
 * same objects, and the API versions belong in one place.
 */
import { fieldAt, type KubeObject, type ResourceRef } from '../kube/cluster-ops.js';
import type { PhaseStep } from './run-data.js';

/** Flux reconciles an object again when this annotation changes (`flux reconcile` sets it too). */
export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

export function refOf(step: { kind: string; namespace: string; name: string }): ResourceRef {
  return step.kind === 'Kustomization'
    ? {
        group: 'kustomize.toolkit.fluxcd.io',
        version: 'v1',
        plural: 'kustomizations',
        namespace: step.namespace,
        name: step.name,
      }
    : {
        group: 'helm.toolkit.fluxcd.io',
        version: 'v2',
        plural: 'helmreleases',
        namespace: step.namespace,
        name: step.name,
      };
}

export function dependsOn(object: KubeObject | undefined): { name: string; namespace?: string }[] {
  const deps = fieldAt(object, 'spec.dependsOn');
  return Array.isArray(deps) ? (deps as { name: string; namespace?: string }[]) : [];
}

export function label(step: PhaseStep): string {
  return `${step.cluster}: ${step.kind} ${step.namespace}/${step.name}`;
}
