/**
 * Finds the command spec the first words name. Group and command words are matched without
 * regard to case; anything else is left for the argument parser.
 */
import type { CommandGroup, CommandSpec } from './spec.js';
import { closest } from './suggest.js';

export type Resolution =
  | { kind: 'found'; spec: CommandSpec; rest: string[] }
  | { kind: 'empty' }
  | { kind: 'unknown-group'; word: string; suggestion?: string }
  | { kind: 'unknown-command'; group: CommandGroup; word?: string; suggestion?: string };

export function resolveCommand(groups: readonly CommandGroup[], words: string[]): Resolution {
  const [first, second] = words;
  if (first === undefined) return { kind: 'empty' };
  const groupWord = first.toLowerCase();
  const group = groups.find((g) => g.name === groupWord);
  if (!group) {
    const suggestion = closest(
      groupWord,
      groups.map((g) => g.name),
    );
    return suggestion
      ? { kind: 'unknown-group', word: first, suggestion }
      : { kind: 'unknown-group', word: first };
  }
  if (second !== undefined && !second.startsWith('-')) {
    const named = group.commands.find((c) => c.name === second.toLowerCase());
    if (named) return { kind: 'found', spec: named, rest: words.slice(2) };
  }
  const groupOwn = group.commands.find((c) => c.name === undefined);
  if (groupOwn) return { kind: 'found', spec: groupOwn, rest: words.slice(1) };
  if (second === undefined || second.startsWith('-')) return { kind: 'unknown-command', group };
  const names = group.commands.flatMap((c) => (c.name ? [c.name] : []));
  const suggestion = closest(second.toLowerCase(), names);
  return suggestion
    ? { kind: 'unknown-command', group, word: second, suggestion }
    : { kind: 'unknown-command', group, word: second };
}
