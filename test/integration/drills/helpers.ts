/** Shared pieces of the drill tests: a store on disk, a chat that records, a quiet logger. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/log.js';
import type { Message } from '../../../src/message.js';
import type { Destination, PostRef } from '../../../src/ports.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';

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
