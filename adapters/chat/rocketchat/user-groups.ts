/**
 * A Rocket.Chat user's groups, as role bindings see them (ChatUser.groups): their roles
 * (`users.info`, e.g. `admin`, `ops-oncall`) and the names of their teams (`users.listTeams`).
 * Looked up per user and kept for a minute, so a burst of commands costs two calls, and a
 * changed membership counts within a minute.
 *
 * What the server shows the bot: `roles` are among `users.info`'s full fields, which need the
 * `view-full-other-user-info` permission; `users.listTeams` lists only teams the bot is in too,
 * unless it has `view-all-teams`. Without them the user simply has fewer groups (deny by default).
 */
import type { Logger } from '../../../src/log.js';
import type { RocketChatRest } from './rest-client.js';

export const GROUPS_TTL_MS = 60_000;

export class UserGroups {
  private readonly cache = new Map<string, { groups: string[]; at: number }>();

  constructor(
    private readonly rest: RocketChatRest,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly ttlMs = GROUPS_TTL_MS,
  ) {}

  async of(userId: string): Promise<string[]> {
    const cached = this.cache.get(userId);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.groups;
    const groups = new Set<string>();
    let complete = true;
    try {
      for (const role of (await this.rest.userInfo({ userId })).user.roles ?? []) groups.add(role);
    } catch (error) {
      complete = false;
      this.log.warn({ err: error, userId }, 'rocket.chat: could not read the roles of a user');
    }
    try {
      for (const team of (await this.rest.userTeams(userId)).teams) if (team.name) groups.add(team.name);
    } catch (error) {
      complete = false;
      this.log.warn({ err: error, userId }, 'rocket.chat: could not read the teams of a user');
    }
    const list = [...groups];
    // A failed lookup counts for this request only (fewer groups, so less allowed), not a minute.
    if (!complete) return list;
    this.cache.set(userId, { groups: list, at: this.now() });
    if (this.cache.size > 5000) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return list;
  }
}
