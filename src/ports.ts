/**
 * The ports: the only way the core talks to the outside world. Adapters implement them; the
 * composition root (src/main.ts) wires concrete adapters in. Nothing else in src/ imports an adapter.
 */
import type { Message } from './message.js';

export type { Message } from './message.js';
export type { Store } from './store/store.js';

/** Where a message goes: a channel, optionally a thread in it. Ids are the platform's own. */
export interface Destination {
  channelId: string;
  threadId?: string;
}

/** A post the bot made, so it can be updated or replied to later. */
export interface PostRef {
  platform: string;
  channelId: string;
  postId: string;
  threadId?: string;
}

/** The person behind an invocation or a button click, as the chat platform vouches for them. */
export interface ChatUser {
  id: string;
  username: string;
  /** Group or team memberships the platform reports; used for role bindings. */
  groups: string[];
}

/** Where an invocation came from. */
export interface ChatChannel {
  id: string;
  name: string;
}

/**
 * How a command answers the person who ran it. The adapter builds one per invocation: ephemeral
 * means only the invoker sees it (where the platform can do that), in_channel means everyone.
 */
export interface Responder {
  reply(message: Message, visibility: 'ephemeral' | 'in_channel'): Promise<PostRef | undefined>;
  replyInThread(message: Message): Promise<PostRef | undefined>;
  update(ref: PostRef, message: Message): Promise<void>;
}

/** A typed command as it arrives from any chat platform. */
export interface Invocation {
  platform: string;
  user: ChatUser;
  channel: ChatChannel;
  /** The text after the command word, e.g. `drill run node-drain --cluster apps`. */
  text: string;
  /** Correlates logs, audit entries and replies. */
  requestId: string;
  responder: Responder;
}

/** A button click, after the adapter verified the payload's signature. */
export interface ActionEvent {
  platform: string;
  user: ChatUser;
  channel: ChatChannel;
  action: string;
  payload: Record<string, string>;
  post?: PostRef;
  requestId: string;
  responder: Responder;
}

/** What adapters call when something arrives. */
export interface InboundHandlers {
  onCommand(invocation: Invocation): Promise<void>;
  onAction(event: ActionEvent): Promise<void>;
}

/** One chat platform. */
export interface ChatPort {
  readonly platform: string;
  start(handlers: InboundHandlers): Promise<void>;
  stop(): Promise<void>;
  /** True while connected and able to post; drives /readyz and a metric. */
  isReady(): boolean;
  /** Resolves a channel name (as config writes it) to a destination. */
  resolveChannel(name: string): Promise<Destination>;
  post(destination: Destination, message: Message): Promise<PostRef>;
  update(ref: PostRef, message: Message): Promise<void>;
}
