/**
 * The Rocket.Chat REST API (v1) as the bot uses it, every call with `X-Auth-Token` /
 * `X-User-Id`. Two ways to get them: a personal access token (the user id and the token are used
 * as they are; nothing to log in) or a password login for an auth token. A 429 from the rate
 * limiter pauses every call until its `x-ratelimit-reset` and retries; after `maxRetries` the
 * call fails loudly (the caller's outbox retries it later), it is never dropped.
 */
import { backoffMs } from '../../../src/backoff.js';

/** How the bot authenticates: a personal access token, or a user and password. */
export type RestCredentials = { userId: string; token: string } | { user: string; password: string };

export interface RestOptions {
  url: string;
  credentials: RestCredentials;
  maxRetries?: number;
  /** Longest wait for one request's answer (10 s unless set); a hung server fails the call. */
  timeoutMs?: number;
  /** Called once when the server refuses the personal access token (it cannot be renewed). */
  onTokenRejected?: (endpoint: string) => void;
  /** Longest single wait for a rate-limit reset. */
  maxWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface LoginResult {
  userId: string;
  authToken: string;
  username: string;
}

export interface RocketChatRoom {
  _id: string;
  name?: string;
  fname?: string;
  t: string;
}

export interface RocketChatMessage {
  _id: string;
  rid: string;
  msg: string;
  tmid?: string;
}

export class RocketChatApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly endpoint: string,
    /** The server's `errorType`, e.g. `error-duplicate-channel-name`, when it gave one. */
    readonly errorType?: string,
  ) {
    super(message);
  }
}

/** A user as `users.info` shows them; `roles` only where the bot may see them (see the README). */
export interface RocketChatUser {
  _id: string;
  username: string;
  roles?: string[];
}

/** A REST multipart part: the file `rooms.media` stores. */
export interface UploadFile {
  name: string;
  content: string;
  mimeType: string;
}

export class RocketChatRest {
  private session?: LoginResult;
  private pausedUntil = 0;
  /**
   * Set when the server refused the personal access token (401): it cannot be renewed by
   * logging in again, so the bot is not ready until someone gives it a valid one.
   */
  tokenRejected = false;
  private readonly base: string;

  constructor(private readonly options: RestOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  get me(): LoginResult | undefined {
    return this.session;
  }

  /** True when the bot uses a personal access token (no login, no renewal). */
  get personalToken(): boolean {
    return 'token' in this.options.credentials;
  }

  /**
   * With a personal access token: asks `me` who the token belongs to (which also proves it).
   * With a password: `POST /api/v1/login` for a fresh auth token.
   */
  async login(): Promise<LoginResult> {
    const credentials = this.options.credentials;
    if ('token' in credentials) {
      const pending: LoginResult = { userId: credentials.userId, authToken: credentials.token, username: '' };
      this.session = pending;
      try {
        const me = await this.call<{ _id: string; username: string }>('GET', 'me');
        this.session = { ...pending, username: me.username };
        this.tokenRejected = false;
        return this.session;
      } catch (error) {
        this.session = undefined;
        throw error;
      }
    }
    const data = await this.call<{ data: { userId: string; authToken: string; me?: { username?: string } } }>(
      'POST',
      'login',
      { user: credentials.user, password: credentials.password },
      false,
    );
    this.session = {
      userId: data.data.userId,
      authToken: data.data.authToken,
      username: data.data.me?.username ?? credentials.user,
    };
    return this.session;
  }

  sendMessage(message: Record<string, unknown>): Promise<{ message: RocketChatMessage }> {
    return this.call('POST', 'chat.sendMessage', { message });
  }

  /** Replaces the text only: rest-typings' `isChatUpdateProps` allows no `attachments` here. */
  updateMessage(roomId: string, msgId: string, text: string): Promise<{ message: RocketChatMessage }> {
    return this.call('POST', 'chat.update', { roomId, msgId, text });
  }

  pinMessage(messageId: string): Promise<unknown> {
    return this.call('POST', 'chat.pinMessage', { messageId });
  }

  createDirect(username: string): Promise<{ room: { _id: string } }> {
    return this.call('POST', 'dm.create', { username });
  }

  createRoom(
    kind: 'channel' | 'group',
    name: string,
    members: string[],
    topic?: string,
  ): Promise<Record<string, unknown>> {
    const body: Record<string, unknown> = { name, members };
    if (topic) body.extraData = { broadcast: false, encrypted: false, topic };
    return this.call('POST', kind === 'channel' ? 'channels.create' : 'groups.create', body);
  }

  invite(kind: 'channel' | 'group', roomId: string, userId: string): Promise<unknown> {
    return this.call('POST', kind === 'channel' ? 'channels.invite' : 'groups.invite', { roomId, userId });
  }

  archive(kind: 'channel' | 'group', roomId: string): Promise<unknown> {
    return this.call('POST', kind === 'channel' ? 'channels.archive' : 'groups.archive', { roomId });
  }

  roomInfo(query: { roomId: string } | { roomName: string }): Promise<{ room: RocketChatRoom }> {
    return this.call('GET', `rooms.info?${new URLSearchParams(query)}`);
  }

  /** The rooms the bot is in. */
  subscriptions(): Promise<{ update: Array<{ rid: string; t: string; name?: string }> }> {
    return this.call('GET', 'subscriptions.get');
  }

  /** Messages of a room created or changed after `lastUpdate`. */
  syncMessages(
    roomId: string,
    lastUpdate: Date,
  ): Promise<{ result: { updated: Array<Record<string, unknown>> } }> {
    return this.call(
      'GET',
      `chat.syncMessages?${new URLSearchParams({ roomId, lastUpdate: lastUpdate.toISOString() })}`,
    );
  }

  userInfo(query: { username: string } | { userId: string }): Promise<{ user: RocketChatUser }> {
    return this.call('GET', `users.info?${new URLSearchParams(query)}`);
  }

  /** The teams a user is in (those the bot may see: it needs `view-all-teams` or to be in them). */
  userTeams(userId: string): Promise<{ teams: Array<{ _id: string; name: string }> }> {
    return this.call('GET', `users.listTeams?${new URLSearchParams({ userId })}`);
  }

  /** One page of a team's members. */
  teamMembers(
    teamName: string,
    offset: number,
  ): Promise<{ members: Array<{ user: { _id: string; username: string } }>; total: number }> {
    return this.call(
      'GET',
      `teams.members?${new URLSearchParams({ teamName, offset: String(offset), count: '100' })}`,
    );
  }

  /** One page of the users holding a role. */
  usersInRole(
    role: string,
    offset: number,
  ): Promise<{ users: Array<{ _id: string; username: string }>; total: number }> {
    return this.call(
      'GET',
      `roles.getUsersInRole?${new URLSearchParams({ role, offset: String(offset), count: '100' })}`,
    );
  }

  /**
   * Uploads a file into a room and posts it, in the two steps of rest-typings 8.8.1
   * (`rooms.upload` is gone there): `rooms.media/:rid` stores it (multipart, field `file`),
   * `rooms.mediaConfirm/:rid/:fileId` posts the message that carries it.
   */
  async upload(
    roomId: string,
    file: UploadFile,
    message: { msg: string; tmid?: string },
  ): Promise<{ message: RocketChatMessage }> {
    const form = new FormData();
    form.append('file', new Blob([file.content], { type: file.mimeType }), file.name);
    const rid = encodeURIComponent(roomId);
    const stored = await this.call<{ file: { _id: string; url?: string } }>(
      'POST',
      `rooms.media/${rid}`,
      form,
    );
    return this.call('POST', `rooms.mediaConfirm/${rid}/${encodeURIComponent(stored.file._id)}`, {
      ...message,
      fileName: file.name,
    });
  }

  private async call<T>(method: 'GET' | 'POST', endpoint: string, body?: unknown, auth = true): Promise<T> {
    const now = this.options.now ?? Date.now;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    const maxRetries = this.options.maxRetries ?? 5;
    const name = endpoint.split('?')[0] as string;
    let relogged = false;
    let staleRetries = 0;
    let sentToken: string | undefined;
    for (let attempt = 0; ; attempt++) {
      const wait = this.pausedUntil - now();
      if (wait > 0) await sleep(Math.min(wait, this.options.maxWaitMs ?? 60_000));
      const headers: Record<string, string> = { accept: 'application/json' };
      const multipart = body instanceof FormData;
      // fetch sets the multipart content type itself, with its boundary.
      if (body !== undefined && !multipart) headers['content-type'] = 'application/json';
      if (auth) {
        if (!this.session) throw new RocketChatApiError(`not logged in before ${name}`, 0, name);
        sentToken = this.session.authToken;
        headers['x-auth-token'] = this.session.authToken;
        headers['x-user-id'] = this.session.userId;
      }
      const timeoutMs = this.options.timeoutMs ?? 10_000;
      const init: RequestInit = { method, headers, signal: AbortSignal.timeout(timeoutMs) };
      if (body !== undefined) init.body = multipart ? body : JSON.stringify(body);
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${this.base}/api/v1/${endpoint}`, init);
        text = await response.text();
      } catch (error) {
        if (!init.signal?.aborted) throw error;
        throw new RocketChatApiError(`Rocket.Chat did not answer ${name} within ${timeoutMs} ms`, 0, name);
      }
      if (response.status === 429) {
        const reset = Number(response.headers.get('x-ratelimit-reset'));
        // The reset is epoch ms; without one, back off exponentially.
        const until =
          Number.isFinite(reset) && reset > 0 ? reset : now() + backoffMs(attempt, { baseMs: 250 });
        this.pausedUntil = Math.max(this.pausedUntil, until, now() + 10);
        if (attempt < maxRetries) continue;
        throw new RocketChatApiError(
          `Rocket.Chat rate-limited ${name} ${attempt + 1} times in a row; giving up on this try`,
          429,
          name,
        );
      }
      if (response.status === 401 && auth && this.personalToken) {
        // A personal access token cannot be renewed by logging in: say so once, stay not ready.
        if (!this.tokenRejected) this.options.onTokenRejected?.(name);
        this.tokenRejected = true;
        throw new RocketChatApiError(
          `Rocket.Chat refused the personal access token (401 on ${name}): it was revoked, expired or belongs to another user; create a new one and set chat.rocketchat.token`,
          401,
          name,
        );
      }
      let parsed: { success?: boolean; error?: string; errorType?: string } & Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        throw new RocketChatApiError(
          `Rocket.Chat answered ${name} with ${response.status} and no JSON`,
          response.status,
          name,
        );
      }
      // Another caller (the realtime reconnect) logged in while this request was in flight, which
      // can replace the token it carried: retry with the new one before logging in ourselves.
      if (response.status === 401 && auth && this.session?.authToken !== sentToken && staleRetries < 3) {
        staleRetries++;
        continue;
      }
      // A revoked login token (server restart, logout elsewhere): log in again once and retry.
      if (response.status === 401 && auth && !relogged) {
        relogged = true;
        await this.login();
        continue;
      }
      if (!response.ok || parsed.success === false || (name === 'login' && parsed.status !== 'success')) {
        throw new RocketChatApiError(
          `Rocket.Chat refused ${name} (${response.status}): ${parsed.error ?? parsed.message ?? text.slice(0, 200)}`,
          response.status,
          name,
          typeof parsed.errorType === 'string' ? parsed.errorType : undefined,
        );
      }
      if (auth) this.tokenRejected = false;
      return parsed as T;
    }
  }
}
