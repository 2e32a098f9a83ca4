/** Shared pieces of the drill tests: a store on disk, a chat that records, a quiet logger, an engine that ticks fast and a drill started from ops. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DrillDefinition, loadDrills } from '../../../src/drills/definitions.js';
import { DrillEngine } from '../../../src/drills/engine.js';
import type { DrillData } from '../../../src/drills/run-data.js';
import type { DrillEngineOptions } from '../../../src/drills/runtime.js';
import type { StartRequest } from '../../../src/drills/start.js';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import { createLogger } from '../../../src/log.js';
import type { Message } from '../../../src/message.js';
import type { Destination, PostRef } from '../../../src/ports.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Run, Store } from '../../../src/store/store.js';
import { type AuditEvent, auditEvents } from '../rbac/identities.js';

export const quietLog = createLogger({ level: 'silent' });

export async function tempStore(): Promise<{ store: Store; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), 'coxswain-drills-')), 'coxswain.db');
  return { store: await openStore({ driver: 'sqlite', sqlite: { path } }), path };
}

/** The chat port's post/update, recorded, standing in for a chat platform (not under test here). */
export class RecordingChat {
  readonly posts: { destination: Destination; message: Message; ref: PostRef }[] = [];
  readonly updates: { ref: PostRef; message: Message }[] = [];
  private next = 1;

  async post(destination: Destination, message: Message): Promise<PostRef> {
    const ref: PostRef = { platform: 'test', channelId: destination.channelId, postId: `p${this.next++}` };
    if (destination.threadId) ref.threadId = destination.threadId;
    this.posts.push({ destination, message, ref });
    return ref;
  }

  async update(ref: PostRef, message: Message): Promise<void> {
    this.updates.push({ ref, message });
  }

  /** Channel names resolve to ids that differ from them, as on a real platform. */
  async resolveChannel(name: string): Promise<Destination> {
    return { channelId: `id-${name}` };
  }

  /** Top-level posts (not thread replies) in a channel. */
  topLevel(channelId: string): Message[] {
    return this.posts
      .filter((p) => p.destination.channelId === channelId && p.destination.threadId === undefined)
      .map((p) => p.message);
  }

  thread(rootPostId: string): string[] {
    return this.posts.filter((p) => p.destination.threadId === rootPostId).map((p) => p.message.text);
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a drill test varies in its engine: one drill's time limit shortened, and the stale window for a takeover. */
export interface TestEngineOptions {
  /** The drill whose definition `timeLimit` replaces. */
  drill?: string;
  timeLimit?: number;
  staleAfterMs?: number;
  /** Rewrites the definitions further (another target, expected alerts). */
  drills?: (definition: DrillDefinition) => DrillDefinition;
  silences?: DrillEngineOptions['silences'];
}

/** A drill engine over the shipped definitions that ticks every 200 ms, so a test waits seconds, not minutes. */
export function testEngine(
  store: Store,
  chat: RecordingChat,
  clusters: ClusterDirectory,
  opts: TestEngineOptions = {},
): DrillEngine {
  const drills = loadDrills()
    .map((d) =>
      d.name === opts.drill && opts.timeLimit !== undefined ? { ...d, timeLimit: opts.timeLimit } : d,
    )
    .map(opts.drills ?? ((d) => d));
  return new DrillEngine({
    store,
    clusters,
    chat,
    drills,
    log: quietLog,
    tickMs: 200,
    ...(opts.silences === undefined ? {} : { silences: opts.silences }),
    ...(opts.staleAfterMs === undefined ? {} : { staleAfterMs: opts.staleAfterMs }),
  });
}

/** Starts a drill as admin alice, its thread opened in #ops; fails the test on a refusal. */
export async function startDrill(
  engine: DrillEngine,
  chat: RecordingChat,
  request: Pick<StartRequest, 'drill'> & Partial<StartRequest>,
): Promise<{ run: Run; root: string }> {
  const started = await engine.start({
    actor: 'alice',
    isAdmin: true,
    open: (m) => chat.post({ channelId: 'ops' }, m),
    ...request,
  });
  if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
  return { run: started.run, root: (started.run.data as DrillData).post?.postId as string };
}

/**
 * The writes to the scale subresource of the Deployment `name` that an apiserver's audit log shows
 * from `since` (ms) on, newest first: a scale drill's scale-down and scale-up.
 */
export function scaleWrites(auditLog: string, name: string, since: number): AuditEvent[] {
  return auditEvents(
    auditLog,
    (e) =>
      e.verb === 'patch' &&
      e.objectRef?.resource === 'deployments' &&
      e.objectRef.subresource === 'scale' &&
      e.objectRef.name === name &&
      Date.parse(e.requestReceivedTimestamp ?? '') >= since,
  );
}
