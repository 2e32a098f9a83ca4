/**
 * The realtime side: @rocket.chat/sdk's DDP driver (the Meteor WebSocket protocol) logged in with
 * the REST auth token (`resume`), subscribed to `stream-room-messages` / `__my_messages__`, which
 * carries every message in every room the bot is in, DMs included.
 *
 * The SDK (1.0.0-alpha.42) is used for the protocol only; its own recovery is patched around:
 * - its reconnect re-subscribes every subscription it ever had under a new id while keeping the
 *   old entry, so subscriptions (and delivered messages) double on each reconnect;
 * - a method call in flight when the socket drops never settles (it waits for a `disconnected`
 *   event that nothing emits);
 * - it retries on a fixed interval, without backoff.
 * So each connection gets a fresh driver whose own reopen is disabled; when it closes, this
 * class throws it away and connects a new one with exponential backoff and jitter, logs in
 * with the token again and subscribes again. Calls are bounded by a timeout. Messages are
 * de-duplicated by id, so a message delivered twice is handled once.
 */
import { DDPDriver } from '@rocket.chat/sdk/lib/drivers/ddp.js';
import { backoffMs } from '../../../src/backoff.js';
import type { Logger } from '../../../src/log.js';

export interface StreamMessage {
  _id: string;
  rid: string;
  msg: string;
  t?: string;
  tmid?: string;
  u: { _id: string; username: string; name?: string };
  /** `{$date: ms}` on the stream, an ISO string over REST. */
  ts?: { $date: number } | string | Date;
  editedAt?: unknown;
  bot?: unknown;
}

export interface StreamMeta {
  roomType?: string;
  roomName?: string;
  roomParticipant?: boolean;
}

export interface RealtimeOptions {
  url: string;
  /**
   * The auth token to resume with; called before every connect. `fresh` on a reconnect: the
   * drop may have been a server restart that revoked the token, so log in again.
   */
  token: (fresh: boolean) => Promise<string>;
  onMessage: (message: StreamMessage, meta: StreamMeta) => void;
  /**
   * Called after a reconnect with the time of the last message seen before the drop: what was
   * posted while the stream was down is fetched over REST and handed to `deliver`.
   */
  onResync?: (sinceMs: number) => Promise<void>;
  log: Logger;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  callTimeoutMs?: number;
}

interface SocketInternals {
  openTimeout?: unknown;
  reopenInterval?: ReturnType<typeof setInterval>;
  pingTimeout?: ReturnType<typeof setTimeout>;
  connection?: { close(code?: number, reason?: string): void; terminate?: () => void };
  on(event: string, listener: (data: never) => void): void;
}

const SEEN_LIMIT = 5000;

export class Realtime {
  private driver?: DDPDriver;
  private connected = false;
  private stopped = true;
  private attempt = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private readonly seen = new Set<string>();
  private lastMessageAt = 0;
  private firstConnectedAt = 0;
  /** How many times a connection has been (re)established; tests and metrics read it. */
  connections = 0;

  constructor(private readonly options: RealtimeOptions) {}

  isConnected(): boolean {
    return this.connected;
  }

  /**
   * Connects; if that fails, keeps trying in the background (readiness stays false meanwhile)
   * rather than failing the bot's start: the REST side already proved the credentials.
   */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.connect();
    } catch (error) {
      this.options.log.warn(
        { err: error },
        'rocket.chat realtime connect failed; retrying in the background',
      );
      this.scheduleReconnect();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.discard(this.driver);
    this.driver = undefined;
    this.connected = false;
  }

  private async connect(): Promise<void> {
    const url = new URL(this.options.url);
    const timeout = this.options.callTimeoutMs ?? 10_000;
    const driver = new DDPDriver({
      host: `${url.host}${url.pathname.replace(/\/+$/, '')}`,
      useSsl: url.protocol === 'https:',
      // Disables the SDK's own fixed-interval reopen: see the module comment.
      reopen: 3_600_000,
      logger: sdkLogger(this.options.log),
    });
    this.driver = driver;
    const socket = driver.ddp as unknown as SocketInternals;
    let established = false;
    // A socket closed during the handshake fails this attempt now, not at the timeout.
    let failAttempt: (error: Error) => void = () => undefined;
    const closedEarly = new Promise<never>((_, reject) => {
      failAttempt = reject;
    });
    closedEarly.catch(() => undefined);
    // Registered before connecting: this listener runs before the SDK's own reopen() and disarms it.
    socket.on('close', () => {
      socket.openTimeout = true;
      if (!established) failAttempt(new Error('rocket.chat realtime connection closed during the handshake'));
      if (!established || this.driver !== driver) return;
      this.discard(driver);
      this.connected = false;
      if (!this.stopped) {
        this.options.log.warn('rocket.chat realtime connection closed; reconnecting');
        this.scheduleReconnect();
      }
    });
    socket.on('stream-room-messages', (data: { fields?: { args?: unknown[] } }) => {
      const [message, meta] = (data.fields?.args ?? []) as [
        StreamMessage | undefined,
        StreamMeta | undefined,
      ];
      if (message) this.deliver(message, meta ?? {});
    });
    try {
      await Promise.race([bounded(driver.connect(), timeout, 'connect'), closedEarly]);
      const resume = await this.options.token(this.attempt > 0);
      await Promise.race([
        bounded(driver.login({ resume } as never, undefined), timeout, 'login'),
        closedEarly,
      ]);
      await Promise.race([
        bounded(driver.subscribe('stream-room-messages', '__my_messages__', false), timeout, 'subscribe'),
        closedEarly,
      ]);
    } catch (error) {
      this.discard(driver);
      throw error;
    }
    if (this.stopped || this.driver !== driver) {
      this.discard(driver);
      return;
    }
    established = true;
    this.connected = true;
    this.attempt = 0;
    this.connections++;
    if (this.connections === 1) this.firstConnectedAt = Date.now();
    this.options.log.info({ connections: this.connections }, 'rocket.chat realtime connected');
    if (this.connections > 1 && this.options.onResync) {
      // A little overlap: the de-duplication absorbs what the stream already delivered.
      // Never before the first connect: what came earlier was not meant for this process.
      const since = Math.max(this.firstConnectedAt, this.lastMessageAt - 60_000);
      this.options
        .onResync(since)
        .catch((error: unknown) =>
          this.options.log.warn(
            { err: error },
            'rocket.chat: could not fetch messages missed while disconnected',
          ),
        );
    }
    this.lastMessageAt = Math.max(this.lastMessageAt, Date.now());
  }

  /**
   * Calls a server method over the live connection (a Meteor method, e.g. `updateMessage`, which
   * can do what REST cannot); rejects at once when the stream is down, or after the call timeout.
   */
  async call(method: string, ...params: unknown[]): Promise<unknown> {
    const driver = this.driver;
    if (!driver || !this.connected) throw new Error(`rocket.chat realtime is not connected for ${method}`);
    return bounded(driver.methodCall(method, ...params), this.options.callTimeoutMs ?? 10_000, method);
  }

  /** Hands a message on once, however many times it arrives (stream, resubscription, resync). */
  deliver(message: StreamMessage, meta: StreamMeta): void {
    if (typeof message._id !== 'string' || this.seen.has(message._id)) return;
    this.remember(message._id);
    const ts = timeOf(message.ts);
    if (ts !== undefined) this.lastMessageAt = Math.max(this.lastMessageAt, ts);
    this.options.onMessage(message, meta);
  }

  private scheduleReconnect(): void {
    const delay = backoffMs(this.attempt, {
      baseMs: this.options.initialBackoffMs ?? 500,
      maxMs: this.options.maxBackoffMs ?? 30_000,
      jitter: [0.75, 1.25],
    });
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      if (this.stopped) return;
      this.connect().catch((error: unknown) => {
        this.options.log.warn({ err: error, attempt: this.attempt }, 'rocket.chat realtime reconnect failed');
        if (!this.stopped) this.scheduleReconnect();
      });
    }, delay);
  }

  /** Stops everything the SDK's socket would still do on its own. */
  private discard(driver: DDPDriver | undefined): void {
    if (!driver) return;
    if (this.driver === driver) this.driver = undefined;
    const socket = driver.ddp as unknown as SocketInternals;
    // A truthy openTimeout makes the SDK's reopen() return early.
    if (socket.openTimeout && socket.openTimeout !== true)
      clearTimeout(socket.openTimeout as ReturnType<typeof setTimeout>);
    socket.openTimeout = true;
    if (socket.reopenInterval) clearInterval(socket.reopenInterval);
    if (socket.pingTimeout) clearTimeout(socket.pingTimeout);
    try {
      socket.connection?.close(1000, 'discarded');
    } catch {
      // Already closed.
    }
  }

  /** Lets a message delivered before be delivered again (its handling could not start). */
  forget(id: string): void {
    this.seen.delete(id);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}

function timeOf(ts: StreamMessage['ts']): number | undefined {
  if (ts === undefined) return undefined;
  const ms = ts instanceof Date ? ts.getTime() : typeof ts === 'string' ? Date.parse(ts) : ts.$date;
  return Number.isFinite(ms) ? ms : undefined;
}

function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`rocket.chat realtime ${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sdkLogger(log: Logger) {
  const child = log.child({ component: 'rocketchat-sdk' });
  const at =
    (level: 'debug' | 'warn' | 'error') =>
    (...args: unknown[]) =>
      child[level](args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  return { debug: at('debug'), info: at('debug'), warning: at('warn'), warn: at('warn'), error: at('error') };
}
