/**
 * Who is on call now, for the engine's three uses: whom a new room invites, the `oncall` answer,
 * and the handover reminders. The rota's arithmetic is rota.ts and the overrides oncall-roster.ts;
 * this file only applies them at the engine's clock, so the three uses cannot disagree.
 */
import type { Message } from '../message.js';
import type { IncidentContext } from './context.js';
import { handoverReminder, oncallMessage, type ShiftView } from './render.js';
import { type RotaTeam, type Shift, shiftAt, splitPeople } from './rota.js';

/** The team's shift at `now`, with the roster's overrides when there is a roster. */
export function shiftOf(ic: IncidentContext, team: RotaTeam, now: number): Shift {
  if (!ic.deps.roster) return shiftAt(team, now);
  const { current, next } = ic.deps.roster.now(team, now);
  return {
    team: team.name,
    current: current.person,
    next: next.person,
    since: current.from,
    until: current.until,
  };
}

function shifts(ic: IncidentContext, teams?: readonly string[]): ShiftView[] {
  const now = ic.deps.now();
  return ic.deps.oncall.teams
    .filter((team) => !teams || teams.length === 0 || teams.includes(team.name))
    .map((team) => ({ shift: shiftOf(ic, team, now), timeZone: team.timeZone, rotation: team.rotation }));
}

/** Who is invited: the opener, every matching team's on-call person, and the severity's list. */
export function peopleFor(
  ic: IncidentContext,
  cluster: string | undefined,
  severity: number,
  opener: string,
): { users: string[]; groups: string[] } {
  const now = ic.deps.now();
  const people = [opener];
  for (const team of ic.deps.oncall.teams) {
    if (cluster && team.clusters.length > 0 && !team.clusters.includes(cluster)) continue;
    people.push(shiftOf(ic, team, now).current);
  }
  const key = String(severity) as '1' | '2' | '3' | '4';
  people.push(...(ic.deps.incidents.invite[key] ?? []));
  return splitPeople(people);
}

export function oncallNow(ic: IncidentContext): Message {
  return oncallMessage(shifts(ic));
}

/** What a handover reminder cron job posts. */
export function reminderFor(ic: IncidentContext, teams: readonly string[]): Message | undefined {
  const views = shifts(ic, teams);
  return views.length > 0 ? handoverReminder(views) : undefined;
}
