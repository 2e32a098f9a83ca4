/** Every check, in the order a report lists them. */
import type { Check, Component } from '../types.js';
import { cephCheck } from './ceph.js';
import { certManagerCheck } from './cert-manager.js';
import { ciliumCheck } from './cilium.js';
import { cnpgCheck } from './cnpg.js';
import { credentialsCheck } from './credentials.js';
import { externalDnsCheck } from './external-dns.js';
import { externalSecretsCheck } from './external-secrets.js';
import { fluxCheck } from './flux.js';
import { linkerdCheck } from './linkerd.js';
import { monitoringCheck } from './monitoring.js';
import { nodesCheck } from './nodes.js';
import { veleroCheck } from './velero.js';
import { volsyncCheck } from './volsync.js';
import { workloadsCheck } from './workloads.js';

export const CHECKS: readonly Check[] = [
  nodesCheck,
  workloadsCheck,
  fluxCheck,
  ciliumCheck,
  linkerdCheck,
  cephCheck,
  cnpgCheck,
  veleroCheck,
  volsyncCheck,
  certManagerCheck,
  externalSecretsCheck,
  monitoringCheck,
  externalDnsCheck,
  credentialsCheck,
];

export function checksFor(components?: readonly Component[]): readonly Check[] {
  return components ? CHECKS.filter((c) => components.includes(c.component)) : CHECKS;
}
