/**
 * The Mattermost adapter: the ChatPort on Mattermost, composed of its parts. Three ways in, one
 * way out:
 * - slash commands, button clicks and dialog submissions arrive on coxswain's HTTP hooks, each
 *   verified before anything runs (receiver.ts);
 * - mentions (`@coxswain health`) and DMs arrive as `posted` events on the WebSocket
 *   (websocket.ts), and, for what was said while the bot was away, from a REST catch-up
 *   (catch-up.ts) that feeds the same path (mentions.ts);
 * - who someone is for role bindings (users.ts), incident rooms (rooms.ts);
 * Dialogs open with the `trigger_id` of the click or command that asked for them.
 * Everything the bot says goes out through the REST API (rest-client.ts), from here.
 */
import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../../src/duration.js';
import type { Logger } from '../../../src/log.js';
import type { Message } from '../../../src/message.js';
import type {
  ChatPort,
  ChatUser,
  Destination,
  Dialog,
  DialogCapability,
  DialogTrigger,
  InboundHandlers,
  PostOptions,
  PostRef,
} from '../../../src/ports.js';
import type { CommandGroup } from '../../../src/router/spec.js';
import type { ActionSigner } from '../../../src/security/signing.js';
import type { Store } from '../../../src/store/store.js';
import { commandRegistration } from './autocomplete.js';
import { DEFAULT_MISSED_COMMAND_MAX_AGE_MS } from './catch-up.js';
import { dialogState, renderDialog } from './dialog.js';
import { Mentions } from './mentions.js';
import { ACTION_HOOK, COMMAND_HOOK, DIALOG_HOOK, MattermostReceiver } from './receiver.js';
import { type RenderedPost, renderPost } from './render.js';
import { MattermostRest } from './rest-client.js';
import { MattermostRooms } from './rooms.js';
import { MattermostUsers, type Team } from './users.js';
import { CommandTokens } from './verify-request.js';
import { MattermostSocket, type SocketOptions } from './websocket.js';

export { ACTION_HOOK, COMMAND_HOOK, DIALOG_HOOK } from './receiver.js';
export const PLATFORM = 'mattermost';
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

export class MattermostAdapter implements ChatPort {
  readonly platform = PLATFORM;
  readonly rest: MattermostRest;
  readonly socket: MattermostSocket;
  readonly tokens = new CommandTokens();
  readonly rooms: MattermostRooms;
  /** Present with a publicUrl: Mattermost posts submissions there. */
  readonly dialogs?: DialogCapability;
  me?: { id: string; username: string };
  /** The address people open Mattermost at (its SiteURL), for permalinks; chat.mattermost.url until known. */
  private siteUrl?: string;
  private handlers?: InboundHandlers;
  private teamIds: Team[] = [];
  private readonly channels = new Map<string, string>();
  private readonly users: MattermostUsers;
  private readonly mentions: Mentions;
  private readonly receiver: MattermostReceiver;
  private resolveEnded!: () => void;
  /** Resolves once the adapter has been stopped. */
  readonly ended = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });

  constructor(private readonly options: MattermostAdapterOptions) {
    const missedCommandMaxAgeMs = missedCommandMaxAge(options.missedCommandMaxAge);
    const requestTimeoutMs = parseDuration(options.requestTimeout ?? '10s') ?? 10_000;
    this.rest = new MattermostRest(restOptions(options, requestTimeoutMs));
    const now = () => this.now;
    const teams = () => this.teamIds;
    const handlers = () => this.handlers;
    const post = (destination: Destination, message: Message) => this.post(destination, message);
    const update = (ref: PostRef, message: Message) => this.update(ref, message);
    const render = (message: Message) => this.render(message);
    this.users = new MattermostUsers(this.rest, teams, now);
    const chatUser = (id: string, username: string) => this.users.of(id, username);
    this.mentions = new Mentions({
      platform: PLATFORM,
      rest: this.rest,
      log: options.log,
      now,
      store: options.store,
      replica: options.replica ?? 'local',
      missedCommandMaxAgeMs,
      me: () => this.me,
      handlers,
      teams,
      chatUser,
      post,
      update,
    });
    this.receiver = new MattermostReceiver({
      platform: PLATFORM,
      rest: this.rest,
      tokens: this.tokens,
      signer: options.signer,
      log: options.log,
      now,
      actionWindowMs: options.actionWindowMs ?? 2000,
      dialogWindowMs: options.dialogWindowMs ?? 20_000,
      requestTimeoutMs,
      handlers,
      chatUser,
      post,
      update,
      render,
    });
    this.socket = new MattermostSocket(
      socketOptions(options, {
        onPosted: (posted, meta) => {
          void this.mentions
            .take(posted, meta)
            .catch((error: unknown) =>
              options.log.error({ err: error, postId: posted.id }, 'mattermost message handling failed'),
            );
        },
        onMissed: () => void this.mentions.catchUp(),
      }),
    );
    this.rooms = new MattermostRooms({
      rest: this.rest,
      platform: PLATFORM,
      team: () => this.teamIds[0],
      remember: (team, name, channelId) => this.channels.set(`${team.id}/${name}`, channelId),
      botId: () => this.me?.id,
      render,
    });
    if (options.publicUrl) this.dialogs = { open: (trigger, dialog) => this.openDialog(trigger, dialog) };
  }

  /** Hook requests refused (bad command token, bad button token); logged and counted. */
  get refused(): { commands: number; actions: number; dialogs: number } {
    return this.receiver.refused;
  }

  /** Mentions and DMs another replica claimed first (and answered). */
  get claimedElsewhere(): number {
    return this.mentions.claimedElsewhere;
  }

  /** Catch-ups finished, posts they fed in, and missed commands answered instead of run. */
  get caughtUp(): { runs: number; posts: number; tooOld: number } {
    return this.mentions.caughtUp;
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
    this.mentions.start();
    // What was said while the bot was down; the WebSocket (up now) covers everything after.
    void this.mentions.catchUp();
  }

  /**
   * Starts a catch-up, or, while one runs (a reconnect during a catch-up), one more after it.
   * Resolves when no catch-up is left to run; failures are logged, never thrown.
   */
  catchUp(): Promise<void> {
    return this.mentions.catchUp();
  }

  /** Waits for a running catch-up (tests, shutdown). */
  catchingUp(): Promise<void> {
    return this.mentions.catchingUp();
  }

  async stop(): Promise<void> {
    this.mentions.stop();
    this.handlers = undefined;
    this.socket.stop();
    this.resolveEnded();
  }

  isReady(): boolean {
    return this.me !== undefined && this.socket.isConnected();
  }

  /** Adds the command, action and dialog hook routes. Call before the HTTP server listens. */
  registerRoutes(http: FastifyInstance): void {
    this.receiver.registerRoutes(http);
  }

  /**
   * The user as role bindings see them: `groups` lists the configured teams they belong to and
   * their Mattermost groups (where the server's licence has groups), cached for a minute.
   */
  chatUser(id: string, username: string): Promise<ChatUser> {
    return this.users.of(id, username);
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
    const rendered = this.render(message);
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
    const posted = await this.rooms.asMember(destination.channelId, () =>
      this.rest.createPost(body as never),
    );
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
    const rendered = this.render(message);
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

  private requireMe(): { id: string; username: string } {
    if (!this.me) throw new Error('the Mattermost adapter has not started');
    return this.me;
  }

  private render(message: Message): RenderedPost {
    const options: Parameters<typeof renderPost>[1] = { signer: this.options.signer, now: this.now };
    if (this.base) options.actionUrl = `${this.base}${ACTION_HOOK}`;
    return renderPost(message, options);
  }
}

/** chat.mattermost.missedCommandMaxAge in milliseconds (10 minutes unset); a bad value stops the start. */
function missedCommandMaxAge(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MISSED_COMMAND_MAX_AGE_MS;
  const parsed = parseDuration(text);
  if (parsed === undefined)
    throw new Error(
      `chat.mattermost.missedCommandMaxAge: ${JSON.stringify(text)} is not a duration like 10m or 1h`,
    );
  return parsed;
}

function restOptions(
  options: MattermostAdapterOptions,
  timeoutMs: number,
): ConstructorParameters<typeof MattermostRest>[0] {
  const rest: ConstructorParameters<typeof MattermostRest>[0] = {
    url: options.url,
    token: options.token,
    timeoutMs,
    onRateLimited: (waitMs, url) => {
      options.log.warn({ waitMs, url }, 'mattermost rate limit hit; waiting as Retry-After asks');
      options.onRateLimited?.(waitMs);
    },
  };
  if (options.maxRetries !== undefined) rest.maxRetries = options.maxRetries;
  return rest;
}

function socketOptions(
  options: MattermostAdapterOptions,
  on: Pick<SocketOptions, 'onPosted' | 'onMissed'>,
): SocketOptions {
  const socket: SocketOptions = {
    url: options.url,
    token: options.token,
    log: options.log.child({ component: 'mattermost' }),
    ...on,
  };
  if (options.initialBackoffMs !== undefined) socket.initialBackoffMs = options.initialBackoffMs;
  if (options.maxBackoffMs !== undefined) socket.maxBackoffMs = options.maxBackoffMs;
  if (options.jitterMs !== undefined) socket.jitterMs = options.jitterMs;
  return socket;
}
