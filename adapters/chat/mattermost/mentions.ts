/**
 * Mentions (`@coxswain health`) and DMs: the commands typed as posts. They arrive as `posted`
 * events on the WebSocket (websocket.ts) and, for what was said while the bot was away (a
 * restart, an outage the server could not replay), from a REST catch-up (catch-up.ts) that feeds
 * the same path. Each post is taken once per process (by id), claimed once across replicas (in
 * the store), recorded in the catch-up cursor, then run through the router, or, when it is older
 * than missedCommandMaxAge, answered with a notice instead.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../src/log.js';
import type { Message } from '../../../src/message.js';
import type { ChatUser, Destination, InboundHandlers, PostRef } from '../../../src/ports.js';
import type { Store } from '../../../src/store/store.js';
import { escapeChat } from '../../../src/text/escape.js';
import {
  ANY_CHANNEL,
  awayNotice,
  catchUpSince,
  LOOK_BACK_MS,
  newPostsSince,
  SeenIds,
  tooOldToRun,
} from './catch-up.js';
import type { MattermostRest } from './rest-client.js';
import type { Team } from './users.js';
import type { PostedMeta, PostedPost } from './websocket.js';

/** How often old inbound claims are dropped from the store. */
const PRUNE_EVERY_MS = 6 * 60 * 60 * 1000;

export interface MentionsDeps {
  platform: string;
  rest: MattermostRest;
  log: Logger;
  now: () => number;
  /**
   * Where the catch-up cursors and the claims live; without a store the bot hears only what the
   * WebSocket delivers, and is the only replica.
   */
  store: Store | undefined;
  /** This replica's name, for the claims. */
  replica: string;
  missedCommandMaxAgeMs: number;
  /** The bot itself, the handlers and the teams: known once the adapter has started. */
  me: () => { id: string; username: string } | undefined;
  handlers: () => InboundHandlers | undefined;
  teams: () => readonly Team[];
  chatUser: (id: string, username: string) => Promise<ChatUser>;
  post: (destination: Destination, message: Message) => Promise<PostRef>;
  update: (ref: PostRef, message: Message) => Promise<void>;
}

export class Mentions {
  /** Mentions and DMs another replica claimed first (and answered). */
  claimedElsewhere = 0;
  /** Catch-ups finished, posts they fed in, and missed commands answered instead of run. */
  readonly caughtUp = { runs: 0, posts: 0, tooOld: 0 };
  /** Posts taken from either path (WebSocket or catch-up), so none is handled twice. */
  private readonly takenPosts = new SeenIds();
  private catchUpRun?: Promise<void>;
  private catchUpAgain = false;
  private pruneTimer?: NodeJS.Timeout;

  constructor(private readonly deps: MentionsDeps) {}

  /** Starts pruning old claims (now and every few hours). */
  start(): void {
    this.pruneClaims();
    this.pruneTimer = setInterval(() => this.pruneClaims(), PRUNE_EVERY_MS);
    this.pruneTimer.unref?.();
  }

  stop(): void {
    clearInterval(this.pruneTimer);
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
          this.deps.log.error(
            { err: error },
            'mattermost catch-up failed; messages sent while coxswain was away may be unanswered until the next reconnect',
          );
        }
      } while (this.catchUpAgain && this.deps.handlers());
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
    const { store, platform, rest, log } = this.deps;
    if (!store || !this.deps.me() || !this.deps.handlers()) return;
    const now = this.deps.now();
    const cursors = await store.listChatCursors(platform);
    if (cursors[ANY_CHANNEL] === undefined) {
      // The first run with this store: nothing was missed; from now on handled posts are tracked.
      await store.advanceChatCursor(platform, ANY_CHANNEL, now);
      this.caughtUp.runs++;
      return;
    }
    // A team's channel list includes the bot's DMs and group messages.
    const channels = new Map<string, { id: string; type: string; name: string }>();
    for (const team of this.deps.teams())
      for (const channel of await rest.getMyChannels(team.id))
        if (!channel.delete_at) channels.set(channel.id, channel);
    let fed = 0;
    for (const channel of channels.values()) {
      const since = catchUpSince(cursors, channel.id, now);
      if (since === undefined) continue;
      try {
        const list = await rest.getPostsSince(channel.id, since);
        const posts = newPostsSince(list, since);
        // The server answers at most 1000 changed posts; older ones than those are not seen.
        if (list.order.length >= 1000)
          log.warn({ channel: channel.name }, 'mattermost catch-up: more than 1000 posts missed');
        for (const post of posts) {
          const meta: PostedMeta = { channelType: channel.type, channelName: channel.name, mentions: [] };
          if (await this.take(post, meta)) fed++;
        }
        const newest = posts.at(-1)?.create_at;
        if (newest) await this.advanceCursor(channel.id, newest);
      } catch (error) {
        log.error({ err: error, channel: channel.name }, 'mattermost catch-up of a channel failed');
      }
    }
    this.caughtUp.runs++;
    this.caughtUp.posts += fed;
    log.info({ channels: channels.size, commands: fed }, 'mattermost caught up');
  }

  /**
   * Whether this replica answers the post: the first to claim it in the store does. Without a
   * store there is one replica. A store that cannot be reached answers nothing rather than
   * everything twice: the post stays unclaimed and the catch-up after a reconnect finds it.
   */
  private async claim(postId: string): Promise<boolean> {
    const { store, platform, replica } = this.deps;
    if (!store) return true;
    try {
      const mine = await store.claimChatPost(platform, postId, replica, this.deps.now());
      if (!mine) this.claimedElsewhere++;
      return mine;
    } catch (error) {
      this.deps.log.error(
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
    const store = this.deps.store;
    if (!store) return;
    store
      .pruneChatClaims(this.deps.now() - 2 * LOOK_BACK_MS)
      .catch((error: unknown) => this.deps.log.warn({ err: error }, 'pruning old mattermost claims failed'));
  }

  /** Stores that the bot has handled posts up to `at` in the channel; failures are logged. */
  private async advanceCursor(channelId: string, at: number | undefined): Promise<void> {
    const { store, platform } = this.deps;
    if (!store || !at) return;
    try {
      await store.advanceChatCursor(platform, channelId, at);
      await store.advanceChatCursor(platform, ANY_CHANNEL, at);
    } catch (error) {
      this.deps.log.error(
        { err: error, channelId },
        'could not store the mattermost catch-up cursor; after a restart this message may be answered again',
      );
    }
  }

  /**
   * One post from either path (a `posted` event or the catch-up). Once per post id: a mention of
   * the bot or a DM is recorded in the catch-up cursor first (so a restart does not run it
   * again), then run through the router, or, when older than missedCommandMaxAge, answered with
   * a notice instead. Resolves once the command is started, not finished; true when it took one.
   */
  async take(post: PostedPost, meta: PostedMeta): Promise<boolean> {
    const me = this.deps.me();
    const handlers = this.deps.handlers();
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
    const user = await this.deps.chatUser(post.user_id, '');
    const now = this.deps.now();
    if (tooOldToRun(post.create_at, now, this.deps.missedCommandMaxAgeMs)) {
      this.caughtUp.tooOld++;
      this.deps.log.info(
        { user: user.username, postId: post.id, ageMs: now - (post.create_at ?? now) },
        'mattermost command typed while coxswain was away is too old to run; answered instead',
      );
      await this.deps.post(privateTo, {
        text: awayNotice(`@${escapeChat(user.username)}`, now - (post.create_at ?? now)),
      });
      return true;
    }
    void handlers
      .onCommand({
        platform: this.deps.platform,
        user,
        channel,
        text: command.trim(),
        requestId: randomUUID(),
        responder: {
          reply: (message, visibility) =>
            this.deps.post(visibility === 'ephemeral' ? privateTo : replyTo, message),
          replyInThread: (message) =>
            this.deps.post({ channelId: channel.id, threadId: root ?? post.id }, message),
          update: (ref, message) => this.deps.update(ref, message),
        },
      })
      .catch((error: unknown) =>
        this.deps.log.error({ err: error, postId: post.id }, 'mattermost message handling failed'),
      );
    return true;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
