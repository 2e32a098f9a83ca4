/**
 * The bot's WebSocket to Mattermost: @mattermost/client's WebSocketClient over the `ws` package,
 * authenticated with the bot token. The client reconnects by itself; it is configured so the
 * wait grows with every failed attempt (min × attempts², capped) plus random jitter. On each
 * reconnect it authenticates again and hands the server its connection id and last sequence
 * number, so the server replays the events of a short outage; posts are de-duplicated by id so
 * a replayed event is handled once. When the server cannot replay (it hands out a new connection
 * id), `onMissed` is called and the adapter catches up through the REST API (catch-up.ts). `isConnected()` is true between the server's `hello` and the
 * next close, and drives /readyz and the chat-ready metric.
 */
import { WebSocketClient, type WebSocketMessage } from '@mattermost/client';
import WebSocket from 'ws';
import type { Logger } from '../../../src/log.js';

export interface PostedPost {
  id: string;
  user_id: string;
  channel_id: string;
  root_id?: string;
  /** Server time the post was made (ms); catch-up cursors and the missed-command age use it. */
  create_at?: number;
  message: string;
  type?: string;
  props?: Record<string, unknown>;
}

export interface PostedMeta {
  channelType?: string;
  channelName?: string;
  senderName?: string;
  teamId?: string;
  mentions: string[];
}

export interface SocketOptions {
  /** The server's base URL (http or https). */
  url: string;
  token: string;
  onPosted: (post: PostedPost, meta: PostedMeta) => void;
  /**
   * Called when the server answered a reconnect with a new connection id: it could not replay
   * what happened meanwhile (a long outage, a server restart), so the caller must fetch it.
   */
  onMissed?: () => void;
  log: Logger;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  jitterMs?: number;
  pingIntervalMs?: number;
}

const SEEN_LIMIT = 5000;

/** Node 20 has no CloseEvent; the client's ping-timeout path constructs one. */
export function ensureGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.CloseEvent !== 'function') {
    class CloseEventPolyfill extends Event {
      readonly code: number;
      readonly reason: string;
      readonly wasClean: boolean;
      constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
        super(type);
        this.code = init.code ?? 0;
        this.reason = init.reason ?? '';
        this.wasClean = init.wasClean ?? false;
      }
    }
    g.CloseEvent = CloseEventPolyfill;
  }
  // The client reads WebSocket.OPEN from the global.
  if (typeof g.WebSocket !== 'function') g.WebSocket = WebSocket;
}

export class MattermostSocket {
  private client?: WebSocketClient;
  private current?: WebSocket;
  private connected = false;
  private readonly seen = new Set<string>();
  private firstHello?: { resolve: () => void; reject: (error: Error) => void };
  /** How many times the server said hello (first connect and every reconnect). */
  connections = 0;
  /** Closes seen; tests read it. */
  drops = 0;

  constructor(private readonly options: SocketOptions) {}

  isConnected(): boolean {
    return this.connected;
  }

  /** Connects and waits for the first `hello`; later drops are recovered in the background. */
  start(timeoutMs = 15_000): Promise<void> {
    ensureGlobals();
    const base = this.options.url.replace(/\/+$/, '').replace(/^http/, 'ws');
    const client = new WebSocketClient({
      // Back off from the first failure: retry = min × failures², capped, plus jitter.
      maxWebSocketFails: 0,
      minWebSocketRetryTime: this.options.initialBackoffMs ?? 1000,
      maxWebSocketRetryTime: this.options.maxBackoffMs ?? 60_000,
      reconnectJitterRange: this.options.jitterMs ?? 1000,
      clientPingInterval: this.options.pingIntervalMs ?? 30_000,
      newWebSocketFn: (url: string) => {
        const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${this.options.token}` } });
        this.current = socket;
        return socket as unknown as globalThis.WebSocket;
      },
    });
    this.client = client;
    client.addMessageListener((message) => this.onMessage(message));
    // A resumed connection (same connection id) gets no new hello: the open socket is the sign.
    client.addReconnectListener(() => {
      // Before the first hello, a retried first connect is not a reconnect: hello decides.
      if (this.firstHello) return;
      this.connected = true;
      this.connections++;
      this.options.log.info({ connections: this.connections }, 'mattermost websocket reconnected');
    });
    client.addCloseListener((failures) => {
      if (this.connected) this.options.log.warn({ failures }, 'mattermost websocket closed; reconnecting');
      else this.options.log.debug({ failures }, 'mattermost websocket connect failed; retrying');
      this.connected = false;
      this.drops++;
    });
    client.addErrorListener(() => this.options.log.debug('mattermost websocket error'));
    client.addMissedMessageListener(() => {
      this.options.log.warn('mattermost could not replay the events missed while disconnected; catching up');
      this.options.onMissed?.();
    });
    const hello = new Promise<void>((resolve, reject) => {
      this.firstHello = { resolve, reject };
    });
    const timer = setTimeout(
      () =>
        this.firstHello?.reject(
          new Error(`no hello from the Mattermost WebSocket at ${base} within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    client.initialize(`${base}/api/v4/websocket`, this.options.token);
    return hello
      .catch((error: unknown) => {
        // Do not leave the client retrying behind a start that failed.
        this.stop();
        throw error;
      })
      .finally(() => {
        clearTimeout(timer);
        this.firstHello = undefined;
      });
  }

  stop(): void {
    this.connected = false;
    this.client?.close();
    this.client = undefined;
  }

  private onMessage(message: WebSocketMessage): void {
    if (message.event === 'hello') {
      if (this.firstHello) {
        this.connected = true;
        this.connections++;
        this.options.log.info('mattermost websocket connected');
        this.firstHello.resolve();
      }
      return;
    }
    if (message.event !== 'posted') return;
    const data = message.data as Record<string, unknown>;
    let post: PostedPost;
    try {
      post = JSON.parse(String(data.post)) as PostedPost;
    } catch {
      return;
    }
    if (!post?.id || this.seen.has(post.id)) return;
    this.remember(post.id);
    let mentions: string[] = [];
    try {
      mentions = typeof data.mentions === 'string' ? (JSON.parse(data.mentions) as string[]) : [];
    } catch {
      mentions = [];
    }
    const meta: PostedMeta = { mentions };
    if (typeof data.channel_type === 'string') meta.channelType = data.channel_type;
    if (typeof data.channel_name === 'string') meta.channelName = data.channel_name;
    if (typeof data.sender_name === 'string') meta.senderName = data.sender_name;
    if (typeof data.team_id === 'string') meta.teamId = data.team_id;
    this.options.onPosted(post, meta);
  }

  /** Cuts the current connection the way a network drop would (tests and fault drills). */
  terminate(): void {
    this.current?.terminate();
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
