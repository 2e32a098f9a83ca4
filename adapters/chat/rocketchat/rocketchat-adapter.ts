/**
 * The Rocket.Chat adapter. Three ways in, one way out:
 * - mentions (`@coxswain health`), DMs, and `/ops …` typed as a message (with
 *   `Message_AllowUnrecognizedSlashCommand` on) arrive over the realtime stream (realtime.ts);
 * - `/ops` and button clicks arrive from the coxswain Rocket.Chat App as signed HTTP requests
 *   to `/hooks/rocketchat/command` and `/hooks/rocketchat/action` (hook-signature.ts);
 * - without the App, buttons make the clicker post `@coxswain action <token>`, which arrives
 *   over the stream as that person's message.
 * Everything the bot says goes out through the REST API (rest-client.ts).
 */

import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseDuration } from '../../../src/duration.js';
import type { Logger } from '../../../src/log.js';
import type { Message } from '../../../src/message.js';
import type {
  ActionEvent,
  ChatPort,
  ChatUser,
  Destination,
  InboundHandlers,
  PostOptions,
  PostRef,
  Responder,
} from '../../../src/ports.js';
import type { ActionSigner } from '../../../src/security/signing.js';
import type { Store } from '../../../src/store/store.js';
import { signHookBody, verifyHookBody } from './hook-signature.js';
import { Realtime, type StreamMessage, type StreamMeta } from './realtime.js';
import { renderMessage, renderText } from './render.js';
import {
  type RestCredentials,
  RocketChatApiError,
  type RocketChatMessage,
  RocketChatRest,
} from './rest-client.js';
import { RocketChatRooms } from './rooms.js';
import { UserGroups } from './user-groups.js';

export const PLATFORM = 'rocketchat';
export const COMMAND_HOOK = '/hooks/rocketchat/command';
export const ACTION_HOOK = '/hooks/rocketchat/action';
/**
 * The message custom field that carries an alert post's key (PostOptions.key), for findPost. The
 * server stores custom fields only with Message_CustomFields_Enabled on and this field in the
 * Message_CustomFields schema (see the README).
 */
export const POST_KEY_FIELD = 'coxswain_post_key';
/** How often old inbound claims are dropped from the store. */
const PRUNE_EVERY_MS = 6 * 60 * 60 * 1000;
/** Inbound claims older than this are dropped: no resync after a reconnect reaches that far back. */
const CLAIMS_KEPT_MS = 2 * 24 * 60 * 60 * 1000;

export interface RocketChatAdapterOptions {
  url: string;
  /** A personal access token (recommended): the bot user's id and the token. */
  userId?: string | undefined;
  token?: string | undefined;
  /** Or a password login. */
  user?: string | undefined;
  password?: string | undefined;
  /** The coxswain App's id, when it is installed: buttons are rendered as UIKit blocks. */
  appId?: string;
  /** Shared with the App; signs hook requests both ways. Hooks are off without it. */
  appSecret?: string;
  trigger: string;
  signer: ActionSigner;
  log: Logger;
  now?: () => number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Longest wait for one REST call or App notice (a duration, `10s` by default). */
  requestTimeout?: string;
  /**
   * Where inbound messages are claimed. With a store, every replica hears every mention and DM
   * on its own realtime connection; the one that claims the message id in the store answers it.
   */
  store?: Store;
  /** This replica's name, recorded with its claims. */
  replica?: string;
}

/** What the App forwards for `/ops …`. */
export interface CommandHookBody {
  command: string;
  text: string;
  user: { id: string; username: string };
  room: { id: string; name?: string };
  threadId?: string;
  triggerId?: string;
}

/** What the App forwards for a block button click. */
export interface ActionHookBody {
  actionId: string;
  value: string;
  user: { id: string; username: string };
  room: { id: string; name?: string };
  messageId?: string;
  triggerId?: string;
}

export class RocketChatAdapter implements ChatPort {
  readonly platform = PLATFORM;
  readonly rest: RocketChatRest;
  readonly realtime: Realtime;
  readonly rooms: RocketChatRooms;
  private readonly groups: UserGroups;
  private handlers?: InboundHandlers;
  private readonly channels = new Map<string, string>();
  /** Name and type of the rooms seen (for permalinks): from rooms.info, the stream, rooms made. */
  private readonly known = new Map<string, { name: string; t: string }>();
  private readonly requestTimeoutMs: number;
  /** Set once the server refused a post's key custom field: posts go without it from then on. */
  private keysRefused = false;
  private pruneTimer?: ReturnType<typeof setInterval>;
  /** Mentions and DMs another replica claimed first (and answered). */
  claimedElsewhere = 0;
  private resolveEnded!: () => void;
  /** Resolves once the adapter has been stopped. */
  readonly ended = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });

  constructor(private readonly options: RocketChatAdapterOptions) {
    const log = options.log.child({ component: 'rocketchat' });
    this.requestTimeoutMs = parseDuration(options.requestTimeout ?? '10s') ?? 10_000;
    this.rest = new RocketChatRest({
      url: options.url,
      credentials: credentialsOf(options),
      timeoutMs: this.requestTimeoutMs,
      onTokenRejected: (endpoint) =>
        log.error(
          { endpoint },
          'rocket.chat refused the personal access token (401); it cannot be renewed by logging in, so coxswain is not ready until chat.rocketchat.token holds a valid token (create a new one under My Account → Personal Access Tokens)',
        ),
    });
    this.rooms = new RocketChatRooms(this.rest, PLATFORM, (name, id, t) => {
      this.channels.set(name, id);
      this.known.set(id, { name, t });
    });
    this.groups = new UserGroups(this.rest, log, () => this.now);
    const realtime: ConstructorParameters<typeof Realtime>[0] = {
      url: options.url,
      token: async (fresh) => (fresh || !this.rest.me ? await this.rest.login() : this.rest.me).authToken,
      onMessage: (message, meta) => {
        void this.onStreamMessage(message, meta).catch((error: unknown) =>
          options.log.error({ err: error, messageId: message._id }, 'rocket.chat message handling failed'),
        );
      },
      onResync: (since) => this.resync(since),
      log,
    };
    if (options.initialBackoffMs !== undefined) realtime.initialBackoffMs = options.initialBackoffMs;
    if (options.maxBackoffMs !== undefined) realtime.maxBackoffMs = options.maxBackoffMs;
    this.realtime = new Realtime(realtime);
  }

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get botUsername(): string {
    return this.rest.me?.username || this.options.user || '';
  }

  async start(handlers: InboundHandlers): Promise<void> {
    this.handlers = handlers;
    await this.rest.login();
    await this.realtime.start();
    if (this.options.store) {
      this.pruneClaims();
      this.pruneTimer = setInterval(() => this.pruneClaims(), PRUNE_EVERY_MS);
      this.pruneTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.handlers = undefined;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.realtime.stop();
    this.resolveEnded();
  }

  isReady(): boolean {
    return this.rest.me !== undefined && !this.rest.tokenRejected && this.realtime.isConnected();
  }

  async resolveChannel(name: string): Promise<Destination> {
    const roomName = name.replace(/^#/, '');
    let id = this.channels.get(roomName);
    if (!id) {
      const { room } = await this.rest.roomInfo({ roomName });
      id = room._id;
      this.channels.set(roomName, id);
      this.known.set(id, { name: room.name ?? roomName, t: room.t });
    }
    return { channelId: id };
  }

  /**
   * The link Rocket.Chat's "Copy link" gives, `<url>/channel/<name>?msg=<id>` (`/group/` for a
   * private group), for posts in rooms this process has seen; undefined for others and for DMs.
   */
  permalink(ref: PostRef): string | undefined {
    const room = this.known.get(ref.channelId);
    const kind = room?.t === 'c' ? 'channel' : room?.t === 'p' ? 'group' : undefined;
    if (!room || !kind) return undefined;
    const base = this.options.url.replace(/\/+$/, '');
    return `${base}/${kind}/${encodeURIComponent(room.name)}?msg=${encodeURIComponent(ref.postId)}`;
  }

  async post(destination: Destination, message: Message, options: PostOptions = {}): Promise<PostRef> {
    const rendered = renderMessage(message, this.renderOptions());
    const body: Record<string, unknown> = { rid: destination.channelId, ...rendered };
    if (destination.threadId) body.tmid = destination.threadId;
    let posted: RocketChatMessage;
    if (options.key && !this.keysRefused) {
      try {
        ({ message: posted } = await this.rest.sendMessage({
          ...body,
          customFields: { [POST_KEY_FIELD]: options.key },
        }));
      } catch (error) {
        if (!refusesCustomFields(error)) throw error;
        // Posting matters more than the key: without it a retry after a crash may post twice.
        this.keysRefused = true;
        this.options.log.error(
          { err: error },
          `rocket.chat refused the message custom field ${POST_KEY_FIELD}: alert posts go without their key, so a post made just before a crash can be posted again; turn on Message_CustomFields_Enabled and add ${POST_KEY_FIELD} (a string) to the Message_CustomFields schema (see the README)`,
        );
        ({ message: posted } = await this.rest.sendMessage(body));
      }
    } else ({ message: posted } = await this.rest.sendMessage(body));
    const ref: PostRef = { platform: PLATFORM, channelId: posted.rid, postId: posted._id };
    if (destination.threadId) ref.threadId = destination.threadId;
    return ref;
  }

  /**
   * The bot's message with this key in the room (or thread) since `since`: the room's messages
   * created or changed since then (chat.syncMessages, which the server answers unpaged), matched
   * on the key custom field. A minute of slack absorbs the server's clock against ours.
   */
  async findPost(destination: Destination, key: string, since: number): Promise<PostRef | undefined> {
    const me = this.rest.me;
    if (!me) throw new Error('rocket.chat: findPost before login');
    const { result } = await this.rest.syncMessages(
      destination.channelId,
      new Date(Math.max(0, since - 60_000)),
    );
    const found = (result.updated as unknown as KeyedMessage[]).find(
      (m) =>
        m.u?._id === me.userId &&
        m.t === undefined &&
        m.customFields?.[POST_KEY_FIELD] === key &&
        (m.tmid || undefined) === destination.threadId,
    );
    if (!found) return undefined;
    const ref: PostRef = { platform: PLATFORM, channelId: found.rid, postId: found._id };
    if (found.tmid) ref.threadId = found.tmid;
    return ref;
  }

  /**
   * Replaces text and attachments through the Meteor method `updateMessage` over the realtime
   * connection: REST `chat.update` takes only the text (rest-typings' `isChatUpdateProps` refuses
   * `attachments`), so buttons would outlive an update that removes them. `attachments: []` is
   * sent explicitly when the new message has none. UIKit blocks are not editable that way (the
   * method refuses `blocks`); they stay, and a second click on a used token is refused by the store.
   * While the stream is down, REST `chat.update` changes the text at least, and says so in the log.
   */
  async update(ref: PostRef, message: Message): Promise<void> {
    const rendered = renderMessage(message, { ...this.renderOptions(), appId: undefined });
    if (this.realtime.isConnected()) {
      try {
        await this.realtime.call('updateMessage', {
          _id: ref.postId,
          rid: ref.channelId,
          msg: rendered.msg,
          attachments: rendered.attachments ?? [],
        });
        return;
      } catch (error) {
        this.options.log.warn(
          { err: error, postId: ref.postId },
          'rocket.chat updateMessage over the realtime connection failed; updating the text over REST',
        );
      }
    } else {
      this.options.log.warn(
        { postId: ref.postId },
        'rocket.chat realtime is down: updating only the text over REST (old buttons stay until the next update)',
      );
    }
    await this.rest.updateMessage(ref.channelId, ref.postId, rendered.msg);
  }

  /** Pins a post (an incident's summary, say). */
  async pin(ref: PostRef): Promise<void> {
    await this.rooms.pin(ref);
  }

  /** Creates a public channel or a private group with these members; returns its id. */
  async createRoom(name: string, options: { private: boolean; members?: string[] }): Promise<string> {
    return this.rooms.createRoom(name, options);
  }

  async invite(roomId: string, username: string): Promise<void> {
    const { skipped } = await this.rooms.invite({ channelId: roomId }, { users: [username], groups: [] });
    if (skipped.length > 0) throw new Error(`Rocket.Chat has no user ${username}`);
  }

  async archive(roomId: string): Promise<void> {
    await this.rooms.archive({ channelId: roomId });
  }

  /** Opens (or finds) the DM with a user and posts there. */
  async directMessage(username: string, message: Message): Promise<PostRef> {
    const { room } = await this.rest.createDirect(username);
    return this.post({ channelId: room._id }, message);
  }

  /** Fetches what was posted while the stream was down, oldest first, and handles it once. */
  private async resync(sinceMs: number): Promise<void> {
    const { update } = await this.rest.subscriptions();
    const missed: Array<{ message: StreamMessage; meta: StreamMeta }> = [];
    for (const room of update) {
      const { result } = await this.rest.syncMessages(room.rid, new Date(Math.max(0, sinceMs)));
      for (const message of result.updated as unknown as StreamMessage[]) {
        const meta: StreamMeta = { roomType: room.t };
        if (room.name) meta.roomName = room.name;
        missed.push({ message, meta });
      }
    }
    missed.sort((a, b) => String(a.message.ts).localeCompare(String(b.message.ts)));
    for (const { message, meta } of missed) this.realtime.deliver(message, meta);
  }

  /** Adds the App's hook routes. Call before the HTTP server listens. */
  registerRoutes(http: FastifyInstance): void {
    const secret = this.options.appSecret;
    if (!secret) return;
    void http.register(async (scope) => {
      // The signature covers the raw body, so this scope keeps it as a string.
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
        done(null, body),
      );
      scope.post(COMMAND_HOOK, async (request, reply) => {
        const body = this.verified<CommandHookBody>(secret, request);
        if (typeof body === 'string') return reply.code(401).send({ error: body });
        if (!this.handlers)
          return reply.code(503).send({ error: 'coxswain is starting or stopping; try again.' });
        if (typeof body.text !== 'string' || !body.user?.id || !body.room?.id)
          return reply.code(400).send({ error: 'command, text, user and room are required' });
        // Acknowledge now; the answer is posted when the command finishes.
        void this.dispatchCommand(body, { channelId: body.room.id }).catch((error: unknown) =>
          this.options.log.error({ err: error }, 'rocket.chat command failed'),
        );
        return reply.send({ ok: true });
      });
      scope.post(ACTION_HOOK, async (request, reply) => {
        const body = this.verified<ActionHookBody>(secret, request);
        if (typeof body === 'string') return reply.code(401).send({ error: body });
        if (!this.handlers)
          return reply.code(503).send({ error: 'coxswain is starting or stopping; try again.' });
        const verified = this.options.signer.verify(String(body.value ?? ''), this.now);
        if ('refused' in verified || verified.action !== body.actionId) {
          const why = 'refused' in verified ? verified.refused : 'action mismatch';
          this.options.log.warn({ why, user: body.user?.username }, 'rocket.chat button refused');
          return reply.code(403).send({ error: `That button is not valid (${why}).` });
        }
        // Acknowledge now; the clicker's groups are looked up and the action run meanwhile.
        void this.actionEvent(body.user, body.room, verified.action, verified.payload)
          .then((event) => {
            if (body.messageId)
              event.post = { platform: PLATFORM, channelId: body.room.id, postId: body.messageId };
            return this.handlers?.onAction(event);
          })
          .catch((error: unknown) => this.options.log.error({ err: error }, 'rocket.chat action failed'));
        return reply.send({ ok: true });
      });
    });
  }

  private verified<T>(secret: string, request: FastifyRequest): T | string {
    const raw = typeof request.body === 'string' ? request.body : '';
    const refused = verifyHookBody(secret, raw, request.headers, this.now);
    if (refused) {
      this.options.log.warn({ refused, url: request.url }, 'rocket.chat hook request refused');
      return refused;
    }
    try {
      return JSON.parse(raw) as T;
    } catch {
      return 'malformed body';
    }
  }

  private async onStreamMessage(message: StreamMessage, meta: StreamMeta): Promise<void> {
    const me = this.rest.me;
    if (!me || !this.handlers) return;
    // Own posts, edits and system messages are not commands. The sender id decides "own"; the
    // `bot` field is not relied on (see the README on 7.x).
    if (message.u._id === me.userId || message.editedAt || message.t) return;
    const text = message.msg.trim();
    // Usernames may contain `.` and `-`: `@coxswain-dev` is not a mention of `@coxswain`.
    const mention = new RegExp(`^@${escapeRegExp(me.username)}(?![\\w.-])[:,]?\\s*`, 'i');
    const trigger = this.options.trigger;
    let command: string | undefined;
    if (mention.test(text)) command = text.replace(mention, '');
    else if (text === trigger || text.startsWith(`${trigger} `)) command = text.slice(trigger.length);
    else if (meta.roomType === 'd') command = text;
    if (command === undefined) return;
    if (!(await this.claim(message._id))) return;
    command = command.trim();
    const room = { id: message.rid, name: meta.roomName ?? message.rid };
    if (meta.roomName && meta.roomType) this.known.set(room.id, { name: meta.roomName, t: meta.roomType });
    const user = { id: message.u._id, username: message.u.username };
    const action = /^action\s+(\S+)$/.exec(command);
    if (action) {
      await this.clickByMessage(user, room, action[1] as string, message);
      return;
    }
    // In a channel, private answers go to a thread under the asker's message; in a DM, inline.
    const privateTo: Destination =
      meta.roomType === 'd'
        ? { channelId: room.id }
        : { channelId: room.id, threadId: message.tmid ?? message._id };
    const replyTo: Destination = message.tmid
      ? { channelId: room.id, threadId: message.tmid }
      : { channelId: room.id };
    await this.handlers.onCommand({
      platform: PLATFORM,
      user: await this.chatUser(user),
      channel: room,
      text: command,
      requestId: randomUUID(),
      responder: this.responder(replyTo, privateTo, message._id),
    });
  }

  /**
   * Whether this replica answers the message: the first to claim its id in the store does.
   * Without a store there is one replica. A store that cannot be reached answers nothing rather
   * than everything twice; the message is forgotten by the stream, so a resync after a reconnect
   * offers it again.
   */
  private async claim(messageId: string): Promise<boolean> {
    const store = this.options.store;
    if (!store) return true;
    try {
      const mine = await store.claimChatPost(PLATFORM, messageId, this.options.replica ?? 'local', this.now);
      if (!mine) this.claimedElsewhere++;
      return mine;
    } catch (error) {
      this.options.log.error(
        { err: error, messageId },
        'could not claim a rocket.chat message in the store; not answering it now (a resync after a reconnect retries)',
      );
      this.realtime.forget(messageId);
      return false;
    }
  }

  private pruneClaims(): void {
    this.options.store
      ?.pruneChatClaims(this.now - CLAIMS_KEPT_MS)
      .catch((error: unknown) =>
        this.options.log.warn({ err: error }, 'pruning old rocket.chat claims failed'),
      );
  }

  private async clickByMessage(
    user: { id: string; username: string },
    room: { id: string; name?: string },
    token: string,
    message: StreamMessage,
  ): Promise<void> {
    const verified = this.options.signer.verify(token, this.now);
    if ('refused' in verified) {
      await this.post(
        { channelId: room.id, threadId: message.tmid ?? message._id },
        { text: `That button is not valid (${verified.refused}).` },
      );
      return;
    }
    await this.handlers?.onAction(await this.actionEvent(user, room, verified.action, verified.payload));
  }

  private async dispatchCommand(body: CommandHookBody, here: Destination): Promise<void> {
    const replyTo: Destination = body.threadId ? { ...here, threadId: body.threadId } : here;
    await this.handlers?.onCommand({
      platform: PLATFORM,
      user: await this.chatUser(body.user),
      channel: { id: body.room.id, name: body.room.name ?? body.room.id },
      text: body.text.trim(),
      requestId: randomUUID(),
      responder: this.responder(replyTo, undefined, undefined, body.user.id),
    });
  }

  private async actionEvent(
    user: { id: string; username: string },
    room: { id: string; name?: string },
    action: string,
    payload: Record<string, string>,
  ): Promise<ActionEvent> {
    return {
      platform: PLATFORM,
      user: await this.chatUser(user),
      channel: { id: room.id, name: room.name ?? room.id },
      action,
      payload,
      requestId: randomUUID(),
      responder: this.responder({ channelId: room.id }, undefined, undefined, user.id),
    };
  }

  /**
   * Ephemeral answers: through the App's notify endpoint when the App sent the request (only the
   * user sees it), else to `privateTo` (a thread under the asker's message, or the DM itself).
   * Rocket.Chat's REST API has no ephemeral post, so without the App "ephemeral" means that.
   */
  private responder(
    replyTo: Destination,
    privateTo?: Destination,
    threadRoot?: string,
    notifyUserId?: string,
  ): Responder {
    return {
      reply: async (message, visibility) => {
        // A notice cannot be updated later, so one with buttons is posted instead.
        const buttons = (message.buttons?.length ?? 0) > 0;
        if (
          visibility === 'ephemeral' &&
          !buttons &&
          notifyUserId &&
          this.options.appId &&
          this.options.appSecret
        ) {
          await this.notify(notifyUserId, replyTo.channelId, message);
          return undefined;
        }
        return this.post(visibility === 'ephemeral' && privateTo ? privateTo : replyTo, message);
      },
      replyInThread: (message) => {
        const threadId = replyTo.threadId ?? threadRoot;
        return this.post(threadId ? { channelId: replyTo.channelId, threadId } : replyTo, message);
      },
      update: (ref, message) => this.update(ref, message),
    };
  }

  private async notify(userId: string, roomId: string, message: Message): Promise<void> {
    const body = JSON.stringify({ userId, roomId, text: renderText(message) });
    const url = `${this.options.url.replace(/\/+$/, '')}/api/apps/public/${this.options.appId}/notify`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signHookBody(this.options.appSecret ?? '', body, this.now),
      },
      body,
      signal: AbortSignal.timeout(this.requestTimeoutMs),
    });
    if (!response.ok) throw new Error(`the coxswain App refused a notice (${response.status})`);
  }

  /** The user as role bindings see them: their roles and teams (user-groups.ts). */
  private async chatUser(user: { id: string; username: string }): Promise<ChatUser> {
    return { id: user.id, username: user.username, groups: await this.groups.of(user.id) };
  }

  private renderOptions() {
    const options: Parameters<typeof renderMessage>[1] = {
      signer: this.options.signer,
      now: this.now,
      botUsername: this.botUsername,
    };
    if (this.options.appId && this.options.appSecret) options.appId = this.options.appId;
    return options;
  }
}

/** A message as chat.syncMessages lists it, with the fields findPost reads. */
interface KeyedMessage extends RocketChatMessage {
  u?: { _id: string };
  /** Set on system messages, including a removed message's `rm` placeholder. */
  t?: string;
  customFields?: Record<string, unknown>;
}

/**
 * The server's answer when custom fields are off or the schema does not allow the key
 * (validateCustomMessageFields: "Custom fields not enabled", "Invalid custom fields").
 */
function refusesCustomFields(error: unknown): boolean {
  return error instanceof RocketChatApiError && error.status === 400 && /custom fields/i.test(error.message);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The REST credentials from the config: a personal access token wins; else user and password. */
function credentialsOf(options: RocketChatAdapterOptions): RestCredentials {
  if (options.userId && options.token) return { userId: options.userId, token: options.token };
  if (options.user && options.password) return { user: options.user, password: options.password };
  throw new Error(
    'chat.rocketchat needs a login: userId and token (a personal access token), or user and password',
  );
}
