/** Every command group, in the order help lists them. */
import type { CommandGroup } from '../src/router/spec.js';
import { alerts } from './alerts.js';
import { audit } from './audit.js';
import { drill } from './drill.js';
import { flux } from './flux.js';
import { health } from './health.js';
import { help } from './help.js';
import { incident } from './incident.js';
import { maintenance } from './maintenance.js';
import { mesh } from './mesh.js';
import { oncall } from './oncall.js';
import { phase } from './phase.js';
import { silence } from './silence.js';
import { describeGroup, events, get, logs, rollout, scale } from './workloads.js';

export function allGroups(): CommandGroup[] {
  return [
    health,
    mesh,
    get,
    describeGroup,
    events,
    logs,
    rollout,
    scale,
    flux,
    phase,
    drill,
    alerts,
    silence,
    maintenance,
    incident,
    oncall,
    audit,
    help,
  ];
}
