/**
 * The Mattermost adapter. Three ways in, one way out:
 * - `/ops …` (the trigger is configurable) arrives as Mattermost's form-encoded POST to
 *   `/hooks/mattermost/command`, checked against the token Mattermost generated when the bot
 *   registered the command in each configured team (verify-request.ts); acknowledged at once,
 *   answered later through `response_url` (ephemeral) or a bot post (in channel);
 * - mentions (`@coxswain health`) and DMs arrive as `posted` events on the WebSocket
 *   (websocket.ts), and, for what was said while the bot was away (a restart, an outage the
 *   server could not replay), from a REST catch-up (catch-up.ts) that feeds the same path;
 * - button clicks arrive as Mattermost's JSON POST to `/hooks/mattermost/action`; the action's
 *   context carries the ActionSigner token, which is verified before anything runs, and the
 *   click runs as the clicking user (action-ack.ts answers with `update` / `ephemeral_text`);
 * - dialog submissions arrive as Mattermost's JSON POST to `/hooks/mattermost/dialog`; the
 *   dialog's state is a signed token bound to the person and channel it was opened for
 *   (dialog.ts), and field errors go back on the response for Mattermost to show.
 * Dialogs open with the `trigger_id` of the click or command that asked for them.
 * Everything the bot says goes out through the REST API (rest-client.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../../src/duration.js';
import type { Logger } from '../../../src/log.js';
import type { Message } from '../../../src/message.js';
import {
  type ActionEvent,
  type ChatPort,
  type ChatUser,
  type Destination,
  type Dialog,
  type DialogAnswer,
  type DialogCapability,
  type DialogSubmission,
  type DialogTrigger,
  type InboundHandlers,
  type Invocation,
  type PostOptions,
  type PostRef,
  type Responder,
  type Room,
  RoomExistsError,
  type RoomsCapability,
} from '../../../src/ports.js';
import type { CommandGroup } from '../../../src/router/spec.js';
import type { ActionSigner } from '../../../src/security/signing.js';
import type { Store } from '../../../src/store/store.js';
import { escapeChat } from '../../../src/text/escape.js';
import { ActionAck } from './action-ack.js';
import { commandRegistration } from './autocomplete.js';
import {
  ANY_CHANNEL,
  awayNotice,
  catchUpSince,
  DEFAULT_MISSED_COMMAND_MAX_AGE_MS,
  LOOK_BACK_MS,
  newPostsSince,
  SeenIds,
  tooOldToRun,
} from './catch-up.js';
import { type DialogRequest, dialogState, renderDialog, verifySubmission } from './dialog.js';
import { renderPost, renderText } from './render.js';
import { MattermostRest, statusOf } from './rest-client.js';
import { CommandTokens } from './verify-request.js';
import { MattermostSocket, type PostedMeta, type PostedPost } from './websocket.js';

export const PLATFORM = 'mattermost';
export const COMMAND_HOOK = '/hooks/mattermost/command';
export const ACTION_HOOK = '/hooks/mattermost/action';
export const DIALOG_HOOK = '/hooks/mattermost/dialog';
/** The post prop that carries an alert post's key (PostOptions.key), for findPost. */
export const POST_KEY_PROP = 'coxswain_post_key';

export interface MattermostAdapterOptions {
  url: string;
  token: string;
  /** Team names: the command is registered in each; channels are looked up in the first. */
  teams: string[];
  /** The user who owns the slash command (bots cannot); the bot needs to manage others' commands. */
  commandOwner?: string;
  /** How Mattermost reaches coxswain: command and action URLs hang off it. */
  publicUrl?: string;
  trigger: string;
  groups: readonly CommandGroup[];
  signer: ActionSigner;
  log: Logger;
  now?: () => number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  jitterMs?: number;
  /** How long a button click may take to answer on the HTTP response itself. */
  actionWindowMs?: number;
  /**
   * How long a dialog submission may take to answer (field errors) on the HTTP response; keep it
   * under the server's OutgoingIntegrationRequestsTimeout (30 s by default).
   */
  dialogWindowMs?: number;
  maxRetries?: number;
  /** Longest wait for one REST call (a duration, `10s` by default); a hung call fails and is retried. */
  requestTimeout?: string;
  onRateLimited?: (waitMs: number) => void;
  /**
   * Where the catch-up cursors live (the newest post handled per channel); without a store the
   * bot hears only what the WebSocket delivers.
   */
  store?: Store;
  /** Missed commands older than this (a duration, `10m` by default) are answered, not run. */
  missedCommandMaxAge?: string;
  /**
   * This replica's name. With a store, every replica hears every mention and DM on its own
   * WebSocket; the one that claims the post in the store (by post id) answers it.
   */
  replica?: string;
}

/** The form Mattermost posts to a custom slash command's URL. */
export interface CommandForm {
  channel_id?: string;
  channel_name?: string;
  command?: string;
  response_url?: string;
  root_id?: string;
  team_domain?: string;
  team_id?: string;
  text?: string;
  token?: string;
  trigger_id?: string;
  user_id?: string;
  user_name?: string;
}

/** The JSON Mattermost posts to an integration action's URL. */
export interface ActionRequest {
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  team_id?: string;
  post_id?: string;
  trigger_id?: string;
  context?: { action?: unknown; token?: unknown };
}

const GROUPS_TTL_MS = 60_000;
/** How often old inbound claims are dropped from the store. */
const PRUNE_EVERY_MS = 6 * 60 * 60 * 1000;
/** Mattermost's largest page of users. */
const GROUP_PAGE = 200;

export class MattermostAdapter implements ChatPort {
  readonly platform = PLATFORM;
  readonly rest: MattermostRest;
  readonly socket: MattermostSocket;
  readonly tokens = new CommandTokens();
  readonly rooms: RoomsCapability;
  /** Present with a publicUrl: Mattermost posts submissions there. */
  readonly dialogs?: DialogCapability;
  me?: { id: string; username: string };
  /** The address people open Mattermost at (its SiteURL), for permalinks; chat.mattermost.url until known. */
  private siteUrl?: string;
  /** Hook requests refused (bad command token, bad button token); logged and counted. */
  refused = { commands: 0, actions: 0, dialogs: 0 };
  private handlers?: InboundHandlers;
  private teamIds: { name: string; id: string }[] = [];
  private readonly channels = new Map<string, string>();
  private readonly userGroups = new Map<string, { username: string; groups: string[]; at: number }>();
  /** Posts taken from either path (WebSocket or catch-up), so none is handled twice. */
  private readonly takenPosts = new SeenIds();
  private catchUpRun?: Promise<void>;
  private pruneTimer?: NodeJS.Timeout;
  private catchUpAgain = false;
  private readonly missedCommandMaxAgeMs: number;
  private readonly requestTimeoutMs: number;
  /** Mentions and DMs another replica claimed first (and answered). */
  claimedElsewhere = 0;
  /** Catch-ups finished, posts they fed in, and missed commands answered instead of run. */
  caughtUp = { runs: 0, posts: 0, tooOld: 0 };
  private resolveEnded!: () => void;
  /** Resolves once the adapter has been stopped. */
  readonly ended = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });

  constructor(private readonly options: MattermostAdapterOptions) {
    const maxAge = options.missedCommandMaxAge;
    const parsed = maxAge === undefined ? undefined : parseDuration(maxAge);
    if (maxAge !== undefined && parsed === undefined)
      throw new Error(
        `chat.mattermost.missedCommandMaxAge: ${JSON.stringify(maxAge)} is not a duration like 10m or 1h`,
      );
    this.missedCommandMaxAgeMs = parsed ?? DEFAULT_MISSED_COMMAND_MAX_AGE_MS;
    const rest: ConstructorParameters<typeof MattermostRest>[0] = {
      url: options.url,
      token: options.token,
      onRateLimited: (waitMs, url) => {
        options.log.warn({ waitMs, url }, 'mattermost rate limit hit; waiting as Retry-After asks');
        options.onRateLimited?.(waitMs);
      },
    };
    if (options.maxRetries !== undefined) rest.maxRetries = options.maxRetries;
    this.requestTimeoutMs = parseDuration(options.requestTimeout ?? '10s') ?? 10_000;
    rest.timeoutMs = this.requestTimeoutMs;
    this.rest = new MattermostRest(rest);
    const socket: ConstructorParameters<typeof MattermostSocket>[0] = {
      url: options.url,
      token: options.token,
      log: options.log.child({ component: 'mattermost' }),
      onPosted: (post, meta) => {
        void this.onPosted(post, meta).catch((error: unknown) =>
          options.log.error({ err: error, postId: post.id }, 'mattermost message handling failed'),
        );
      },
      onMissed: () => void this.catchUp(),
    };
    if (options.initialBackoffMs !== undefined) socket.initialBackoffMs = options.initialBackoffMs;
    if (options.maxBackoffMs !== undefined) socket.maxBackoffMs = options.maxBackoffMs;
    if (options.jitterMs !== undefined) socket.jitterMs = options.jitterMs;
    this.socket = new MattermostSocket(socket);
    this.rooms = {
      create: (name, opts) => this.createRoom(name, opts),
      invite: (room, people) => this.invite(room, people),
      pin: (ref) => this.pin(ref),
      archive: (room) => this.archive(room),
      attach: (room, file, message) => this.attach(room, file, message),
    };
    if (options.publicUrl) this.dialogs = { open: (trigger, dialog) => this.openDialog(trigger, dialog) };
  }

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get base(): string | undefined {
    return this.options.publicUrl?.replace(/\/+$/, '');
  }

  async start(handlers: InboundHandlers): Promise<void> {
    this.handlers = handlers;
    const me = await this.rest.getMe();
    this.me = { id: me.id, username: me.username };
    // The bot may reach the server at an inside address; people's links need the public one.
    const site = await this.rest.getClientConfig().catch(() => undefined);
    if (site?.SiteURL) this.siteUrl = site.SiteURL;
    this.teamIds = [];
    for (const name of this.options.teams) {
      const team = await this.rest.getTeamByName(name);
      this.teamIds.push({ name, id: team.id });
    }
    await this.registerCommands();
    await this.socket.start();
    this.pruneClaims();
    this.pruneTimer = setInterval(() => this.pruneClaims(), PRUNE_EVERY_MS);
    this.pruneTimer.unref?.();
    // What was said while the bot was down; the WebSocket (up now) covers everything after.
    void this.catchUp();
  }

  /**
   * Starts a catch-up, or, while one runs (a reconnect during a catch-up), one more after it.
   * Resolves when no catch-up is left to run; failures are logged, never thrown.
   */
  catchUp(): Promise<void> {
    if (this.catchUpRun) {
      this.catchUpAgain = true;
      return this.catchUpRun;
    }
    const run = (async () => {
      do {
        this.catchUpAgain = false;
        try {
          await this.catchUpOnce();
        } catch (error) {
          this.options.log.error(
            { err: error },
            'mattermost catch-up failed; messages sent while coxswain was away may be unanswered until the next reconnect',
          );
        }
      } while (this.catchUpAgain && this.handlers);
    })().finally(() => {
      this.catchUpRun = undefined;
    });
    this.catchUpRun = run;
    return run;
  }

  /** Waits for a running catch-up (tests, shutdown). */
  catchingUp(): Promise<void> {
    return this.catchUpRun ?? Promise.resolve();
  }

  /** Fetches every channel's posts since its cursor and feeds the new ones in, oldest first. */
  private async catchUpOnce(): Promise<void> {
    const store = this.options.store;
    if (!store || !this.me || !this.handlers) return;
    const now = this.now;
    const cursors = await store.listChatCursors(PLATFORM);
    if (cursors[ANY_CHANNEL] === undefined) {
      // The first run with this store: nothing was missed; from now on handled posts are tracked.
      await store.advanceChatCursor(PLATFORM, ANY_CHANNEL, now);
      this.caughtUp.runs++;
      return;
    }
    // A team's channel list includes the bot's DMs and group messages.
    const channels = new Map<string, { id: string; type: string; name: string }>();
    for (const team of this.teamIds)
      for (const channel of await this.rest.getMyChannels(team.id))
        if (!channel.delete_at) channels.set(channel.id, channel);
    let fed = 0;
    for (const channel of channels.values()) {
      const since = catchUpSince(cursors, channel.id, now);
      if (since === undefined) continue;
      try {
        const list = await this.rest.getPostsSince(channel.id, since);
        const posts = newPostsSince(list, since);
        // The server answers at most 1000 changed posts; older ones than those are not seen.
        if (list.order.length >= 1000)
          this.options.log.warn(
            { channel: channel.name },
            'mattermost catch-up: more than 1000 posts missed',
          );
        for (const post of posts) {
          const meta: PostedMeta = { channelType: channel.type, channelName: channel.name, mentions: [] };
          if (await this.takePost(post, meta)) fed++;
        }
        const newest = posts.at(-1)?.create_at;
        if (newest) await this.advanceCursor(channel.id, newest);
      } catch (error) {
        this.options.log.error(
          { err: error, channel: channel.name },
          'mattermost catch-up of a channel failed',
        );
      }
    }
    this.caughtUp.runs++;
    this.caughtUp.posts += fed;
    this.options.log.info({ channels: channels.size, commands: fed }, 'mattermost caught up');
  }

  /**
   * Whether this replica answers the post: the first to claim it in the store does. Without a
   * store there is one replica. A store that cannot be reached answers nothing rather than
   * everything twice: the post stays unclaimed and the catch-up after a reconnect finds it.
   */
  private async claim(postId: string): Promise<boolean> {
    const store = this.options.store;
    if (!store) return true;
    try {
      const mine = await store.claimChatPost(PLATFORM, postId, this.options.replica ?? 'local', this.now);
      if (!mine) this.claimedElsewhere++;
      return mine;
    } catch (error) {
      this.options.log.error(
        { err: error, postId },
        'could not claim a mattermost message in the store; not answering it now (the next catch-up retries)',
      );
      this.takenPosts.forget(postId);
      return false;
    }
  }

  /**
   * Drops inbound claims older than twice the catch-up's look-back: no path can bring those posts
   * back, so the table holds only days of mentions, not years.
   */
  private pruneClaims(): void {
    const store = this.options.store;
    if (!store) return;
    store
      .pruneChatClaims(this.now - 2 * LOOK_BACK_MS)
      .catch((error: unknown) =>
        this.options.log.warn({ err: error }, 'pruning old mattermost claims failed'),
      );
  }

  /** Stores that the bot has handled posts up to `at` in the channel; failures are logged. */
  private async advanceCursor(channelId: string, at: number | undefined): Promise<void> {
    const store = this.options.store;
    if (!store || !at) return;
    try {
      await store.advanceChatCursor(PLATFORM, channelId, at);
      await store.advanceChatCursor(PLATFORM, ANY_CHANNEL, at);
    } catch (error) {
      this.options.log.error(
        { err: error, channelId },
        'could not store the mattermost catch-up cursor; after a restart this message may be answered again',
      );
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    this.handlers = undefined;
    this.socket.stop();
    this.resolveEnded();
  }

  isReady(): boolean {
    return this.me !== undefined && this.socket.isConnected();
  }

  /** Registers, or updates, the slash command in every configured team and keeps its token. */
  async registerCommands(): Promise<void> {
    const base = this.base;
    if (!base || !this.options.commandOwner) {
      this.options.log.warn(
        'chat.mattermost.publicUrl or commandOwner is not set: the slash command is not registered; mentions and DMs still work',
      );
      return;
    }
    const owner = await this.rest.getUserByUsername(this.options.commandOwner.replace(/^@/, ''));
    for (const team of this.teamIds) {
      const wanted = commandRegistration({
        teamId: team.id,
        trigger: this.options.trigger,
        url: `${base}${COMMAND_HOOK}`,
        creatorId: owner.id,
        groups: this.options.groups,
      });
      try {
        const existing = (await this.rest.getCustomTeamCommands(team.id)).find(
          (command) => command.trigger === wanted.trigger && !command.delete_at,
        );
        const saved = existing
          ? await this.rest.editCommand({ ...existing, ...wanted })
          : await this.rest.addCommand(wanted as never);
        this.tokens.set(team.id, saved.token);
        this.options.log.info(
          { team: team.name, trigger: wanted.trigger, updated: existing !== undefined },
          'mattermost slash command registered',
        );
      } catch (error) {
        this.options.log.error(
          { err: error, team: team.name },
          `could not register ${this.options.trigger} in team ${team.name}: make the bot a team admin there (it must manage others' slash commands) and restart`,
        );
      }
    }
  }

  async resolveChannel(name: string): Promise<Destination> {
    const [teamName, channelName] = name.includes('/') ? name.split('/', 2) : [undefined, name];
    const clean = (channelName as string).replace(/^[#~]/, '');
    const team = teamName ? this.teamIds.find((t) => t.name === teamName) : this.teamIds[0];
    if (!team)
      throw new Error(`channel ${name}: team ${teamName ?? '(none)'} is not in chat.mattermost.teams`);
    const key = `${team.id}/${clean}`;
    let id = this.channels.get(key);
    if (!id) {
      id = (await this.rest.getChannelByName(team.id, clean)).id;
      this.channels.set(key, id);
    }
    return { channelId: id };
  }

  async post(destination: Destination, message: Message, options: PostOptions = {}): Promise<PostRef> {
    const rendered = renderPost(message, this.renderOptions());
    const body: {
      channel_id: string;
      message: string;
      root_id?: string;
      props?: object;
      pending_post_id?: string;
    } = {
      channel_id: destination.channelId,
      message: rendered.message,
    };
    if (destination.threadId) body.root_id = destination.threadId;
    if (rendered.props) body.props = rendered.props;
    if (options.key) {
      // The server answers a repeat of this pending_post_id within 30 s with the post it made
      // (deduplicateCreatePost); the prop lets findPost find the post after that.
      body.pending_post_id = options.key;
      body.props = { ...rendered.props, [POST_KEY_PROP]: options.key };
    }
    const posted = await this.asMember(destination.channelId, () => this.rest.createPost(body as never));
    const ref: PostRef = { platform: PLATFORM, channelId: posted.channel_id, postId: posted.id };
    if (posted.root_id) ref.threadId = posted.root_id;
    return ref;
  }

  /**
   * The bot's post with this key in the channel (or thread) since `since`: fetched with the
   * channel's posts changed since then (up to the server's 1000), matched on the key prop.
   */
  async findPost(destination: Destination, key: string, since: number): Promise<PostRef | undefined> {
    const me = this.requireMe();
    // A minute of slack for the server's clock against ours.
    const list = await this.rest.getPostsSince(destination.channelId, Math.max(0, since - 60_000));
    const found = Object.values(list.posts ?? {}).find(
      (post) =>
        post.user_id === me.id &&
        !post.delete_at &&
        post.props?.[POST_KEY_PROP] === key &&
        (post.root_id || undefined) === destination.threadId,
    );
    if (!found) return undefined;
    const ref: PostRef = { platform: PLATFORM, channelId: found.channel_id, postId: found.id };
    if (found.root_id) ref.threadId = found.root_id;
    return ref;
  }

  async update(ref: PostRef, message: Message): Promise<void> {
    const rendered = renderPost(message, this.renderOptions());
    // The patch replaces props whole, so a plain message drops the old attachments.
    await this.rest.patchPost({
      id: ref.postId,
      message: rendered.message,
      props: rendered.props ?? { attachments: [] },
    } as never);
  }

  /**
   * `<site>/<team>/pl/<post id>`, which Mattermost opens in the post's own team and channel; the
   * site is the server's SiteURL, or chat.mattermost.url where the server does not say.
   */
  permalink(ref: PostRef): string | undefined {
    const team = this.teamIds[0];
    if (!team) return undefined;
    return `${(this.siteUrl ?? this.options.url).replace(/\/+$/, '')}/${team.name}/pl/${ref.postId}`;
  }

  /** Opens (or finds) the DM with a user and posts there. */
  async directMessage(username: string, message: Message): Promise<PostRef> {
    const me = this.requireMe();
    const user = await this.rest.getUserByUsername(username.replace(/^@/, ''));
    const channel = await this.rest.createDirectChannel([me.id, user.id]);
    return this.post({ channelId: channel.id }, message);
  }

  /** Adds the command and action hook routes. Call before the HTTP server listens. */
  registerRoutes(http: FastifyInstance): void {
    void http.register(async (scope) => {
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: 64 * 1024 },
        (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
      );
      scope.post(COMMAND_HOOK, async (request, reply) => {
        const form = (request.body ?? {}) as CommandForm;
        const auth = request.headers.authorization;
        const refused = this.tokens.check(form.token, typeof auth === 'string' ? auth : undefined);
        if (refused) {
          this.refused.commands++;
          this.options.log.warn({ refused, user: form.user_name }, 'mattermost command request refused');
          return reply.code(401).send({ text: `Refused: ${refused}.` });
        }
        if (!form.user_id || !form.channel_id)
          return reply.code(400).send({ text: 'user_id and channel_id are required' });
        void this.dispatchCommand(form).catch((error: unknown) =>
          this.options.log.error({ err: error, user: form.user_name }, 'mattermost command failed'),
        );
        // Acknowledged at once; an empty ephemeral answer makes Mattermost post nothing.
        return reply.send({ response_type: 'ephemeral', text: '' });
      });
      scope.post(ACTION_HOOK, async (request, reply) => {
        const body = (request.body ?? {}) as ActionRequest;
        const token = typeof body.context?.token === 'string' ? body.context.token : '';
        const verified = this.options.signer.verify(token, this.now);
        if (
          'refused' in verified ||
          verified.action !== body.context?.action ||
          !body.user_id ||
          !body.channel_id
        ) {
          const why = 'refused' in verified ? verified.refused : 'action mismatch';
          this.refused.actions++;
          this.options.log.warn({ why, user: body.user_name }, 'mattermost button refused');
          return reply.code(403).send({ ephemeral_text: `That button is not valid (${why}).` });
        }
        const ack = new ActionAck(this.options.actionWindowMs ?? 2000);
        const event = await this.actionEvent(body, verified.action, verified.payload, ack);
        const work = this.handlers?.onAction(event) ?? Promise.resolve();
        void work
          .catch((error: unknown) => this.options.log.error({ err: error }, 'mattermost action failed'))
          .finally(() => ack.send());
        return reply.send(await ack.response);
      });
      scope.post(DIALOG_HOOK, async (request, reply) => {
        const body = request.body;
        if (body === null || typeof body !== 'object' || Array.isArray(body))
          return reply.code(400).send({ error: 'expected a JSON dialog submission' });
        // Refusals answer 200 with `error`: Mattermost shows only that to the person.
        return reply.send(await this.submitDialog(body as DialogRequest));
      });
    });
  }

  private async dispatchCommand(form: CommandForm): Promise<void> {
    const channel = { id: form.channel_id as string, name: form.channel_name ?? (form.channel_id as string) };
    const root = form.root_id || undefined;
    const here: Destination = root ? { channelId: channel.id, threadId: root } : { channelId: channel.id };
    const responseUrl = form.response_url;
    const responder: Responder = {
      reply: async (message, visibility) => {
        const buttons = (message.buttons?.length ?? 0) > 0;
        // Ephemeral posts cannot be updated or clicked through the API, so ones with buttons are posted.
        if (visibility === 'ephemeral' && !buttons && responseUrl) {
          await this.respond(responseUrl, message, 'ephemeral');
          return undefined;
        }
        return this.post(here, message);
      },
      replyInThread: (message) => this.post(here, message),
      update: (ref, message) => this.update(ref, message),
    };
    const invocation: Invocation = {
      platform: PLATFORM,
      user: await this.chatUser(form.user_id as string, form.user_name ?? ''),
      channel,
      text: (form.text ?? '').trim(),
      requestId: randomUUID(),
      responder,
    };
    if (form.trigger_id)
      invocation.trigger = {
        platform: PLATFORM,
        id: form.trigger_id,
        userId: invocation.user.id,
        channelId: channel.id,
      };
    await this.handlers?.onCommand(invocation);
  }

  /** Answers a slash command through its response_url (valid 30 minutes, a few uses). */
  private async respond(
    responseUrl: string,
    message: Message,
    type: 'ephemeral' | 'in_channel',
  ): Promise<void> {
    const rendered = renderPost(message, this.renderOptions());
    const body: Record<string, unknown> = { response_type: type, text: rendered.message };
    if (rendered.props) body.attachments = rendered.props.attachments;
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.requestTimeoutMs),
    });
    if (!response.ok) throw new Error(`Mattermost refused the response_url answer (${response.status})`);
  }

  private async onPosted(post: PostedPost, meta: PostedMeta): Promise<void> {
    await this.takePost(post, meta);
  }

  /**
   * One post from either path (a `posted` event or the catch-up). Once per post id: a mention of
   * the bot or a DM is recorded in the catch-up cursor first (so a restart does not run it
   * again), then run through the router, or, when older than missedCommandMaxAge, answered with
   * a notice instead. Resolves once the command is started, not finished; true when it took one.
   */
  private async takePost(post: PostedPost, meta: PostedMeta): Promise<boolean> {
    const me = this.me;
    const handlers = this.handlers;
    if (!me || !handlers || !this.takenPosts.add(post.id)) return false;
    // Own posts, system messages and webhook posts are not commands.
    if (post.user_id === me.id || post.type || post.props?.from_webhook === 'true') return false;
    const text = post.message.trim();
    const mention = new RegExp(`^@${escapeRegExp(me.username)}\\b[:,]?\\s*`, 'i');
    let command: string | undefined;
    if (mention.test(text)) command = text.replace(mention, '');
    else if (meta.channelType === 'D') command = text;
    if (command === undefined) return false;
    if (!(await this.claim(post.id))) return false;
    await this.advanceCursor(post.channel_id, post.create_at);
    const channel = { id: post.channel_id, name: meta.channelName ?? post.channel_id };
    const root = post.root_id || undefined;
    // In a channel, private answers go to a thread under the asker's message; in a DM, inline.
    const privateTo: Destination =
      meta.channelType === 'D'
        ? { channelId: channel.id }
        : { channelId: channel.id, threadId: root ?? post.id };
    const replyTo: Destination = root ? { channelId: channel.id, threadId: root } : { channelId: channel.id };
    // sender_name follows the display setting (maybe a full name): the id decides.
    const user = await this.chatUser(post.user_id, '');
    const now = this.now;
    if (tooOldToRun(post.create_at, now, this.missedCommandMaxAgeMs)) {
      this.caughtUp.tooOld++;
      this.options.log.info(
        { user: user.username, postId: post.id, ageMs: now - (post.create_at ?? now) },
        'mattermost command typed while coxswain was away is too old to run; answered instead',
      );
      await this.post(privateTo, {
        text: awayNotice(`@${escapeChat(user.username)}`, now - (post.create_at ?? now)),
      });
      return true;
    }
    void handlers
      .onCommand({
        platform: PLATFORM,
        user,
        channel,
        text: command.trim(),
        requestId: randomUUID(),
        responder: {
          reply: (message, visibility) =>
            this.post(visibility === 'ephemeral' ? privateTo : replyTo, message),
          replyInThread: (message) =>
            this.post({ channelId: channel.id, threadId: root ?? post.id }, message),
          update: (ref, message) => this.update(ref, message),
        },
      })
      .catch((error: unknown) =>
        this.options.log.error({ err: error, postId: post.id }, 'mattermost message handling failed'),
      );
    return true;
  }

  private async actionEvent(
    body: ActionRequest,
    action: string,
    payload: Record<string, string>,
    ack: ActionAck,
  ): Promise<ActionEvent> {
    const channelId = body.channel_id as string;
    const postId = body.post_id;
    const thread: Destination = postId ? { channelId, threadId: postId } : { channelId };
    const event: ActionEvent = {
      platform: PLATFORM,
      user: await this.chatUser(body.user_id as string, body.user_name ?? ''),
      channel: { id: channelId, name: body.channel_name ?? channelId },
      action,
      payload,
      requestId: randomUUID(),
      responder: {
        reply: async (message, visibility) => {
          const buttons = (message.buttons?.length ?? 0) > 0;
          if (visibility === 'ephemeral' && !buttons && ack.offerEphemeral(renderText(message)))
            return undefined;
          return this.post(visibility === 'ephemeral' ? thread : { channelId }, message);
        },
        replyInThread: (message) => this.post(thread, message),
        update: async (ref, message) => {
          const rendered = renderPost(message, this.renderOptions());
          // Without props Mattermost keeps the old ones, buttons included.
          const update = { message: rendered.message, props: rendered.props ?? { attachments: [] } };
          if (ref.postId === postId && ack.offerUpdate(update)) return;
          await this.update(ref, message);
        },
      },
    };
    if (postId) event.post = { platform: PLATFORM, channelId, postId };
    if (body.trigger_id) {
      const trigger: DialogTrigger = {
        platform: PLATFORM,
        id: body.trigger_id,
        userId: event.user.id,
        channelId,
      };
      if (postId) trigger.postId = postId;
      event.trigger = trigger;
    }
    return event;
  }

  /** Shows a dialog to the person behind a click or command, through their trigger_id. */
  private async openDialog(trigger: DialogTrigger, dialog: Dialog): Promise<void> {
    const base = this.base;
    if (!base)
      throw new Error('chat.mattermost.publicUrl is not set: Mattermost has nowhere to send the form');
    if (trigger.platform !== PLATFORM)
      throw new Error(`a ${trigger.platform} trigger cannot open a Mattermost dialog`);
    const binding = trigger.postId
      ? { userId: trigger.userId, channelId: trigger.channelId, postId: trigger.postId }
      : { userId: trigger.userId, channelId: trigger.channelId };
    const state = dialogState(this.options.signer, dialog, binding, this.now);
    await this.rest.openInteractiveDialog({
      trigger_id: trigger.id,
      url: `${base}${DIALOG_HOOK}`,
      dialog: renderDialog(dialog, state),
    });
  }

  /** A verified submission: runs its handler as the submitter and answers within the window. */
  private async submitDialog(body: DialogRequest): Promise<DialogAnswer> {
    const verified = verifySubmission(body, this.options.signer, this.now);
    if ('refused' in verified) {
      this.refused.dialogs++;
      this.options.log.warn({ why: verified.refused, user: body.user_id }, 'mattermost dialog refused');
      const again =
        verified.refused === 'expired' ? 'it has expired' : `it is not valid (${verified.refused})`;
      return { error: `coxswain refused this form: ${again}. Press the button again for a new one.` };
    }
    // Mattermost only says so when asked (notify_on_cancel); a cancel never runs anything.
    if (verified.cancelled) return {};
    const handlers = this.handlers;
    if (!handlers?.onDialogSubmit) return { error: 'coxswain is restarting; submit again in a moment.' };
    const { channelId, postId } = verified.binding;
    const thread: Destination = postId ? { channelId, threadId: postId } : { channelId };
    const submission: DialogSubmission = {
      platform: PLATFORM,
      user: await this.chatUser(verified.userId, ''),
      channel: { id: channelId, name: await this.channelName(channelId) },
      action: verified.action,
      payload: verified.payload,
      values: verified.values,
      requestId: randomUUID(),
      responder: {
        // A dialog's answer cannot carry a message and bots cannot post ephemeral messages by
        // default, so what a handler says goes to the thread of the post the dialog came from.
        reply: (message) => this.post(thread, message),
        replyInThread: (message) => this.post(thread, message),
        update: (ref, message) => this.update(ref, message),
      },
    };
    if (postId) submission.post = { platform: PLATFORM, channelId, postId };
    const work = handlers.onDialogSubmit(submission);
    const late = Symbol('late');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = await Promise.race([
      work,
      new Promise<typeof late>((resolve) => {
        timer = setTimeout(() => resolve(late), this.options.dialogWindowMs ?? 20_000);
      }),
    ]).finally(() => clearTimeout(timer));
    if (answer === late) {
      // Too slow for Mattermost's timeout: close the dialog; a late error goes to the thread.
      void work
        .then((result) => {
          const text = result?.error ?? (result?.errors ? Object.values(result.errors).join(' ') : undefined);
          if (text)
            return this.post(thread, { text: `@${submission.user.username}: ${escapeChat(text)}` }).then(
              () => undefined,
            );
          return undefined;
        })
        .catch((error: unknown) => this.options.log.error({ err: error }, 'mattermost dialog failed'));
      return {};
    }
    return answer ?? {};
  }

  private async channelName(channelId: string): Promise<string> {
    try {
      return (await this.rest.getChannel(channelId)).name;
    } catch {
      return channelId;
    }
  }

  /**
   * The user as role bindings see them: `groups` lists the configured teams they belong to and
   * their Mattermost groups (where the server's licence has groups), cached for a minute.
   */
  async chatUser(id: string, username: string): Promise<ChatUser> {
    const cached = this.userGroups.get(id);
    if (cached && this.now - cached.at < GROUPS_TTL_MS)
      return { id, username: username || cached.username, groups: cached.groups };
    const groups: string[] = [];
    for (const team of this.teamIds) {
      try {
        await this.rest.getTeamMember(team.id, id);
        groups.push(team.name);
      } catch {
        // Not a member of that team.
      }
    }
    try {
      for (const group of await this.rest.getGroupsByUserId(id)) if (group.name) groups.push(group.name);
    } catch {
      // Groups need a licence, or the permission to read them; teams still count.
    }
    let name = username;
    if (!name) name = (await this.rest.getUser(id)).username;
    this.userGroups.set(id, { username: name, groups, at: this.now });
    return { id, username: name, groups };
  }

  private async createRoom(name: string, opts: { private: boolean; purpose?: string }): Promise<Room> {
    const team = this.teamIds[0];
    if (!team) throw new Error('chat.mattermost.teams is empty');
    try {
      const channel = await this.rest.createChannel({
        team_id: team.id,
        name,
        display_name: name,
        type: opts.private ? 'P' : 'O',
        purpose: opts.purpose ?? '',
      } as never);
      this.channels.set(`${team.id}/${name}`, channel.id);
      return { channelId: channel.id, name };
    } catch (error) {
      const id = (error as { server_error_id?: string }).server_error_id ?? '';
      if (statusOf(error) === 400 && id.includes('exists')) throw new RoomExistsError(name);
      throw error;
    }
  }

  private async invite(room: Destination, people: { users: string[]; groups: string[] }) {
    const skipped: string[] = [];
    const usernames = new Set(people.users.map((u) => u.replace(/^@/, '').toLowerCase()));
    for (const groupName of people.groups) {
      try {
        const name = groupName.replace(/^~/, '');
        // `q` searches: take the group of exactly that name, not whichever matched first.
        const found = await this.rest.getGroups({ q: name, per_page: 60 } as never);
        const group = found.find((g) => g.name === name);
        if (!group) throw new Error('no such group');
        for (let page = 0; ; page++) {
          const members = await this.rest.getProfilesInGroup(group.id, page, GROUP_PAGE);
          for (const member of members) usernames.add(member.username);
          if (members.length < GROUP_PAGE) break;
        }
      } catch {
        skipped.push(groupName);
      }
    }
    const profiles = usernames.size > 0 ? await this.rest.getProfilesByUsernames([...usernames]) : [];
    const found = new Set(profiles.map((p) => p.username.toLowerCase()));
    for (const name of usernames) if (!found.has(name)) skipped.push(name);
    for (const profile of profiles) {
      try {
        await this.rest.getChannelMember(room.channelId, profile.id);
        skipped.push(profile.username);
        continue;
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      await this.rest.addToChannel(profile.id, room.channelId);
    }
    return { skipped };
  }

  private async pin(ref: PostRef): Promise<void> {
    await this.rest.pinPost(ref.postId);
  }

  private async archive(room: Destination): Promise<void> {
    await this.rest.deleteChannel(room.channelId);
  }

  private async attach(
    room: Destination,
    file: { name: string; content: string; mimeType: string },
    message: Message,
  ): Promise<PostRef> {
    const form = new FormData();
    form.append('channel_id', room.channelId);
    form.append('files', new Blob([file.content], { type: file.mimeType }), file.name);
    const uploaded = await this.asMember(room.channelId, () => this.rest.uploadFile(form));
    const rendered = renderPost(message, this.renderOptions());
    const body: Record<string, unknown> = {
      channel_id: room.channelId,
      message: rendered.message,
      file_ids: uploaded.file_infos.map((info) => info.id),
    };
    if (room.threadId) body.root_id = room.threadId;
    if (rendered.props) body.props = rendered.props;
    const posted = await this.rest.createPost(body as never);
    return { platform: PLATFORM, channelId: posted.channel_id, postId: posted.id };
  }

  /** Runs a call that needs the bot in the channel; on 403 joins (public channels) and retries once. */
  private async asMember<T>(channelId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (statusOf(error) !== 403 || !this.me) throw error;
      await this.rest.addToChannel(this.me.id, channelId);
      return call();
    }
  }

  private requireMe(): { id: string; username: string } {
    if (!this.me) throw new Error('the Mattermost adapter has not started');
    return this.me;
  }

  private renderOptions() {
    const options: Parameters<typeof renderPost>[1] = { signer: this.options.signer, now: this.now };
    if (this.base) options.actionUrl = `${this.base}${ACTION_HOOK}`;
    return options;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
