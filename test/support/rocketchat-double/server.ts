/**
 * A Rocket.Chat protocol double. No real Rocket.Chat can run here (it needs MongoDB as a replica
 * set and a Meteor build, neither reachable: docs/chat-servers.md), so this speaks the
 * two wire protocols the bot's real client code uses:
 * - REST v1 (`/api/v1/...`, `X-Auth-Token` / `X-User-Id` from a password login or a personal
 *   access token, checked on every call), every request checked against the OpenAPI files and
 *   the rest-typings validators (validate.ts); a request that fails is answered 400 and recorded
 *   in `violations`, which every test asserts is empty. File uploads (`rooms.media`) are
 *   multipart, parsed as the server's busboy does;
 * - DDP over WebSocket at `/websocket` (connect, ping/pong, method `login` with `resume` (a login
 *   token or a personal access token), method `updateMessage` with the server's allowed fields,
 *   `sub` to `stream-room-messages` `__my_messages__`, `changed` events), as Meteor frames it.
 * It also plays the coxswain Rocket.Chat App: it forwards `/ops` and block button clicks to the
 * bot's hooks signed with the shared secret, and serves the App's `notify` endpoint.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import { type WebSocket, WebSocketServer } from 'ws';
import { signHookBody, verifyHookBody } from '../../../adapters/chat/rocketchat/hook-signature.js';
import { ApiValidator } from './validate.js';

export interface DoubleUser {
  _id: string;
  username: string;
  password: string;
  token?: string;
  /** Personal access tokens: valid until revoked, never issued by `login`. */
  personalTokens: Set<string>;
  /** Global roles, as `users.info` shows them to a caller allowed to see full fields. */
  roles: string[];
}

export interface DoubleTeam {
  _id: string;
  name: string;
  members: Set<string>;
}

export interface DoubleUpload {
  _id: string;
  rid: string;
  name: string;
  type: string;
  content: string;
}

export interface DoubleRoom {
  _id: string;
  name: string;
  t: 'c' | 'p' | 'd';
  members: Set<string>;
  archived?: boolean;
}

export interface DoubleMessage {
  _id: string;
  rid: string;
  msg: string;
  tmid?: string;
  ts: Date;
  u: { _id: string; username: string };
  attachments?: unknown[];
  file?: { _id: string; name: string; type: string };
  blocks?: Array<{ type: string; blockId?: string; elements?: Array<Record<string, unknown>> }>;
  editedAt?: Date;
  pinned?: boolean;
  customFields?: Record<string, unknown>;
}

/**
 * The server's default `Message_CustomFields` schema (its message settings): one required
 * `priority`, so a key alone fails it until an admin changes the schema.
 */
export const DEFAULT_MESSAGE_CUSTOM_FIELDS = JSON.stringify({
  properties: { priority: { type: 'string', nullable: false, enum: ['low', 'medium', 'high'] } },
  required: ['priority'],
});

export interface AppConfig {
  id: string;
  secret: string;
  /** Where the bot serves its hooks, e.g. http://127.0.0.1:1234 */
  botUrl: string;
}

interface Session {
  socket: WebSocket;
  userId?: string;
  subs: Map<string, { name: string; event: string }>;
}

export class RocketChatDouble {
  readonly users = new Map<string, DoubleUser>();
  readonly rooms = new Map<string, DoubleRoom>();
  readonly messages: DoubleMessage[] = [];
  readonly teams = new Map<string, DoubleTeam>();
  readonly uploads = new Map<string, DoubleUpload>();
  /** Every request that broke the published API. Tests assert this stays empty. */
  readonly violations: string[] = [];
  /** Every REST call, as `METHOD /path`. */
  readonly calls: string[] = [];
  /** Notices the App showed to one user only. */
  readonly notices: Array<{ userId: string; roomId: string; text: string }> = [];
  app?: AppConfig;
  /**
   * Admin → Workspace → Settings → Message → Custom Fields: `Message_CustomFields_Enabled` (off on
   * a new server) and the JSON schema `Message_CustomFields`.
   */
  messageCustomFields = { enabled: false, schema: DEFAULT_MESSAGE_CUSTOM_FIELDS };
  url = '';
  private http?: Server;
  private wss?: WebSocketServer;
  private readonly sessions = new Set<Session>();
  private validator?: ApiValidator;
  private nextId = 1;
  private limited = 0;
  private limitResetMs = 0;

  async start(): Promise<string> {
    this.validator = await ApiValidator.create();
    this.http = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.violations.push(`double crashed on ${request.method} ${request.url}: ${String(error)}`);
        this.send(response, 500, { success: false, error: String(error) });
      });
    });
    this.wss = new WebSocketServer({ server: this.http, path: '/websocket' });
    this.wss.on('connection', (socket) => this.onConnection(socket));
    await new Promise<void>((resolve) => this.http?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const session of this.sessions) session.socket.terminate();
    await new Promise<void>((resolve) => this.wss?.close(() => resolve()));
    this.http?.closeAllConnections();
    await new Promise<void>((resolve) => this.http?.close(() => resolve()));
  }

  addUser(username: string, password = 'secret-password', roles: string[] = ['user']): DoubleUser {
    const user: DoubleUser = {
      _id: this.id('u'),
      username,
      password,
      personalTokens: new Set(),
      roles: [...roles],
    };
    this.users.set(user._id, user);
    return user;
  }

  /** What My Account → Personal Access Tokens → Add does: a token that needs no login. */
  addPersonalToken(user: DoubleUser): string {
    const token = randomBytes(32).toString('base64url');
    user.personalTokens.add(token);
    return token;
  }

  /** Removes a user's personal access tokens (as an admin or the user would). */
  revokePersonalTokens(user: DoubleUser): void {
    user.personalTokens.clear();
  }

  addTeam(name: string, members: DoubleUser[]): DoubleTeam {
    const team: DoubleTeam = { _id: this.id('t'), name, members: new Set(members.map((m) => m._id)) };
    this.teams.set(team._id, team);
    return team;
  }

  addRoom(name: string, t: 'c' | 'p', members: DoubleUser[]): DoubleRoom {
    const room: DoubleRoom = { _id: this.id('r'), name, t, members: new Set(members.map((m) => m._id)) };
    this.rooms.set(room._id, room);
    return room;
  }

  directRoom(a: DoubleUser, b: DoubleUser): DoubleRoom {
    const id = [a._id, b._id].sort().join('');
    let room = this.rooms.get(id);
    if (!room) {
      room = { _id: id, name: `${a.username}-${b.username}`, t: 'd', members: new Set([a._id, b._id]) };
      this.rooms.set(id, room);
    }
    return room;
  }

  /** A person types a message in a room (what the web client's sendMessage method does). */
  say(user: DoubleUser, room: DoubleRoom, text: string, tmid?: string): DoubleMessage {
    const message: DoubleMessage = {
      _id: this.id('m'),
      rid: room._id,
      msg: text,
      ts: new Date(),
      u: { _id: user._id, username: user.username },
    };
    if (tmid) message.tmid = tmid;
    this.messages.push(message);
    this.broadcast(message);
    return message;
  }

  /** A person runs `/ops <text>`: Rocket.Chat calls the App's executor, which forwards it. */
  async slashCommand(user: DoubleUser, room: DoubleRoom, text: string, secret?: string): Promise<number> {
    return this.forward(
      '/hooks/rocketchat/command',
      {
        command: 'ops',
        text,
        user: { id: user._id, username: user.username },
        room: { id: room._id, name: room.name },
        triggerId: this.id('t'),
      },
      secret,
    );
  }

  /** A person clicks a UIKit button: the App's executeBlockActionHandler forwards the click. */
  async clickBlockButton(
    user: DoubleUser,
    message: DoubleMessage,
    label: string,
    value?: string,
  ): Promise<number> {
    const element = message.blocks
      ?.flatMap((block) => block.elements ?? [])
      .find((e) => (e.text as { text?: string } | undefined)?.text === label);
    if (!element) throw new Error(`no button labelled ${label} on message ${message._id}`);
    const room = this.rooms.get(message.rid) as DoubleRoom;
    return this.forward('/hooks/rocketchat/action', {
      actionId: element.actionId,
      value: value ?? element.value,
      user: { id: user._id, username: user.username },
      room: { id: room._id, name: room.name },
      messageId: message._id,
      triggerId: this.id('t'),
    });
  }

  /** A person clicks an attachment button with msg_in_chat_window: their client posts its msg. */
  clickAttachmentButton(user: DoubleUser, message: DoubleMessage, label: string): DoubleMessage {
    const action = (
      message.attachments as Array<{ actions?: Array<{ text: string; msg?: string }> }> | undefined
    )
      ?.flatMap((a) => a.actions ?? [])
      .find((a) => a.text === label);
    if (!action?.msg) throw new Error(`no chat-window button labelled ${label} on message ${message._id}`);
    return this.say(user, this.rooms.get(message.rid) as DoubleRoom, action.msg);
  }

  /** While paused, the WebSocket endpoint closes every new connection at once. */
  realtimePaused = false;

  /** What a server restart does to sessions: every auth token stops working. */
  revokeTokens(): void {
    for (const user of this.users.values()) user.token = undefined;
  }

  /** Drops every WebSocket as a network failure would (no close frame). */
  dropConnections(): void {
    for (const session of this.sessions) session.socket.terminate();
  }

  /** The next `count` REST calls are refused with 429 until `resetInMs` from now. */
  rateLimit(count: number, resetInMs: number): void {
    this.limited = count;
    this.limitResetMs = Date.now() + resetInMs;
  }

  subscriberCount(): number {
    return [...this.sessions].filter((s) => s.subs.size > 0).length;
  }

  messagesIn(room: DoubleRoom): DoubleMessage[] {
    return this.messages.filter((m) => m.rid === room._id);
  }

  private async forward(path: string, payload: unknown, secret?: string): Promise<number> {
    if (!this.app) throw new Error('the coxswain App is not installed on this double');
    const body = JSON.stringify(payload);
    const response = await fetch(`${this.app.botUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signHookBody(secret ?? this.app.secret, body, Date.now()),
      },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const bytes = await readBody(request);
    const raw = bytes.toString('utf8');
    const method = request.method ?? 'GET';
    this.calls.push(`${method} ${url.pathname}`);
    if (this.app && url.pathname === `/api/apps/public/${this.app.id}/notify`) {
      return this.appNotify(request, raw, response);
    }
    const media = /^\/api\/v1\/rooms\.media\/([^/]+)$/.exec(url.pathname);
    if (media && method === 'POST')
      return this.roomsMedia(request, bytes, decodeURIComponent(media[1] as string), response);
    let body: unknown;
    if (raw.length > 0) {
      if (!String(request.headers['content-type']).startsWith('application/json')) {
        this.violations.push(`${method} ${url.pathname}: body sent as ${request.headers['content-type']}`);
      }
      try {
        body = JSON.parse(raw);
      } catch {
        this.violations.push(`${method} ${url.pathname}: body is not JSON`);
        return this.send(response, 400, { success: false, error: 'invalid JSON' });
      }
    }
    const problems = (this.validator as ApiValidator).check(
      method,
      url.pathname,
      url.searchParams,
      body ?? {},
    );
    if (problems.length > 0) {
      this.violations.push(...problems);
      return this.send(response, 400, { success: false, error: problems.join('; ') });
    }
    if (this.limited > 0) {
      this.limited--;
      response.setHeader('x-ratelimit-limit', '10');
      response.setHeader('x-ratelimit-remaining', '0');
      response.setHeader('x-ratelimit-reset', String(this.limitResetMs));
      const seconds = Math.max(1, Math.ceil((this.limitResetMs - Date.now()) / 1000));
      return this.send(response, 429, {
        success: false,
        error: `Error, too many requests. Please slow down. You must wait ${seconds} seconds before trying this endpoint again. [error-too-many-requests]`,
      });
    }
    const endpoint = url.pathname.replace(/^\/api\/v1\//, '');
    if (endpoint === 'login') return this.login(body as { user: string; password: string }, response);
    const me = this.authenticate(request, `${method} ${url.pathname}`);
    if (!me)
      return this.send(response, 401, { status: 'error', message: 'You must be logged in to do this.' });
    const b = (body ?? {}) as Record<string, unknown>;
    const confirm = /^rooms\.mediaConfirm\/([^/]+)\/([^/]+)$/.exec(endpoint);
    if (confirm && method === 'POST')
      return this.mediaConfirm(
        me,
        decodeURIComponent(confirm[1] as string),
        decodeURIComponent(confirm[2] as string),
        b,
        response,
      );
    switch (endpoint) {
      case 'me':
        return this.send(response, 200, { _id: me._id, username: me.username, success: true });
      case 'chat.sendMessage':
        return this.sendMessage(me, b.message as Partial<DoubleMessage>, response);
      case 'chat.update':
        return this.updateMessage(me, b as { roomId: string; msgId: string; text: string }, response);
      case 'chat.pinMessage': {
        const message = this.messages.find((m) => m._id === b.messageId);
        if (!message) return this.send(response, 400, { success: false, error: 'error-action-not-allowed' });
        message.pinned = true;
        return this.send(response, 200, { success: true, message: this.wire(message) });
      }
      case 'dm.create': {
        const other = [...this.users.values()].find((u) => u.username === b.username);
        if (!other) return this.send(response, 400, { success: false, error: 'error-invalid-user' });
        const room = this.directRoom(me, other);
        return this.send(response, 200, { success: true, room: { _id: room._id, rid: room._id, t: 'd' } });
      }
      case 'channels.create':
      case 'groups.create': {
        const kind = endpoint === 'channels.create' ? 'c' : 'p';
        // Archived rooms keep their names.
        if ([...this.rooms.values()].some((r) => r.name === b.name))
          return this.send(response, 400, {
            success: false,
            error: `A channel with name '${String(b.name)}' exists [error-duplicate-channel-name]`,
            errorType: 'error-duplicate-channel-name',
          });
        const members = ((b.members as string[] | undefined) ?? [])
          .map((name) => [...this.users.values()].find((u) => u.username === name))
          .filter((u): u is DoubleUser => u !== undefined);
        const room = this.addRoom(String(b.name), kind, [me, ...members]);
        const key = kind === 'c' ? 'channel' : 'group';
        return this.send(response, 200, {
          success: true,
          [key]: { _id: room._id, name: room.name, t: kind },
        });
      }
      case 'channels.invite':
      case 'groups.invite':
      case 'channels.archive':
      case 'groups.archive': {
        const room = this.rooms.get(String(b.roomId));
        const kind = endpoint.startsWith('channels') ? 'c' : 'p';
        if (!room || room.t !== kind)
          return this.send(response, 400, { success: false, error: 'error-room-not-found' });
        if (endpoint.endsWith('invite')) {
          if (!this.users.has(String(b.userId)))
            return this.send(response, 400, { success: false, error: 'error-invalid-user' });
          room.members.add(String(b.userId));
        } else room.archived = true;
        const key = kind === 'c' ? 'channel' : 'group';
        return this.send(response, 200, {
          success: true,
          [key]: { _id: room._id, name: room.name, t: room.t },
        });
      }
      case 'rooms.info': {
        const roomName = url.searchParams.get('roomName');
        const roomId = url.searchParams.get('roomId');
        const room = [...this.rooms.values()].find((r) => r._id === roomId || r.name === roomName);
        if (!room) return this.send(response, 400, { success: false, error: 'error-room-not-found' });
        return this.send(response, 200, {
          success: true,
          room: { _id: room._id, name: room.name, t: room.t },
        });
      }
      case 'subscriptions.get': {
        const update = [...this.rooms.values()]
          .filter((r) => r.members.has(me._id))
          .map((r) => ({
            _id: `s${r._id}`,
            rid: r._id,
            t: r.t,
            name: r.name,
            open: true,
            u: { _id: me._id, username: me.username },
          }));
        return this.send(response, 200, { success: true, update, remove: [] });
      }
      case 'chat.syncMessages': {
        const room = this.rooms.get(String(url.searchParams.get('roomId')));
        const since = Date.parse(String(url.searchParams.get('lastUpdate')));
        if (!room?.members.has(me._id) || !Number.isFinite(since))
          return this.send(response, 400, { success: false, error: 'error-invalid-params' });
        const updated = this.messagesIn(room)
          .filter((m) => (m.editedAt ?? m.ts).getTime() > since)
          .map((m) => this.rest(m));
        return this.send(response, 200, { success: true, result: { updated, deleted: [] } });
      }
      case 'users.info': {
        const userId = url.searchParams.get('userId');
        const username = url.searchParams.get('username');
        const user = [...this.users.values()].find((u) =>
          userId !== null ? u._id === userId : u.username === username,
        );
        if (!user) return this.send(response, 400, { success: false, error: 'User not found.' });
        // `roles` is one of the full fields (view-full-other-user-info); the bot is given it here.
        return this.send(response, 200, {
          success: true,
          user: { _id: user._id, username: user.username, type: 'user', active: true, roles: user.roles },
        });
      }
      case 'users.listTeams': {
        const userId = String(url.searchParams.get('userId'));
        const teams = [...this.teams.values()]
          .filter((t) => t.members.has(userId))
          .map((t) => ({ _id: t._id, name: t.name, type: 0, roomId: `room-${t._id}` }));
        return this.send(response, 200, { success: true, teams });
      }
      case 'teams.members': {
        const team = [...this.teams.values()].find((t) => t.name === url.searchParams.get('teamName'));
        if (!team) return this.send(response, 400, { success: false, error: 'team-does-not-exist' });
        const all = [...team.members].map((id) => this.users.get(id) as DoubleUser);
        const page = this.page(all, url.searchParams);
        return this.send(response, 200, {
          success: true,
          members: page.items.map((u) => ({ user: { _id: u._id, username: u.username }, roles: ['member'] })),
          total: all.length,
          count: page.items.length,
          offset: page.offset,
        });
      }
      case 'roles.getUsersInRole': {
        const role = String(url.searchParams.get('role'));
        const known = new Set([...this.users.values()].flatMap((u) => u.roles));
        if (!known.has(role))
          return this.send(response, 400, { success: false, error: 'error-invalid-roleId' });
        const all = [...this.users.values()].filter((u) => u.roles.includes(role));
        const page = this.page(all, url.searchParams);
        return this.send(response, 200, {
          success: true,
          users: page.items.map((u) => ({ _id: u._id, username: u.username })),
          total: all.length,
        });
      }
      default:
        this.violations.push(`the double does not implement ${method} ${url.pathname}`);
        return this.send(response, 404, { success: false, error: 'not implemented in the double' });
    }
  }

  private login(body: { user: string; password: string }, response: ServerResponse) {
    const user = [...this.users.values()].find((u) => u.username === body.user);
    if (!user || user.password !== body.password)
      return this.send(response, 401, { status: 'error', error: 'Unauthorized', message: 'Unauthorized' });
    user.token = randomBytes(18).toString('base64url');
    this.send(response, 200, {
      status: 'success',
      data: { userId: user._id, authToken: user.token, me: { _id: user._id, username: user.username } },
    });
  }

  /** Every call but login must carry both headers; a call without them is a client bug. */
  private authenticate(request: IncomingMessage, what: string): DoubleUser | undefined {
    const userId = request.headers['x-user-id'];
    const token = request.headers['x-auth-token'];
    if (typeof userId !== 'string' || typeof token !== 'string' || !userId || !token) {
      this.violations.push(`${what} without X-Auth-Token and X-User-Id`);
      return undefined;
    }
    const user = this.users.get(userId);
    if (!user) return undefined;
    return (user.token && user.token === token) || user.personalTokens.has(token) ? user : undefined;
  }

  private page<T>(all: T[], query: URLSearchParams): { items: T[]; offset: number } {
    const offset = Number(query.get('offset') ?? 0);
    const count = Number(query.get('count') ?? 50);
    return { items: all.slice(offset, offset + count), offset };
  }

  /**
   * `POST rooms.media/:rid`: multipart with one file in the field `file`, as the server's
   * getUploadFormData wants it; stores it until mediaConfirm posts it. rest-typings 8.8.1 types
   * the route (`{ file: File }`) but ships no validator for it, and the OpenAPI files copied here
   * do not have it, so the checks are these.
   */
  private async roomsMedia(request: IncomingMessage, bytes: Buffer, rid: string, response: ServerResponse) {
    const me = this.authenticate(request, `POST /api/v1/rooms.media/${rid}`);
    if (!me)
      return this.send(response, 401, { status: 'error', message: 'You must be logged in to do this.' });
    const type = String(request.headers['content-type'] ?? '');
    if (!type.startsWith('multipart/form-data; boundary=')) {
      this.violations.push(`POST rooms.media: body sent as ${type}, not multipart/form-data`);
      return this.send(response, 400, { success: false, error: 'invalid-content-type' });
    }
    const form = await new Request('http://double.invalid/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: new Uint8Array(bytes),
    }).formData();
    const fields = [...form.keys()];
    const file = form.get('file');
    if (fields.length !== 1 || !(file instanceof File) || !file.name) {
      this.violations.push(
        `POST rooms.media: want exactly one part, a file named "file"; got ${fields.join(', ')}`,
      );
      return this.send(response, 400, { success: false, error: '[invalid-field]' });
    }
    const room = this.rooms.get(rid);
    if (!room?.members.has(me._id))
      return this.send(response, 403, { success: false, error: 'unauthorized' });
    const upload: DoubleUpload = {
      _id: this.id('f'),
      rid,
      name: file.name,
      type: file.type,
      content: await file.text(),
    };
    this.uploads.set(upload._id, upload);
    return this.send(response, 200, {
      success: true,
      file: { _id: upload._id, url: `/file-upload/${upload._id}/${encodeURIComponent(upload.name)}` },
    });
  }

  /** `POST rooms.mediaConfirm/:rid/:fileId`: posts the stored file as a message. */
  private mediaConfirm(
    me: DoubleUser,
    rid: string,
    fileId: string,
    body: Record<string, unknown>,
    response: ServerResponse,
  ) {
    // The body keys rest-typings 8.8.1 types for this route (it has no validator for it).
    const allowed = new Set([
      'description',
      'avatar',
      'emoji',
      'alias',
      'groupable',
      'msg',
      'tmid',
      'customFields',
      't',
      'content',
      'fileName',
      'fileContent',
    ]);
    const extra = Object.keys(body).filter((key) => !allowed.has(key));
    if (extra.length > 0) {
      this.violations.push(`POST rooms.mediaConfirm: keys rest-typings does not type: ${extra.join(', ')}`);
      return this.send(response, 400, { success: false, error: 'invalid-params' });
    }
    const upload = this.uploads.get(fileId);
    const room = this.rooms.get(rid);
    if (!upload || upload.rid !== rid)
      return this.send(response, 400, { success: false, error: 'invalid-file' });
    if (!room?.members.has(me._id) || room.archived)
      return this.send(response, 400, { success: false, error: 'error-not-allowed' });
    const message: DoubleMessage = {
      _id: this.id('m'),
      rid,
      msg: typeof body.msg === 'string' ? body.msg : '',
      ts: new Date(),
      u: { _id: me._id, username: me.username },
      file: { _id: upload._id, name: upload.name, type: upload.type },
      attachments: [
        { title: upload.name, type: 'file', title_link: `/file-upload/${upload._id}/${upload.name}` },
      ],
    };
    if (typeof body.tmid === 'string') message.tmid = body.tmid;
    this.messages.push(message);
    this.broadcast(message);
    return this.send(response, 200, { success: true, message: this.wire(message) });
  }

  private sendMessage(me: DoubleUser, input: Partial<DoubleMessage>, response: ServerResponse) {
    const room = this.rooms.get(String(input.rid));
    if (!room?.members.has(me._id) || room.archived)
      return this.send(response, 400, { success: false, error: 'error-not-allowed' });
    if (input.tmid && !this.messages.some((m) => m._id === input.tmid && m.rid === room._id))
      return this.send(response, 400, { success: false, error: 'error-invalid-thread' });
    if (input.customFields) {
      const refused = this.refuseCustomFields(input.customFields);
      if (refused) return this.send(response, 400, { success: false, error: refused });
    }
    const message: DoubleMessage = {
      _id: this.id('m'),
      rid: room._id,
      msg: input.msg ?? '',
      ts: new Date(),
      u: { _id: me._id, username: me.username },
    };
    if (input.tmid) message.tmid = input.tmid;
    if (input.attachments) message.attachments = input.attachments;
    if (input.blocks) message.blocks = input.blocks;
    if (input.customFields) message.customFields = input.customFields;
    this.messages.push(message);
    this.broadcast(message);
    this.send(response, 200, { success: true, message: this.wire(message) });
  }

  /**
   * What the server's validateCustomMessageFields does in sendMessage: refuse custom fields while
   * the setting is off, else check them against the configured schema compiled with
   * `type: object` and `additionalProperties: false` forced.
   */
  private refuseCustomFields(fields: Record<string, unknown>): string | undefined {
    if (!this.messageCustomFields.enabled) return 'Custom fields not enabled';
    const schema = JSON.parse(this.messageCustomFields.schema) as Record<string, unknown>;
    if (schema.type && schema.type !== 'object') return 'Invalid custom fields config';
    const validate = new Ajv({ strict: false }).compile({
      ...schema,
      type: 'object',
      additionalProperties: false,
    });
    return validate(fields) ? undefined : 'Invalid custom fields';
  }

  private updateMessage(
    me: DoubleUser,
    input: { roomId: string; msgId: string; text: string },
    response: ServerResponse,
  ) {
    const message = this.messages.find((m) => m._id === input.msgId);
    if (!message || message.rid !== input.roomId)
      return this.send(response, 400, {
        success: false,
        error: 'The room id provided does not match where the message is from.',
      });
    if (message.u._id !== me._id)
      return this.send(response, 403, { success: false, error: 'error-action-not-allowed' });
    // As in Rocket.Chat, only the text changes; attachments and blocks stay.
    message.msg = input.text;
    message.editedAt = new Date();
    this.broadcast(message);
    this.send(response, 200, { success: true, message: this.wire(message) });
  }

  /**
   * The Meteor method `updateMessage` as executeUpdateMessage does it: only these fields may
   * differ from the stored message (else `error-invalid-update-key`), an edit with the same text
   * is ignored, only the author may edit, and the given fields are set, so `attachments: []`
   * removes the old ones.
   */
  private updateByMethod(session: Session, input: unknown): string | undefined {
    if (!session.userId) return 'error-invalid-user';
    if (!input || typeof input !== 'object' || typeof (input as { _id?: unknown })._id !== 'string') {
      this.violations.push(`updateMessage called with ${JSON.stringify(input)}`);
      return 'match-error';
    }
    const edit = input as Record<string, unknown> & { _id: string };
    const message = this.messages.find((m) => m._id === edit._id);
    if (!message) return undefined;
    const allowed = [
      'tshow',
      'alias',
      'attachments',
      'avatar',
      'emoji',
      'msg',
      'customFields',
      'content',
      'e2eMentions',
    ];
    for (const [key, value] of Object.entries(edit)) {
      if (!allowed.includes(key) && value !== (message as unknown as Record<string, unknown>)[key]) {
        this.violations.push(`updateMessage may not change ${key}`);
        return 'error-invalid-update-key';
      }
    }
    // As the server: an edit that leaves the text alone (and has no custom fields) is ignored.
    const text =
      (message.attachments as Array<{ description?: string }> | undefined)?.[0]?.description ?? message.msg;
    if (text === edit.msg && !edit.customFields) return undefined;
    if (message.u._id !== session.userId) return 'error-action-not-allowed';
    if (typeof edit.msg === 'string') message.msg = edit.msg;
    if (Array.isArray(edit.attachments)) message.attachments = edit.attachments;
    message.editedAt = new Date();
    this.broadcast(message);
    return undefined;
  }

  private appNotify(request: IncomingMessage, raw: string, response: ServerResponse) {
    const refused = verifyHookBody((this.app as AppConfig).secret, raw, request.headers, Date.now());
    if (refused) {
      this.violations.push(`the App refused a notice: ${refused}`);
      return this.send(response, 401, { error: refused });
    }
    this.notices.push(JSON.parse(raw) as { userId: string; roomId: string; text: string });
    this.send(response, 200, { ok: true });
  }

  private onConnection(socket: WebSocket): void {
    if (this.realtimePaused) {
      socket.terminate();
      return;
    }
    const session: Session = { socket, subs: new Map() };
    this.sessions.add(session);
    socket.send(JSON.stringify({ server_id: '0' }));
    socket.on('close', () => this.sessions.delete(session));
    socket.on('message', (data) => {
      let frame: { msg?: string; id?: string; method?: string; params?: unknown[]; name?: string };
      try {
        frame = JSON.parse(String(data));
      } catch {
        this.violations.push('DDP frame is not JSON');
        return;
      }
      this.onFrame(session, frame);
    });
  }

  private onFrame(
    session: Session,
    frame: {
      msg?: string;
      id?: string;
      method?: string;
      params?: unknown[];
      name?: string;
      version?: string;
    },
  ) {
    const reply = (payload: unknown) => session.socket.send(JSON.stringify(payload));
    switch (frame.msg) {
      case 'connect':
        if (frame.version !== '1') this.violations.push(`DDP connect with version ${frame.version}`);
        return reply({ msg: 'connected', session: this.id('s') });
      case 'ping':
        return reply(frame.id ? { msg: 'pong', id: frame.id } : { msg: 'pong' });
      case 'pong':
        return;
      case 'method': {
        if (frame.method === 'login') {
          const resume = (frame.params?.[0] as { resume?: string } | undefined)?.resume;
          const user = [...this.users.values()].find(
            (u) =>
              resume !== undefined &&
              ((u.token !== undefined && u.token === resume) || u.personalTokens.has(resume)),
          );
          if (!user)
            return reply({
              msg: 'result',
              id: frame.id,
              error: {
                error: 403,
                reason: "You've been logged out by the server. Please log in again.",
                errorType: 'Meteor.Error',
              },
            });
          session.userId = user._id;
          return reply({
            msg: 'result',
            id: frame.id,
            result: {
              id: user._id,
              token: resume,
              tokenExpires: { $date: Date.now() + 86_400_000 },
              type: 'resume',
            },
          });
        }
        if (frame.method === 'updateMessage') {
          const error = this.updateByMethod(session, frame.params?.[0]);
          return reply(
            error
              ? { msg: 'result', id: frame.id, error: { error, reason: error, errorType: 'Meteor.Error' } }
              : { msg: 'result', id: frame.id },
          );
        }
        return reply({
          msg: 'result',
          id: frame.id,
          error: { error: 404, reason: `Method '${frame.method}' not found`, errorType: 'Meteor.Error' },
        });
      }
      case 'sub': {
        const [event, options] = (frame.params ?? []) as [
          unknown,
          { useCollection?: unknown; args?: unknown } | undefined,
        ];
        if (
          frame.name !== 'stream-room-messages' ||
          typeof event !== 'string' ||
          typeof options?.useCollection !== 'boolean'
        ) {
          this.violations.push(`unexpected DDP sub ${frame.name} ${JSON.stringify(frame.params)}`);
          return reply({
            msg: 'nosub',
            id: frame.id,
            error: { error: 404, reason: 'Subscription not found' },
          });
        }
        if (!session.userId)
          return reply({
            msg: 'nosub',
            id: frame.id,
            error: { error: 'not-allowed', reason: 'Not allowed' },
          });
        session.subs.set(String(frame.id), { name: frame.name, event });
        return reply({ msg: 'ready', subs: [frame.id] });
      }
      case 'unsub':
        session.subs.delete(String(frame.id));
        return reply({ msg: 'nosub', id: frame.id });
      default:
        this.violations.push(`unexpected DDP frame ${JSON.stringify(frame)}`);
    }
  }

  private broadcast(message: DoubleMessage): void {
    const room = this.rooms.get(message.rid);
    if (!room) return;
    for (const session of this.sessions) {
      if (!session.userId || !room.members.has(session.userId)) continue;
      for (const sub of session.subs.values()) {
        if (sub.event !== '__my_messages__' && sub.event !== room._id) continue;
        session.socket.send(
          JSON.stringify({
            msg: 'changed',
            collection: 'stream-room-messages',
            id: 'id',
            fields: {
              eventName: sub.event,
              args: [this.wire(message), { roomParticipant: true, roomType: room.t, roomName: room.name }],
            },
          }),
        );
      }
    }
  }

  /** A message as REST returns it: ISO dates. */
  private rest(message: DoubleMessage): Record<string, unknown> {
    const out: Record<string, unknown> = {
      ...message,
      ts: message.ts.toISOString(),
      _updatedAt: (message.editedAt ?? message.ts).toISOString(),
    };
    if (message.editedAt) out.editedAt = message.editedAt.toISOString();
    return out;
  }

  /** A message as the server serialises it: EJSON dates. */
  private wire(message: DoubleMessage): Record<string, unknown> {
    const out: Record<string, unknown> = { ...message, ts: { $date: message.ts.getTime() } };
    if (message.editedAt) out.editedAt = { $date: message.editedAt.getTime() };
    return out;
  }

  private send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  private id(prefix: string): string {
    return `${prefix}${(this.nextId++).toString(36).padStart(6, '0')}${randomBytes(4).toString('hex')}`;
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
