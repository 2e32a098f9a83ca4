/**
 * The custom slash command coxswain registers in each team, with its autocomplete hint and
 * description generated from the command specs, so what Mattermost suggests always matches
 * what the router accepts.
 */
import type { CommandGroup } from '../../../src/router/spec.js';
import { usageLine } from '../../../src/router/usage.js';

/** Mattermost's columns for the hint and description hold 1024 characters. */
const MAX_AUTOCOMPLETE = 1024;

export interface CommandRegistration {
  team_id: string;
  trigger: string;
  method: 'P';
  url: string;
  creator_id?: string;
  username: string;
  display_name: string;
  description: string;
  auto_complete: true;
  auto_complete_hint: string;
  auto_complete_desc: string;
}

export function autocompleteHint(groups: readonly CommandGroup[]): string {
  return cut(`[${groups.map((group) => group.name).join('|')}] …`, MAX_AUTOCOMPLETE);
}

/**
 * The usage lines of every command, without the trigger and without their optional flags, as one
 * line: with every `[--cluster C] [--output …]` the list no longer fits Mattermost's 1024
 * characters, and `/ops help <command>` shows the flags.
 */
export function autocompleteDescription(trigger: string, groups: readonly CommandGroup[]): string {
  const lines = groups.flatMap((group) =>
    group.commands.map((spec) =>
      usageLine(trigger, spec)
        .slice(trigger.length + 1)
        .replace(/ \[--[^\]]*\]/g, ''),
    ),
  );
  return cut(`Platform ops: ${lines.join(' · ')}`, MAX_AUTOCOMPLETE);
}

export function commandRegistration(options: {
  teamId: string;
  trigger: string;
  url: string;
  creatorId?: string;
  groups: readonly CommandGroup[];
}): CommandRegistration {
  const trigger = options.trigger.replace(/^\//, '');
  const registration: CommandRegistration = {
    team_id: options.teamId,
    trigger,
    method: 'P',
    url: options.url,
    username: 'coxswain',
    display_name: 'coxswain',
    description: 'Chat-ops for the infra and apps clusters',
    auto_complete: true,
    auto_complete_hint: autocompleteHint(options.groups),
    auto_complete_desc: autocompleteDescription(options.trigger, options.groups),
  };
  if (options.creatorId) registration.creator_id = options.creatorId;
  return registration;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
