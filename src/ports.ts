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
  /** Incident rooms; absent where the platform (or this adapter) cannot make channels. */
  rooms?: RoomsCapability;
}

/** A channel the bot created: the platform's id and the name as it was asked for. */
export interface Room extends Destination {
  name: string;
}

/**
 * What incident rooms need from a chat platform. Names are lowercase `[a-z0-9-]`, at most 64
 * characters; users are usernames without `@`, groups are the platform's group (Mattermost
 * group, Rocket.Chat team or role) names without `~`.
 */
export interface RoomsCapability {
  /** Creates the channel with the bot as a member; rejects with RoomExistsError when the name is taken. */
  create(name: string, options: { private: boolean; purpose?: string }): Promise<Room>;
  /** Adds people to the channel; people already in it, or unknown, are skipped and returned. */
  invite(room: Destination, people: { users: string[]; groups: string[] }): Promise<{ skipped: string[] }>;
  /** Pins a post the bot made to its channel. */
  pin(ref: PostRef): Promise<void>;
  /** Archives the channel: read-only, out of the sidebar, still searchable. */
  archive(room: Destination): Promise<void>;
  /** Uploads a file to the channel as a post with `message` (markdown) beside it. */
  attach(
    room: Destination,
    file: { name: string; content: string; mimeType: string },
    message: Message,
  ): Promise<PostRef>;
}

/** Thrown by RoomsCapability.create when a channel of that name exists (also an archived one). */
export class RoomExistsError extends Error {
  readonly code = 'room-exists';
  constructor(readonly roomName: string) {
    super(`a channel named ${roomName} exists already`);
  }
}
