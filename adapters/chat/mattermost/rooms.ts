/**
 * Incident rooms on Mattermost (the port's RoomsCapability): a public (`O`) or private (`P`)
 * channel in the first configured team, people invited one by one (a `~group` is expanded to
 * its members, page by page; one the server does not have, or cannot have without a licence, is
 * skipped and named), the summary pinned, the postmortem uploaded as a file post, the channel
 * archived (Mattermost's delete: read-only, out of the sidebar, still searchable).
 */
import type { Message } from '../../../src/message.js';
import {
  type Destination,
  type PostRef,
  type Room,
  RoomExistsError,
  type RoomsCapability,
} from '../../../src/ports.js';
import type { RenderedPost } from './render.js';
import { type MattermostRest, statusOf } from './rest-client.js';
import type { Team } from './users.js';

/** Mattermost's largest page of users. */
const GROUP_PAGE = 200;

export interface RoomsDeps {
  rest: MattermostRest;
  platform: string;
  /** The team rooms are made in (the first configured one), once the adapter has started. */
  team: () => Team | undefined;
  /** Keeps a channel made here in the adapter's name → id cache. */
  remember: (team: Team, name: string, channelId: string) => void;
  /** The bot's own id, once started: it joins a public channel it must post in. */
  botId: () => string | undefined;
  render: (message: Message) => RenderedPost;
}

export class MattermostRooms implements RoomsCapability {
  constructor(private readonly deps: RoomsDeps) {}

  async create(name: string, opts: { private: boolean; purpose?: string }): Promise<Room> {
    const team = this.deps.team();
    if (!team) throw new Error('chat.mattermost.teams is empty');
    try {
      const channel = await this.deps.rest.createChannel({
        team_id: team.id,
        name,
        display_name: name,
        type: opts.private ? 'P' : 'O',
        purpose: opts.purpose ?? '',
      } as never);
      this.deps.remember(team, name, channel.id);
      return { channelId: channel.id, name };
    } catch (error) {
      const id = (error as { server_error_id?: string }).server_error_id ?? '';
      if (statusOf(error) === 400 && id.includes('exists')) throw new RoomExistsError(name);
      throw error;
    }
  }

  async invite(room: Destination, people: { users: string[]; groups: string[] }) {
    const rest = this.deps.rest;
    const skipped: string[] = [];
    const usernames = new Set(people.users.map((u) => u.replace(/^@/, '').toLowerCase()));
    for (const groupName of people.groups) {
      try {
        const name = groupName.replace(/^~/, '');
        // `q` searches: take the group of exactly that name, not whichever matched first.
        const found = await rest.getGroups({ q: name, per_page: 60 } as never);
        const group = found.find((g) => g.name === name);
        if (!group) throw new Error('no such group');
        for (let page = 0; ; page++) {
          const members = await rest.getProfilesInGroup(group.id, page, GROUP_PAGE);
          for (const member of members) usernames.add(member.username);
          if (members.length < GROUP_PAGE) break;
        }
      } catch {
        skipped.push(groupName);
      }
    }
    const profiles = usernames.size > 0 ? await rest.getProfilesByUsernames([...usernames]) : [];
    const found = new Set(profiles.map((p) => p.username.toLowerCase()));
    for (const name of usernames) if (!found.has(name)) skipped.push(name);
    for (const profile of profiles) {
      try {
        await rest.getChannelMember(room.channelId, profile.id);
        skipped.push(profile.username);
        continue;
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      await rest.addToChannel(profile.id, room.channelId);
    }
    return { skipped };
  }

  async pin(ref: PostRef): Promise<void> {
    await this.deps.rest.pinPost(ref.postId);
  }

  async archive(room: Destination): Promise<void> {
    await this.deps.rest.deleteChannel(room.channelId);
  }

  async attach(
    room: Destination,
    file: { name: string; content: string; mimeType: string },
    message: Message,
  ): Promise<PostRef> {
    const form = new FormData();
    form.append('channel_id', room.channelId);
    form.append('files', new Blob([file.content], { type: file.mimeType }), file.name);
    const uploaded = await this.asMember(room.channelId, () => this.deps.rest.uploadFile(form));
    const rendered = this.deps.render(message);
    const body: Record<string, unknown> = {
      channel_id: room.channelId,
      message: rendered.message,
      file_ids: uploaded.file_infos.map((info) => info.id),
    };
    if (room.threadId) body.root_id = room.threadId;
    if (rendered.props) body.props = rendered.props;
    const posted = await this.deps.rest.createPost(body as never);
    return { platform: this.deps.platform, channelId: posted.channel_id, postId: posted.id };
  }

  /** Runs a call that needs the bot in the channel; on 403 joins (public channels) and retries once. */
  async asMember<T>(channelId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const botId = this.deps.botId();
      if (statusOf(error) !== 403 || !botId) throw error;
      await this.deps.rest.addToChannel(botId, channelId);
      return call();
    }
  }
}
