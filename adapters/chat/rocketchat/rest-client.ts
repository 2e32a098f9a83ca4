/**
 * The Rocket.Chat REST API (v1) as the bot uses it: password login for an auth token, then every
 * call with `X-Auth-Token` / `X-User-Id`. A 429 from the rate limiter pauses every call until
 * its `x-ratelimit-reset` and retries; after `maxRetries` the call fails loudly (the caller's
 * outbox retries it later), it is never dropped.
 */

export interface RestOptions {
  url: string;
  user: string;
  password: string;
  maxRetries?: number;
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
  ) {
    super(message);
  }
}

export class RocketChatRest {
  private session?: LoginResult;
  private pausedUntil = 0;
  private readonly base: string;

  constructor(private readonly options: RestOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  get me(): LoginResult | undefined {
    return this.session;
  }

  async login(): Promise<LoginResult> {
    const data = await this.call<{ data: { userId: string; authToken: string; me?: { username?: string } } }>(
      'POST',
      'login',
      { user: this.options.user, password: this.options.password },
      false,
    );
    this.session = {
      userId: data.data.userId,
      authToken: data.data.authToken,
      username: data.data.me?.username ?? this.options.user,
    };
    return this.session;
  }

  sendMessage(message: Record<string, unknown>): Promise<{ message: RocketChatMessage }> {
    return this.call('POST', 'chat.sendMessage', { message });
  }

  updateMessage(roomId: string, msgId: string, text: string): Promise<{ message: RocketChatMessage }> {
    return this.call('POST', 'chat.update', { roomId, msgId, text });
  }

  pinMessage(messageId: string): Promise<unknown> {
    return this.call('POST', 'chat.pinMessage', { messageId });
  }

  createDirect(username: string): Promise<{ room: { _id: string } }> {
    return this.call('POST', 'dm.create', { username });
  }

  createRoom(kind: 'channel' | 'group', name: string, members: string[]): Promise<Record<string, unknown>> {
    return this.call('POST', kind === 'channel' ? 'channels.create' : 'groups.create', { name, members });
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

  userInfo(username: string): Promise<{ user: { _id: string; username: string } }> {
    return this.call('GET', `users.info?${new URLSearchParams({ username })}`);
  }

  private async call<T>(method: 'GET' | 'POST', endpoint: string, body?: unknown, auth = true): Promise<T> {
    const now = this.options.now ?? Date.now;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    const maxRetries = this.options.maxRetries ?? 5;
    const name = endpoint.split('?')[0] as string;
    let relogged = false;
    for (let attempt = 0; ; attempt++) {
      const wait = this.pausedUntil - now();
      if (wait > 0) await sleep(Math.min(wait, this.options.maxWaitMs ?? 60_000));
      const headers: Record<string, string> = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (auth) {
        if (!this.session) throw new RocketChatApiError(`not logged in before ${name}`, 0, name);
        headers['x-auth-token'] = this.session.authToken;
        headers['x-user-id'] = this.session.userId;
      }
      const init: RequestInit = { method, headers };
      if (body !== undefined) init.body = JSON.stringify(body);
      const response = await fetch(`${this.base}/api/v1/${endpoint}`, init);
      const text = await response.text();
      if (response.status === 429) {
        const reset = Number(response.headers.get('x-ratelimit-reset'));
        // The reset is epoch ms; without one, back off exponentially.
        const until = Number.isFinite(reset) && reset > 0 ? reset : now() + 250 * 2 ** attempt;
        this.pausedUntil = Math.max(this.pausedUntil, until, now() + 10);
        if (attempt < maxRetries) continue;
        throw new RocketChatApiError(
          `Rocket.Chat rate-limited ${name} ${attempt + 1} times in a row; giving up on this try`,
          429,
          name,
        );
      }
      let parsed: { success?: boolean; error?: string } & Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        throw new RocketChatApiError(
          `Rocket.Chat answered ${name} with ${response.status} and no JSON`,
          response.status,
          name,
        );
      }
      // A revoked token (server restart, logout elsewhere): log in again once and retry.
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
        );
      }
      return parsed as T;
    }
  }
}
