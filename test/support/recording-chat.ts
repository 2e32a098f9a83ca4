/**
 * A ChatPort that records what the bot posts and can be told to fail, for unit tests of the
 * alert delivery. (The integration tests use the shell adapter, a complete chat.)
 */
import type { Message } from '../../src/message.js';
import type { ChatPort, Destination, InboundHandlers, PostOptions, PostRef } from '../../src/ports.js';

export interface Recorded {
  kind: 'post' | 'update';
  channelId: string;
  threadId?: string;
  postId: string;
  message: Message;
  /** The post's key (PostOptions.key), as a platform keeps it with the post. */
  key?: string;
}

export class RecordingChat implements ChatPort {
  readonly platform = 'test';
  readonly calls: Recorded[] = [];
  failing = false;
  /** Fails the next post after the chat has taken it: the caller never hears the post id (a crash there). */
  loseNextAnswer = false;
  /** Each post waits this many event-loop turns first, so two callers' posts can interleave. */
  postDelayTicks = 0;
  private next = 1;

  async start(_handlers: InboundHandlers): Promise<void> {}
  async stop(): Promise<void> {}
  isReady(): boolean {
    return !this.failing;
  }
  /** Channel names to ids, as a real platform has them; unlisted names are their own id. */
  readonly channelIds = new Map<string, string>();
  async resolveChannel(name: string): Promise<Destination> {
    const bare = name.replace(/^#/, '');
    return { channelId: this.channelIds.get(bare) ?? bare };
  }
  async post(destination: Destination, message: Message, options: PostOptions = {}): Promise<PostRef> {
    if (this.failing) throw new Error('chat is down');
    for (let i = 0; i < this.postDelayTicks; i++) await new Promise((resolve) => setImmediate(resolve));
    const postId = `p${this.next++}`;
    const call: Recorded = { kind: 'post', channelId: destination.channelId, postId, message };
    if (destination.threadId) call.threadId = destination.threadId;
    if (options.key) call.key = options.key;
    this.calls.push(call);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new Error('the connection dropped before the answer');
    }
    return { platform: this.platform, channelId: destination.channelId, postId };
  }
  /** Looks the key up among the posts made, as a platform with history does. */
  async findPost(destination: Destination, key: string): Promise<PostRef | undefined> {
    const found = this.calls.find(
      (c) =>
        c.kind === 'post' &&
        c.key === key &&
        c.channelId === destination.channelId &&
        c.threadId === destination.threadId,
    );
    if (!found) return undefined;
    const ref: PostRef = { platform: this.platform, channelId: found.channelId, postId: found.postId };
    if (found.threadId) ref.threadId = found.threadId;
    return ref;
  }
  async update(ref: PostRef, message: Message): Promise<void> {
    if (this.failing) throw new Error('chat is down');
    this.calls.push({ kind: 'update', channelId: ref.channelId, postId: ref.postId, message });
  }
  /** Top-level posts (not thread replies). */
  get posts(): Recorded[] {
    return this.calls.filter((c) => c.kind === 'post' && !c.threadId);
  }
}
