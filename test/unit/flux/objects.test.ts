import { describe, expect, it } from 'vitest';
import {
  FLUX_GET_KINDS,
  fluxPatch,
  fluxRow,
  RECONCILE_ANNOTATION,
  SOURCE_KINDS,
} from '../../../src/flux/objects.js';
import { KINDS } from '../../../src/health/kinds.js';

const NOW = Date.UTC(2026, 11, 4, 15, 0, 0, 123);

describe('the patches, as the flux CLI sends them', () => {
  it('reconcile sets the request annotation to the time and nothing else', () => {
    expect(fluxPatch('reconcile', NOW)).toEqual({
      metadata: { annotations: { [RECONCILE_ANNOTATION]: '2026-12-04T15:00:00.123Z' } },
    });
  });
  it('suspend sets spec.suspend', () => {
    expect(fluxPatch('suspend', NOW)).toEqual({ spec: { suspend: true } });
  });
  it('resume clears it and asks for a reconcile now', () => {
    expect(fluxPatch('resume', NOW)).toEqual({
      spec: { suspend: false },
      metadata: { annotations: { [RECONCILE_ANNOTATION]: '2026-12-04T15:00:00.123Z' } },
    });
  });
});

describe('rows as flux get shows them', () => {
  it('a Kustomization: Ready condition, suspend, last applied revision', () => {
    const object = KINDS.kustomizations.trim({
      metadata: { name: 'apps', namespace: 'flux-system' },
      spec: { suspend: true, path: './x' },
      status: {
        lastAppliedRevision: 'main@sha1:abc',
        conditions: [{ type: 'Ready', status: 'False', message: 'kustomize build failed' }],
      },
    });
    expect(fluxRow(KINDS.kustomizations, object)).toEqual({
      kind: 'Kustomization',
      namespace: 'flux-system',
      name: 'apps',
      ready: 'False',
      suspended: true,
      revision: 'main@sha1:abc',
      message: 'kustomize build failed',
    });
  });

  it('a source: the artifact revision; no Ready condition is Unknown', () => {
    const object = SOURCE_KINDS.gitrepositories.trim({
      metadata: { name: 'flux-system', namespace: 'flux-system' },
      status: { artifact: { revision: 'main@sha1:def', url: 'http://x' } },
    });
    expect(fluxRow(SOURCE_KINDS.gitrepositories, object)).toMatchObject({
      kind: 'GitRepository',
      ready: 'Unknown',
      suspended: false,
      revision: 'main@sha1:def',
    });
  });

  it('sources lists every source kind of source-controller', () => {
    expect(FLUX_GET_KINDS.sources.map((k) => k.plural).sort()).toEqual(
      ['buckets', 'gitrepositories', 'helmcharts', 'helmrepositories', 'ocirepositories'].sort(),
    );
  });
});
