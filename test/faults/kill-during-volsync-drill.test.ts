/**
 * `kill -9` of the bot while a volsync-restore drill waits for VolSync to restore into its scratch
 * PVC, then a restart on the same SQLite store: the restarted bot rolls the drill back (the kind's
 * rule for a run orphaned mid-way, drills.yaml), deletes the ReplicationDestination and the
 * scratch PVC it made in coxswain-drills, and says so in chat. The bot is a real process
 * (`coxswain --shell`, test/faults/bot-process.ts) on the test stack's apps cluster; its writes
 * impersonate coxswain-operator with the RBAC from deploy/rbac applied.
 *
 * How the drill is held mid-restore: no VolSync runs on the stack (and none is simulated here, as
 * test/integration/drills/volsync-restore.test.ts does for its passing runs), so the
 * ReplicationDestination never gets a status and the drill waits for it until its time limit
 * (1h): the kill surely lands while both scratch objects exist.
 *
 * A restarted bot cannot tell a dead process from another replica still driving the run, so it
 * takes the run over only once nobody has advanced it for 30 s (DrillEngineOptions.staleAfterMs)
 * and its sweep (every drills interval) finds it: this test takes about a minute by design.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRATCH_NAMESPACE, scratchName } from '../../src/drills/kinds/volsync-restore.js';
import { waitFor } from '../integration/drills/helpers.js';
import {
  createSourceVolume,
  deleteSourceVolume,
  SOURCE_VOLUME,
} from '../integration/drills/volsync-source-volume.js';
import { applyRbac, auditEvents } from '../integration/rbac/identities.js';
import { loadStackEnv } from '../stack/env.js';
import { kubectlRun } from '../stack/kubectl.js';
import { BotProcess, writeBotConfig } from './bot-process.js';

const env = loadStackEnv();
const TARGET = scratchName(SOURCE_VOLUME);
const DESTINATION = 'replicationdestination.volsync.backube';
const dir = mkdtempSync(join(tmpdir(), 'coxswain-kill-volsync-'));
const bots: BotProcess[] = [];
let config: string;

function exists(kind: string, name: string): boolean {
  return kubectlRun(env, 'apps', ['get', kind, name, '-n', SCRATCH_NAMESPACE]).status === 0;
}

beforeAll(() => {
  applyRbac(env, 'apps');
  expect(exists('pvc', TARGET)).toBe(false);
  expect(exists(DESTINATION, TARGET)).toBe(false);
  createSourceVolume(env);

  config = writeBotConfig(dir, [{ name: 'apps', kubeconfig: env.KUBECONFIG_APPS }]);
});

afterAll(async () => {
  for (const bot of bots) await bot.kill9();
  // Whatever happened above, leave no scratch objects for the other tests.
  kubectlRun(env, 'apps', ['delete', DESTINATION, TARGET, '-n', SCRATCH_NAMESPACE, '--ignore-not-found']);
  kubectlRun(env, 'apps', ['delete', 'pvc', TARGET, '-n', SCRATCH_NAMESPACE, '--ignore-not-found']);
  deleteSourceVolume(env);
});

describe('kill -9 during a volsync-restore drill', () => {
  it('the restarted bot rolls the drill back on the same store: the ReplicationDestination and the scratch PVC are deleted, and chat says so', async () => {
    const first = new BotProcess(config, dir);
    bots.push(first);
    await first.confirm('drill run volsync-restore', 'Confirm');
    await first.waitFor(/Created the scratch PVC \(20Gi\) as coxswain-operator/);
    await first.waitFor(
      /Created ReplicationDestination `coxswain-drills\/coxswain-drill-harbor-registry-data` \(manual trigger `[^`]+`\) as coxswain-operator; waiting for VolSync to restore\./,
    );
    expect(exists('pvc', TARGET)).toBe(true);
    expect(exists(DESTINATION, TARGET)).toBe(true);

    // Both creates were written before the note above was printed; a write from here on is
    // somebody else's (same clock: the stack runs on this machine).
    const killedAt = Date.now();
    await first.kill9();
    // The bot is gone mid-drill: the scratch objects stay until somebody rolls back.
    expect(exists('pvc', TARGET)).toBe(true);
    expect(exists(DESTINATION, TARGET)).toBe(true);

    const second = new BotProcess(config, dir);
    bots.push(second);
    await second.waitFor(/coxswain restarted mid-drill; rolling back\./, 90_000);
    await second.waitFor(
      /Deleted the ReplicationDestination `coxswain-drills\/coxswain-drill-harbor-registry-data` and the scratch PVC `coxswain-drills\/coxswain-drill-harbor-registry-data` as coxswain-operator\./,
      30_000,
    );
    // The PVC goes once the real controller-manager has taken its protection finalizer off.
    await waitFor('the scratch PVC and the ReplicationDestination gone', () =>
      exists('pvc', TARGET) || exists(DESTINATION, TARGET) ? undefined : true,
    );

    // The second process deleted both itself, as the operator, and wrote nothing else there.
    const writes = auditEvents(
      env.AUDIT_LOG_APPS,
      (e) =>
        Date.parse(e.requestReceivedTimestamp ?? '') >= killedAt &&
        e.impersonatedUser !== undefined &&
        e.objectRef?.namespace === SCRATCH_NAMESPACE &&
        ['create', 'update', 'patch', 'delete'].includes(e.verb ?? ''),
    );
    expect(writes.map((e) => `${e.verb} ${e.objectRef?.resource} ${e.responseStatus?.code}`).sort()).toEqual([
      'delete persistentvolumeclaims 200',
      'delete replicationdestinations 200',
    ]);
    for (const e of writes)
      expect(e.impersonatedUser?.username).toBe('system:serviceaccount:coxswain:coxswain-operator');

    // The run's outcome is in chat, and in the store: a later `drill status` shows it.
    const from = second.type('drill status');
    await second.waitFor(/volsync-restore[\s\S]*rolled[- ]back/i, 30_000, from);
    await second.stop();
  }, 240_000);
});
