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

/** How a post is made: `key` makes it findable (findPost) and, where the platform can, idempotent. */
export interface PostOptions {
  key?: string;
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
  /** Present where the platform can open a dialog for this invoker now (see DialogCapability). */
  trigger?: DialogTrigger;
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
  /** Present where the platform can open a dialog for this clicker now (see DialogCapability). */
  trigger?: DialogTrigger;
}

/**
 * A submitted dialog, after the adapter verified its signed state: `action` and `payload` are
 * what the bot put in when it opened the dialog; `values` is what the person typed (untrusted,
 * every field as a string, absent ones as ''). `user` is who submitted, as the platform vouches.
 */
export interface DialogSubmission extends ActionEvent {
  values: Record<string, string>;
}

/** A dialog handler's answer: field errors keep the dialog open with the message under the field. */
export interface DialogAnswer {
  errors?: Record<string, string>;
  /** An error about the whole form, shown in the dialog. */
  error?: string;
}

/** What adapters call when something arrives. */
export interface InboundHandlers {
  onCommand(invocation: Invocation): Promise<void>;
  onAction(event: ActionEvent): Promise<void>;
  /** A dialog was submitted; undefined (or no errors) closes it. */
  onDialogSubmit?(submission: DialogSubmission): Promise<DialogAnswer | undefined>;
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
  post(destination: Destination, message: Message, options?: PostOptions): Promise<PostRef>;
  update(ref: PostRef, message: Message): Promise<void>;
  /**
   * The bot's post carrying `key` in the destination (its thread, when it has one), made after
   * `since`; absent where the platform (the shell) keeps no history to look in.
   */
  findPost?(destination: Destination, key: string, since: number): Promise<PostRef | undefined>;
  /** A link people can follow to one post (its permalink); absent where the platform has none. */
  permalink?(ref: PostRef): string | undefined;
  /** Incident rooms; absent where the platform (or this adapter) cannot make channels. */
  rooms?: RoomsCapability;
  /** Forms (Mattermost interactive dialogs); absent where the platform cannot show them. */
  dialogs?: DialogCapability;
}

/**
 * A form for one person: title, fields, and the handler (`action`) its submission goes to.
 * `payload` travels signed and expiring in the dialog's state, like a button's, and comes back
 * unchanged; the state is also bound to the person and channel it was opened for.
 */
export interface Dialog {
  /** At most 24 characters on Mattermost. */
  title: string;
  /** Markdown by coxswain shown above the fields; outside strings must be escaped. */
  introduction?: string;
  submitLabel?: string;
  action: string;
  payload: Record<string, string>;
  /** Epoch ms after which a submission is refused; adapters default to an hour. */
  expiresAt?: number;
  elements: DialogElement[];
}

/** One field. Labels at most 24 characters, help at most 150 (Mattermost's limits). */
export interface DialogElement {
  name: string;
  label: string;
  type: 'text' | 'textarea' | 'select';
  default?: string;
  placeholder?: string;
  help?: string;
  /** Fields are required unless optional. */
  optional?: boolean;
  maxLength?: number;
  /** For select: the choices; a submitted value outside them is refused. */
  options?: { label: string; value: string }[];
}

/**
 * The platform's short-lived handle for showing a dialog to the person who just clicked or typed
 * (Mattermost: the `trigger_id`, valid for the server's integration timeout), with where they did.
 * Opaque to the core: handlers pass it from the event to `open`.
 */
export interface DialogTrigger {
  platform: string;
  id: string;
  userId: string;
  channelId: string;
  postId?: string;
}

export interface DialogCapability {
  /** Shows the dialog to the trigger's person; rejects when the trigger is stale or the platform refuses. */
  open(trigger: DialogTrigger, dialog: Dialog): Promise<void>;
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
  /**
   * How message text links to a room on this platform (Rocket.Chat `#name`); absent means the
   * Mattermost form `~name`, which still reads as a name elsewhere.
   */
  mention?(room: { name: string }): string;
}

/** Thrown by RoomsCapability.create when a channel of that name exists (also an archived one). */
export class RoomExistsError extends Error {
  readonly code = 'room-exists';
  constructor(readonly roomName: string) {
    super(`a channel named ${roomName} exists already`);
  }
}
