/**
 * The code behind each kind of drill, by kind. Its own file so that the engine, the start checks
 * and the pass look a kind up in one place, and a new kind is added here and in definitions.ts only.
 */
import type { DrillKind } from './definitions.js';
import type { DrillKindHandler } from './kind.js';
import { appFailover } from './kinds/app-failover.js';
import { backupRestore } from './kinds/backup-restore.js';
import { clustermeshResilience } from './kinds/clustermesh-resilience.js';
import { cnpgFailover } from './kinds/cnpg-failover.js';
import { meshGateway } from './kinds/mesh-gateway.js';
import { nodeDrain } from './kinds/node-drain.js';
import { podKill } from './kinds/pod-kill.js';
import { volsyncRestore } from './kinds/volsync-restore.js';

/** The code behind each kind of drill. */
export const DRILL_HANDLERS: Record<DrillKind, DrillKindHandler> = {
  'pod-kill': podKill,
  'node-drain': nodeDrain,
  'cnpg-failover': cnpgFailover,
  'mesh-gateway': meshGateway,
  'backup-restore': backupRestore,
  'volsync-restore': volsyncRestore,
  'clustermesh-resilience': clustermeshResilience,
  'app-failover': appFailover,
};
