/**
 * Who is on call: each team's people take turns, handing over at a local time every day or on
 * one weekday each week, counted from the date the first of them went on call.
 */
import { dateOfDay, dayNumber, localTime, zonedInstant } from '../text/time.js';

export const WEEKDAY_NAMES = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;
export type WeekdayName = (typeof WEEKDAY_NAMES)[number];

export interface RotaTeam {
  name: string;
  timeZone: string;
  rotation: 'daily' | 'weekly';
  /** `HH:MM`, local to the team's zone. */
  handover: string;
  /** Weekly rotas hand over on this day. */
  handoverDay: WeekdayName;
  /** `YYYY-MM-DD`: the first of `people` went on call at the handover time of this date. */
  start: string;
  /** Usernames (`alice`, `@alice`) and chat groups (`~dba`), in turn order. */
  people: string[];
}

export interface Shift {
  team: string;
  /** As written in the config. */
  current: string;
  next: string;
  /** When the current person took over and when they hand over (epoch ms). */
  since: number;
  until: number;
}

export function parseHandover(text: string): { hour: number; minute: number } | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return match ? { hour: Number(match[1]), minute: Number(match[2]) } : undefined;
}

export function parseDate(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  const day = dayNumber(date);
  const back = dateOfDay(day);
  return back.year === date.year && back.month === date.month && back.day === date.day ? day : undefined;
}

/** A problem with a team's rota as a sentence, for config validation. */
export function rotaProblem(team: RotaTeam): string | undefined {
  const start = parseDate(team.start);
  if (start === undefined) return 'start must be a date like 2026-01-05';
  if (!parseHandover(team.handover)) return 'handover must be a local time like 09:00';
  if (team.rotation === 'weekly') {
    const weekday = new Date(start * 86_400_000).getUTCDay();
    if (WEEKDAY_NAMES[weekday] !== team.handoverDay)
      return `start ${team.start} is a ${WEEKDAY_NAMES[weekday]}, but handovers are on ${team.handoverDay}s`;
  }
  return undefined;
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

/** Who is on call at `now`, and who takes over next and when. */
export function shiftAt(team: RotaTeam, now: number): Shift {
  const start = parseDate(team.start);
  const time = parseHandover(team.handover);
  if (start === undefined || !time || team.people.length === 0)
    throw new Error(`on-call team ${team.name} has an invalid rota: ${rotaProblem(team) ?? 'no people'}`);
  const period = team.rotation === 'daily' ? 1 : 7;
  const local = localTime(now, team.timeZone);
  const today = dayNumber(local);
  const beforeHandover = local.hour * 60 + local.minute < time.hour * 60 + time.minute;
  let shiftDay: number;
  if (team.rotation === 'daily') shiftDay = beforeHandover ? today - 1 : today;
  else {
    const target = WEEKDAY_NAMES.indexOf(team.handoverDay);
    const delta = mod(local.weekday - target, 7);
    shiftDay = today - delta - (delta === 0 && beforeHandover ? 7 : 0);
  }
  const index = mod(Math.floor((shiftDay - start) / period), team.people.length);
  return {
    team: team.name,
    current: team.people[index] as string,
    next: team.people[(index + 1) % team.people.length] as string,
    since: zonedInstant(shiftDay, time.hour, time.minute, team.timeZone),
    until: zonedInstant(shiftDay + period, time.hour, time.minute, team.timeZone),
  };
}

/** Splits config people into chat usernames and groups: `~dba` is a group, `@alice` or `alice` a user. */
export function splitPeople(people: readonly string[]): { users: string[]; groups: string[] } {
  const users = new Set<string>();
  const groups = new Set<string>();
  for (const person of people) {
    if (person.startsWith('~')) groups.add(person.slice(1).toLowerCase());
    else users.add(person.replace(/^@/, '').toLowerCase());
  }
  return { users: [...users], groups: [...groups] };
}

/** `@alice` or `~dba`, as a mention. */
export function mention(person: string): string {
  return person.startsWith('~') ? person.toLowerCase() : `@${person.replace(/^@/, '').toLowerCase()}`;
}
