/**
 * Who holds which role: config bindings by chat username, chat group and channel. The highest
 * role among the bindings that match wins; nothing matching means no role (deny by default).
 */

import type { ChatChannel, ChatUser } from '../ports.js';
import type { Role, RoleBinding } from './config-schema.js';
import { roleRank } from './permissions.js';

export interface RoleResolver {
  roleOf(user: ChatUser, channel: ChatChannel): Role | undefined;
}

export class BindingRoleResolver implements RoleResolver {
  constructor(private readonly bindings: RoleBinding[]) {}

  roleOf(user: ChatUser, channel: ChatChannel): Role | undefined {
    let best: Role | undefined;
    const username = normalise(user.username);
    const groups = new Set(user.groups.map(normalise));
    for (const binding of this.bindings) {
      const matches =
        binding.users.some((u) => normalise(u) === username) ||
        binding.groups.some((g) => groups.has(normalise(g))) ||
        binding.channels.some((c) => normalise(c) === normalise(channel.name) || c === channel.id);
      if (matches && roleRank(binding.role) > roleRank(best)) best = binding.role;
    }
    return best;
  }
}

/** The shell: one local user whose role is given on the command line. */
export class FixedRoleResolver implements RoleResolver {
  constructor(private readonly role: Role | undefined) {}
  roleOf(): Role | undefined {
    return this.role;
  }
}

/** Config may write `@alice` or `~platform`; the platforms report `alice` and `platform`. */
function normalise(name: string): string {
  return name.replace(/^[@~#]/, '').toLowerCase();
}
