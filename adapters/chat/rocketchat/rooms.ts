/**
 * Incident rooms on Rocket.Chat (the port's RoomsCapability): a public channel (`channels.*`)
 * or a private group (`groups.*`), people invited one by one, the summary pinned
 * (`chat.pinMessage`), the postmortem uploaded (`rooms.media` + `rooms.mediaConfirm`), the room
 * archived. Rooms are linked in text as `#name`, as Rocket.Chat links channels.
 *
 * A group to invite (`~name` in config) is a Rocket.Chat team of that name (its members,
 * `teams.members`), else a role of that name (its holders, `roles.getUsersInRole`); one that is
 * neither, or that the bot may not read, is skipped and named.
 */
import type { Message } from '../../../src/message.js';
import {
  type Destination,
  type PostRef,
  type Room,
  RoomExistsError,
  type RoomsCapability,
} from '../../../src/ports.js';
import { renderText } from './render.js';
import { RocketChatApiError, type RocketChatRest, type UploadFile } from './rest-client.js';

type Kind = 'channel' | 'group';

/** Pages of 100; a larger team or role than this is cut here, loudly, rather than looping. */
const MAX_PAGES = 20;

export class RocketChatRooms implements RoomsCapability {
  /** Which API a room belongs to (`channels.*` or `groups.*`), learnt on create or looked up. */
  private readonly kinds = new Map<string, Kind>();

  constructor(
    private readonly rest: RocketChatRest,
    private readonly platform: string,
    private readonly remember: (name: string, id: string, type: 'c' | 'p') => void,
  ) {}

  async create(name: string, options: { private: boolean; purpose?: string }): Promise<Room> {
    const id = await this.createRoom(name, { private: options.private, topic: options.purpose });
    return { channelId: id, name };
  }

  /** Creates the room (the bot is its owner); returns its id. Throws RoomExistsError when the name is taken. */
  async createRoom(
    name: string,
    options: { private: boolean; members?: string[]; topic?: string | undefined },
  ): Promise<string> {
    const kind: Kind = options.private ? 'group' : 'channel';
    let created: Record<string, unknown>;
    try {
      created = await this.rest.createRoom(kind, name, options.members ?? [], options.topic);
    } catch (error) {
      // Archived rooms keep their names, so this is also the answer for one of those.
      if (
        error instanceof RocketChatApiError &&
        (error.errorType === 'error-duplicate-channel-name' ||
          error.message.includes('error-duplicate-channel-name'))
      )
        throw new RoomExistsError(name);
      throw error;
    }
    const room = (created.channel ?? created.group) as { _id?: string } | undefined;
    if (!room?._id) throw new Error(`Rocket.Chat created ${name} but did not say its id`);
    this.kinds.set(room._id, kind);
    this.remember(name, room._id, kind === 'group' ? 'p' : 'c');
    return room._id;
  }

  async invite(
    room: Destination,
    people: { users: string[]; groups: string[] },
  ): Promise<{ skipped: string[] }> {
    const skipped: string[] = [];
    const users = new Map<string, string | undefined>();
    for (const user of people.users) users.set(user.replace(/^@/, '').toLowerCase(), undefined);
    for (const group of people.groups) {
      const members = await this.groupMembers(group.replace(/^~/, ''));
      if (!members) {
        skipped.push(group.replace(/^~/, ''));
        continue;
      }
      for (const member of members) users.set(member.username.toLowerCase(), member._id);
    }
    const kind = await this.kindOf(room.channelId);
    for (const [username, knownId] of users) {
      let userId = knownId;
      if (!userId) {
        try {
          userId = (await this.rest.userInfo({ username })).user._id;
        } catch (error) {
          if (error instanceof RocketChatApiError && error.status === 400) {
            skipped.push(username);
            continue;
          }
          throw error;
        }
      }
      // Inviting someone already in the room is a no-op on the server.
      await this.rest.invite(kind, room.channelId, userId);
    }
    return { skipped };
  }

  async pin(ref: PostRef): Promise<void> {
    await this.rest.pinMessage(ref.postId);
  }

  async archive(room: Destination): Promise<void> {
    await this.rest.archive(await this.kindOf(room.channelId), room.channelId);
  }

  async attach(room: Destination, file: UploadFile, message: Message): Promise<PostRef> {
    const body: { msg: string; tmid?: string } = { msg: renderText(message) };
    if (room.threadId) body.tmid = room.threadId;
    const { message: posted } = await this.rest.upload(room.channelId, file, body);
    const ref: PostRef = { platform: this.platform, channelId: posted.rid, postId: posted._id };
    if (room.threadId) ref.threadId = room.threadId;
    return ref;
  }

  /** `#name`: how Rocket.Chat links a channel in message text. */
  mention(room: { name: string }): string {
    return `#${room.name}`;
  }

  /** The API of a room the bot did not create in this process (a restart in between). */
  async kindOf(roomId: string): Promise<Kind> {
    let kind = this.kinds.get(roomId);
    if (!kind) {
      const { room } = await this.rest.roomInfo({ roomId });
      kind = room.t === 'p' ? 'group' : 'channel';
      this.kinds.set(roomId, kind);
    }
    return kind;
  }

  /** A team's members, else a role's holders; undefined when it is neither (or not readable). */
  private async groupMembers(name: string): Promise<Array<{ _id: string; username: string }> | undefined> {
    try {
      return await this.pages(async (offset) => {
        const page = await this.rest.teamMembers(name, offset);
        return { items: page.members.map((m) => m.user), total: page.total };
      });
    } catch (error) {
      if (!isRefusal(error)) throw error;
    }
    try {
      const holders = await this.pages(async (offset) => {
        const page = await this.rest.usersInRole(name, offset);
        return { items: page.users, total: page.total };
      });
      return holders.length > 0 ? holders : undefined;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      return undefined;
    }
  }

  private async pages<T>(
    fetchPage: (offset: number) => Promise<{ items: T[]; total: number }>,
  ): Promise<T[]> {
    const all: T[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const { items, total } = await fetchPage(all.length);
      all.push(...items);
      if (items.length === 0 || all.length >= total) return all;
    }
    throw new Error(`more than ${MAX_PAGES * 100} members; invite a smaller team or role`);
  }
}

/** The server said no to this lookup (no such team or role, or not allowed to read it): not an outage. */
function isRefusal(error: unknown): boolean {
  return error instanceof RocketChatApiError && [400, 403, 404].includes(error.status);
}
