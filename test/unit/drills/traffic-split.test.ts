/** The pure parts of the app-failover drill: reading TrafficSplits, mirrors and selectors. */
import { describe, expect, it } from 'vitest';
import {
  backendWeight,
  failoverSplit,
  mirrorOrigin,
  PRIMARY_ANNOTATION,
  selects,
} from '../../../src/drills/kinds/traffic-split.js';
import type { KubeObject } from '../../../src/kube/cluster-ops.js';

describe('TrafficSplit weights', () => {
  it('reads v1alpha2 numbers and v1alpha1 quantities; zero, negative and unreadable are zero', () => {
    expect(backendWeight(1)).toBe(1);
    expect(backendWeight(0)).toBe(0);
    expect(backendWeight('500m')).toBe(500);
    expect(backendWeight('0')).toBe(0);
    expect(backendWeight(-3)).toBe(0);
    expect(backendWeight('none')).toBe(0);
    expect(backendWeight(undefined)).toBe(0);
  });
});

describe('failoverSplit', () => {
  const split = (annotations: Record<string, string>) =>
    ({
      metadata: { namespace: 'mattermost', name: 'web', annotations },
      spec: {
        service: 'web',
        backends: [
          { service: 'web', weight: 1 },
          { service: 'web-infra', weight: 0 },
        ],
      },
    }) as KubeObject;

  it('takes the primary from the linkerd-failover annotation and every backend with its weight', () => {
    expect(failoverSplit(split({ [PRIMARY_ANNOTATION]: 'web' }), 'v1alpha2')).toEqual({
      namespace: 'mattermost',
      name: 'web',
      version: 'v1alpha2',
      primary: 'web',
      backends: [
        { service: 'web', weight: 1 },
        { service: 'web-infra', weight: 0 },
      ],
    });
  });

  it('skips a split without the annotation, as linkerd-failover does', () => {
    expect(failoverSplit(split({}), 'v1alpha2')).toBeUndefined();
  });
});

describe('mirrorOrigin', () => {
  const service = (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) =>
    ({ metadata: { name, namespace: 'mattermost', labels, annotations } }) as KubeObject;
  const MIRROR = { 'mirror.linkerd.io/mirrored-service': 'true', 'mirror.linkerd.io/cluster-name': 'infra' };

  it('follows remote-svc-fq-name to the exported Service', () => {
    expect(
      mirrorOrigin(
        service('web-infra', MIRROR, {
          'mirror.linkerd.io/remote-svc-fq-name': 'web.chat.svc.cluster.local',
        }),
      ),
    ).toEqual({ cluster: 'infra', namespace: 'chat', name: 'web' });
  });

  it('without the annotation, strips the -<cluster> suffix in the same namespace', () => {
    expect(mirrorOrigin(service('web-infra', MIRROR))).toEqual({
      cluster: 'infra',
      namespace: 'mattermost',
      name: 'web',
    });
    expect(mirrorOrigin(service('web-other', MIRROR))).toBeUndefined();
  });

  it('a local Service and a remote-discovery mirror have no origin to check', () => {
    expect(mirrorOrigin(service('web', {}))).toBeUndefined();
    expect(mirrorOrigin(undefined)).toBeUndefined();
    expect(
      mirrorOrigin(service('web-infra', { ...MIRROR, 'mirror.linkerd.io/remote-discovery': 'infra' })),
    ).toBeUndefined();
  });
});

describe('selects', () => {
  const svc = (selector?: Record<string, string>) => ({ spec: selector ? { selector } : {} }) as KubeObject;

  it('needs every selector label on the pods, and a selector at all', () => {
    expect(selects(svc({ app: 'web' }), { app: 'web', tier: 'front' })).toBe(true);
    expect(selects(svc({ app: 'web', tier: 'back' }), { app: 'web', tier: 'front' })).toBe(false);
    expect(selects(svc(), { app: 'web' })).toBe(false);
    expect(selects(svc({}), { app: 'web' })).toBe(false);
  });
});
