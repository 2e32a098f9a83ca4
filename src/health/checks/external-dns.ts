/**
 * external-dns (docs/platform/implementation-timeline.md, days 53-56: on both clusters, Cloudflare
 * provider). It has no resource of its own that reports health, so its Deployment's readiness does.
 */

import { KINDS } from '../kinds.js';
import { absent, result } from '../objects.js';
import type { Check } from '../types.js';
import { namedWorkloads } from './named-workloads.js';

const ROLES = [{ name: 'external-dns', pattern: /^external-dns/ }];

export const externalDnsCheck: Check = {
  component: 'external-dns',
  kinds: [KINDS.deployments, KINDS.statefulsets, KINDS.daemonsets],
  run({ kinds, wide }) {
    const { findings } = namedWorkloads(kinds, ROLES);
    if (findings.length === 0) return absent('external-dns', 'no external-dns workload');
    const ready = findings.filter((f) => f.status === 'ok').length;
    return result('external-dns', findings, `${ready}/${findings.length} workloads ready`, wide);
  },
};
