/**
 * What a command is: a spec (name, arguments, permission, whether it is dangerous) and a thin
 * handler. Specs are data the router, the help text and the chat platforms' autocomplete are
 * all generated from, so they can never disagree.
 */

import type { Role } from '../auth/config-schema.js';
import type { Permission } from '../auth/permissions.js';
import type { Logger } from '../log.js';
import type { Message } from '../message.js';
import type { ChatUser, Invocation, PostRef } from '../ports.js';
import type { Services } from '../services.js';

export type ArgValue = string | number | boolean | string[];
export type Args = Readonly<Record<string, ArgValue | undefined>>;

interface ArgCommon {
  description: string;
  required?: boolean;
  /** The value must be one of these. */
  choices?: readonly string[];
  /** Kubernetes names and similar: checked before any API call. */
  pattern?: { regex: RegExp; explain: string };
}

export interface OptionSpec extends ArgCommon {
  /** `duration` is typed like `90s` or `2h` and arrives in milliseconds. */
  type: 'string' | 'boolean' | 'number' | 'duration';
  alias?: string;
  /** Shown in usage, e.g. `C` in `--cluster C`. */
  placeholder?: string;
}

export interface PositionalSpec extends ArgCommon {
  name: string;
  /** Takes the rest of the words (a title, a matcher list). */
  variadic?: boolean;
}

export interface CommandContext {
  invocation: Invocation;
  user: ChatUser;
  role: Role | undefined;
  args: Args;
  spec: CommandSpec;
  services: Services;
  log: Logger;
  /** Answers with the visibility the spec asks for. */
  reply(message: Message | string): Promise<PostRef | undefined>;
  replyInThread(message: Message | string): Promise<PostRef | undefined>;
  update(ref: PostRef, message: Message | string): Promise<void>;
}

export interface CommandSpec {
  group: string;
  /** The word after the group (`run` in `drill run`); absent for a group's own action (`health`). */
  name?: string;
  summary: string;
  positionals?: PositionalSpec[];
  options?: Record<string, OptionSpec>;
  permission: Permission;
  /** Dangerous commands need their invoker's confirmation (and approval where configured). */
  dangerous?: boolean | ((args: Args) => boolean);
  /** Who sees the answer; ephemeral unless the spec says the channel should. */
  visibility?: 'ephemeral' | 'in_channel';
  examples?: string[];
  /** Absent while the engine behind the command is not built: the router says so plainly. */
  run?: (ctx: CommandContext) => Promise<void>;
  /** Cross-argument checks; returns the problem as a sentence. */
  check?: (args: Args) => string | undefined;
}

export interface CommandGroup {
  name: string;
  summary: string;
  commands: CommandSpec[];
}

export function commandPath(spec: CommandSpec): string {
  return spec.name ? `${spec.group} ${spec.name}` : spec.group;
}
