/** The API paths the operator reader GETs one object at (adapters/kube/operator-client.ts). */
import { describe, expect, it } from 'vitest';
import { objectPath } from '../../../adapters/kube/operator-client.js';

describe('objectPath', () => {
  it('puts core kinds under /api/v1 and the others under their group and version', () => {
    expect(objectPath({ group: '', version: 'v1', plural: 'pods', namespace: 'load', name: 'p-1' })).toBe(
      '/api/v1/namespaces/load/pods/p-1',
    );
    expect(
      objectPath({ group: 'velero.io', version: 'v1', plural: 'backups', namespace: 'velero', name: 'b' }),
    ).toBe('/apis/velero.io/v1/namespaces/velero/backups/b');
    expect(objectPath({ group: 'cilium.io', version: 'v2', plural: 'ciliumnodes', name: 'n' })).toBe(
      '/apis/cilium.io/v2/ciliumnodes/n',
    );
  });

  it('leaves the namespace out for nodes and namespaces, and escapes names', () => {
    expect(objectPath({ group: '', version: 'v1', plural: 'nodes', namespace: 'x', name: 'apps-01' })).toBe(
      '/api/v1/nodes/apps-01',
    );
    expect(objectPath({ group: '', version: 'v1', plural: 'namespaces', name: 'velero' })).toBe(
      '/api/v1/namespaces/velero',
    );
    expect(objectPath({ group: '', version: 'v1', plural: 'pods', namespace: 'a/b', name: '../x' })).toBe(
      '/api/v1/namespaces/a%2Fb/pods/..%2Fx',
    );
  });
});
