/**
 * A Mattermost user as role bindings see them (ChatUser.groups): the configured teams they are a
 * member of and their Mattermost groups (where the server's licence has groups). Looked up per
 * user and kept for a minute, so a burst of commands costs a few calls and a changed membership
 * counts within a minute.
 */
import type { ChatUser } from '../../../src/ports.js';
import type { MattermostRest } from './rest-client.js';

/** A configured team: its name in config and the id the server gave it. */
export interface Team {
  name: string;
  id: string;
}

export const GROUPS_TTL_MS = 60_000;

export class MattermostUsers {
  private readonly cache = new Map<string, { username: string; groups: string[]; at: number }>();

  constructor(
    private readonly rest: MattermostRest,
    /** The configured teams, known once the adapter has started. */
    private readonly teams: () => readonly Team[],
    private readonly now: () => number,
  ) {}

  /** The user with this id; `username` may be empty (then it is looked up). */
  async of(id: string, username: string): Promise<ChatUser> {
    const cached = this.cache.get(id);
    if (cached && this.now() - cached.at < GROUPS_TTL_MS)
      return { id, username: username || cached.username, groups: cached.groups };
    const groups: string[] = [];
    for (const team of this.teams()) {
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
    this.cache.set(id, { username: name, groups, at: this.now() });
    return { id, username: name, groups };
  }
}
