/**
 * A ChatPort that records what the bot posts and can be told to fail, for unit tests of the
 * alert delivery. (The integration tests use the shell adapter, a complete chat.)
 */
import type { Message } from '../../src/message.js';
import type { ChatPort, Destination, InboundHandlers, PostRef } from '../../src/ports.js';

export interface Recorded {
  kind: 'post' | 'update';
  channelId: string;
  threadId?: string;
  postId: string;
  message: Message;
}

export class RecordingChat implements ChatPort {
  readonly platform = 'test';
  readonly calls: Recorded[] = [];
  failing = false;
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
  async post(destination: Destination, message: Message): Promise<PostRef> {
    if (this.failing) throw new Error('chat is down');
    const postId = `p${this.next++}`;
    const call: Recorded = { kind: 'post', channelId: destination.channelId, postId, message };
    if (destination.threadId) call.threadId = destination.threadId;
    this.calls.push(call);
    return { platform: this.platform, channelId: destination.channelId, postId };
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
