/**
 * A drill silences the alerts it is expected to cause, in the stack's real Alertmanager, for its
 * duration: created at start with the run id in the comment, expired when the drill ends, and
 * found again by a new engine after the bot died mid-drill (which expires them when its rollback
 * ends).
 *
 * The alert is real too: the stack's Prometheus fires CoxswainStackAlwaysFiring (cluster="infra")
 * into Alertmanager all the time, so the test runs pod-kill on infra (monitoring/jaeger-collector,
 * which kwok keeps Ready) with that alert as the drill's expected alert, and reads from
 * Alertmanager's API that the alert is suppressed by the drill's silence while it runs and active
 * again after. Nothing is simulated here but the chat (a recorder).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../../adapters/alertmanager/client.js';
import { alertmanagerRunSilencer, RUN_SILENCE_MARK } from '../../../src/alerts/run-silences.js';
import type { DrillEngine } from '../../../src/drills/engine.js';
import type { DrillData } from '../../../src/drills/run-data.js';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import type { Message } from '../../../src/message.js';
import type { Destination, PostRef } from '../../../src/ports.js';
import { openStore } from '../../../src/store/open-store.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { botDirectory } from '../rbac/identities.js';
import { RecordingChat, tempStore, testEngine, waitFor } from './helpers.js';

const ALERT = 'CoxswainStackAlwaysFiring';

let env: StackEnv;
let clusters: ClusterDirectory;
let am: AlertmanagerClient;
const engines: DrillEngine[] = [];

/** A recording chat that holds the post announcing the silences until the test lets it go. */
class HoldingChat extends RecordingChat {
  private release: (() => void) | undefined;
  held = false;
  private readonly gate = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  override async post(destination: Destination, message: Message): Promise<PostRef> {
    if (message.text.startsWith('Silenced the alerts')) {
      this.held = true;
      await this.gate;
    }
    return super.post(destination, message);
  }

  letGo(): void {
    this.release?.();
  }
}

interface ApiSilence {
  id: string;
  comment: string;
  status: { state: string };
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
}

async function silencesOf(runId: string): Promise<ApiSilence[]> {
  const all = (await (await fetch(`${env.ALERTMANAGER_URL}/api/v2/silences`)).json()) as ApiSilence[];
  return all.filter((s) => s.comment.startsWith(`${RUN_SILENCE_MARK}${runId}: `));
}

async function alertState(): Promise<{ state: string; silencedBy: string[] } | undefined> {
  const alerts = (await (
    await fetch(`${env.ALERTMANAGER_URL}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${ALERT}"`)}`)
  ).json()) as { status: { state: string; silencedBy: string[] } }[];
  return alerts[0]?.status;
}

function newEngine(
  store: Awaited<ReturnType<typeof tempStore>>['store'],
  chat: RecordingChat,
  staleAfterMs?: number,
): DrillEngine {
  const engine = testEngine(store, chat, clusters, {
    drills: (d) =>
      d.name === 'pod-kill'
        ? {
            ...d,
            defaults: { cluster: 'infra', namespace: 'monitoring', workload: 'jaeger-collector' },
            expectedAlerts: [`alertname="${ALERT}"`],
          }
        : d,
    silences: alertmanagerRunSilencer(() => [am]),
    ...(staleAfterMs === undefined ? {} : { staleAfterMs }),
  });
  engines.push(engine);
  return engine;
}

beforeAll(async () => {
  env = loadStackEnv();
  clusters = botDirectory(env, ['infra']);
  am = new AlertmanagerClient({ name: 'stack', url: env.ALERTMANAGER_URL, timeoutMs: 5000 });
  await waitFor('the stack alert to fire', async () =>
    (await alertState())?.state === 'active' ? true : undefined,
  );
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
});

describe('drill silences', () => {
  it('silences the expected alert in Alertmanager while the drill runs and expires it when it ends', async () => {
    const { store } = await tempStore();
    const chat = new HoldingChat();
    const engine = newEngine(store, chat);
    const starting = engine.start({
      drill: 'pod-kill',
      actor: 'alice',
      isAdmin: true,
      open: (m) => chat.post({ channelId: 'ops' }, m),
    });
    await waitFor('the silences to be announced', () => (chat.held ? true : undefined));
    // Held before the drill touches the cluster: the silence is in Alertmanager now.
    const runId = (await store.listRuns({ kind: 'drill', unfinished: true }))[0]?.id as string;
    const silences = await silencesOf(runId);
    expect(silences.map((s) => [s.status.state, s.comment])).toEqual([
      [
        'active',
        `${RUN_SILENCE_MARK}${runId}: drill pod-kill on infra expects these alerts; silenced until it ends`,
      ],
    ]);
    expect(silences[0]?.matchers.map((m) => `${m.name}=${m.value}`).sort()).toEqual([
      `alertname=${ALERT}`,
      'cluster=infra',
    ]);
    expect(await alertState()).toMatchObject({ state: 'suppressed', silencedBy: [silences[0]?.id] });
    chat.letGo();

    const started = await starting;
    if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
    const done = await engine.settled(started.run.id);
    const thread = chat.thread((done?.data as DrillData | undefined)?.post?.postId as string);
    expect(done?.state, thread.join('\n')).toBe('passed');
    expect(thread).toContain("Expired the drill's 1 silences.");
    expect((await silencesOf(runId)).map((s) => s.status.state)).toEqual(['expired']);
    expect((await alertState())?.state).toBe('active');
    await store.close();
  });

  it('the bot dies right after starting: a new engine finds the silence by the run id and expires it after the rollback', async () => {
    const { store, path } = await tempStore();
    const chat = new HoldingChat();
    const first = newEngine(store, chat);
    const starting = first.start({
      drill: 'pod-kill',
      actor: 'alice',
      isAdmin: true,
      open: (m) => chat.post({ channelId: 'ops' }, m),
    });
    await waitFor('the silences to be announced', () => (chat.held ? true : undefined));
    // Gone before driving the run: it stays stored as running, its silence open in Alertmanager.
    await first.stop();
    chat.letGo();
    const started = await starting;
    if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
    await store.close();
    const runId = started.run.id;
    expect((await silencesOf(runId)).map((s) => s.status.state)).toEqual(['active']);

    const reopened = await openStore({ driver: 'sqlite', sqlite: { path } });
    const second = newEngine(reopened, chat, 1000);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await second.resume()).toBe(1);
    const done = await second.settled(runId);
    const thread = chat.thread((done?.data as DrillData | undefined)?.post?.postId as string);
    expect(done?.state, thread.join('\n')).toBe('rolled-back');
    expect(thread).toContain("Found the drill's 1 silences again; they are expired when the rollback ends.");
    expect(thread).toContain("Expired the drill's 1 silences.");
    expect((await silencesOf(runId)).map((s) => s.status.state)).toEqual(['expired']);
    expect((await alertState())?.state).toBe('active');
    await reopened.close();
  });
});
