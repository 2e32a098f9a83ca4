/**
 * A phase run silences the alerts it is expected to cause, in the stack's real Alertmanager, on
 * every cluster it touches, with the run id in the comment; they are expired when the run ends,
 * when it is paused, and by the engine that continues it after a restart (found by the run id).
 *
 * The Flux controllers do not run: flux-play.ts plays the kustomize-controller as phases.test.ts
 * does (see there). The alert is real: the stack's Prometheus fires CoxswainStackAlwaysFiring
 * (cluster="infra") into Alertmanager all the time; the test makes it the phase file's expected
 * alert and reads from Alertmanager that it is suppressed during the run and active after.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../../adapters/alertmanager/client.js';
import { alertmanagerRunSilencer, RUN_SILENCE_MARK } from '../../../src/alerts/run-silences.js';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import { loadPhases } from '../../../src/phases/definitions.js';
import { PhaseEngine } from '../../../src/phases/engine.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { quietLog, RecordingChat, tempStore, waitFor } from '../drills/helpers.js';
import { botDirectory } from '../rbac/identities.js';
import { FluxControllerPlay, unsuspendStorage } from './flux-play.js';

const ALERT = 'CoxswainStackAlwaysFiring';

let env: StackEnv;
let clusters: ClusterDirectory;
let am: AlertmanagerClient;
let controller: FluxControllerPlay | undefined;
const engines: PhaseEngine[] = [];

interface ApiSilence {
  comment: string;
  status: { state: string };
  matchers: { name: string; value: string }[];
}

async function silencesOf(runId: string): Promise<ApiSilence[]> {
  const all = (await (await fetch(`${env.ALERTMANAGER_URL}/api/v2/silences`)).json()) as ApiSilence[];
  return all.filter((s) => s.comment.startsWith(`${RUN_SILENCE_MARK}${runId}: `));
}

async function alertState(): Promise<string | undefined> {
  const alerts = (await (
    await fetch(`${env.ALERTMANAGER_URL}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${ALERT}"`)}`)
  ).json()) as { status: { state: string } }[];
  return alerts[0]?.status.state;
}

function engineOn(store: Store, chat: RecordingChat, staleAfterMs?: number): PhaseEngine {
  const phases = { ...loadPhases(), expectedAlerts: [`alertname="${ALERT}"`] };
  const engine = new PhaseEngine({
    store,
    clusters,
    chat,
    phases,
    log: quietLog,
    tickMs: 150,
    silences: alertmanagerRunSilencer(() => [am]),
    ...(staleAfterMs === undefined ? {} : { staleAfterMs }),
  });
  engines.push(engine);
  return engine;
}

const open = (chat: RecordingChat) => (message: Parameters<RecordingChat['post']>[1]) =>
  chat.post({ channelId: 'ops' }, message);

beforeAll(async () => {
  env = loadStackEnv();
  clusters = botDirectory(env, ['infra', 'apps']);
  am = new AlertmanagerClient({ name: 'stack', url: env.ALERTMANAGER_URL, timeoutMs: 5000 });
  await waitFor('the stack alert to fire', async () =>
    (await alertState()) === 'active' ? true : undefined,
  );
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
  controller?.stop();
  controller = undefined;
});

afterAll(() => {
  if (env) unsuspendStorage(env);
});

describe('phase run silences', () => {
  it('silences the expected alerts on each cluster the run touches until it succeeds', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = engineOn(store, chat);
    controller = new FluxControllerPlay(env);
    controller.enabled = false;
    controller.start();
    const started = await engine.start({ phase: 'storage-backup', actor: 'alice', open: open(chat) });
    if (!started.ok || !started.run) throw new Error(started.ok ? 'no run' : started.reason);
    const id = started.run.id;

    // Flux is held back: the run is waiting, its silences are in force.
    const silences = await silencesOf(id);
    expect(silences.map((s) => s.status.state)).toEqual(['active', 'active']);
    expect(silences.map((s) => s.matchers.map((m) => `${m.name}=${m.value}`).join(',')).sort()).toEqual([
      `alertname=${ALERT},cluster=apps`,
      `alertname=${ALERT},cluster=infra`,
    ]);
    expect(silences[0]?.comment).toBe(
      `${RUN_SILENCE_MARK}${id}: phase storage-backup expects these alerts; silenced until it ends`,
    );
    expect(await alertState()).toBe('suppressed');

    controller.enabled = true;
    const done = await engine.settled(id);
    expect(done?.state).toBe('succeeded');
    expect((await silencesOf(id)).map((s) => s.status.state)).toEqual(['expired', 'expired']);
    expect(await alertState()).toBe('active');
    await store.close();
  });

  it('pause ends the run and its silences', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = engineOn(store, chat);
    controller = new FluxControllerPlay(env);
    controller.enabled = false;
    controller.start();
    const started = await engine.start({ phase: 'storage-backup', actor: 'alice', open: open(chat) });
    if (!started.ok || !started.run) throw new Error(started.ok ? 'no run' : started.reason);
    expect((await silencesOf(started.run.id)).map((s) => s.status.state)).toEqual(['active', 'active']);
    await engine.pause('storage-backup', 'bob');
    expect((await silencesOf(started.run.id)).map((s) => s.status.state)).toEqual(['expired', 'expired']);
    expect((await store.getRun(started.run.id))?.state).toBe('paused');
    await store.close();
  });

  it('after a restart the engine that continues the run finds its silences by the run id and expires them', async () => {
    const { store, path } = await tempStore();
    const chat = new RecordingChat();
    const first = engineOn(store, chat);
    controller = new FluxControllerPlay(env);
    controller.enabled = false;
    controller.start();
    const started = await first.start({ phase: 'storage-backup', actor: 'bob', open: open(chat) });
    if (!started.ok || !started.run) throw new Error(started.ok ? 'no run' : started.reason);
    const id = started.run.id;
    await first.stop();
    await store.close();
    expect((await silencesOf(id)).map((s) => s.status.state)).toEqual(['active', 'active']);

    const reopened = await openStore({ driver: 'sqlite', sqlite: { path } });
    const second = engineOn(reopened, chat, 1000);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await second.resume()).toBe(1);
    controller.enabled = true;
    const done = await second.settled(id);
    expect(done?.state).toBe('succeeded');
    expect((await silencesOf(id)).map((s) => s.status.state)).toEqual(['expired', 'expired']);
    await reopened.close();
  });
});
