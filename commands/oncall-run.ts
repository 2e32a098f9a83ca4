/**
 * The handlers of `oncall shifts`, `oncall override`, `oncall swap` and `oncall cancel`: the
 * rota with overrides applied (src/incidents/oncall-roster.ts), and the overrides stored.
 */
import { randomBytes } from 'node:crypto';
import { parseDuration } from '../src/duration.js';
import { localInstant, type Segment } from '../src/incidents/oncall-roster.js';
import { mention, parseDate, parseHandover, type RotaTeam, shiftAt } from '../src/incidents/rota.js';
import type { CommandContext } from '../src/router/spec.js';
import type { OncallOverride } from '../src/store/store.js';
import { escapeChat } from '../src/text/escape.js';
import { formatShort, formatStamp, localTime, zonedInstant } from '../src/text/time.js';
import { replyListing } from './options.js';

export const DEFAULT_DAYS = 14;
export const MAX_DAYS = 90;
const DAY_MS = 86_400_000;
export const USERNAME = /^@?([a-z0-9][a-z0-9._-]{0,63})$/i;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Format checks, before a write is offered for confirmation. */
export function overrideCheck(args: Readonly<Record<string, unknown>>): string | undefined {
  if (!USERNAME.test(String(args.person)))
    return `${String(args.person).slice(0, 70)} is not a chat username like @bob`;
  for (const name of ['until', 'from'] as const) {
    const value = args[name];
    if (value === undefined) continue;
    if (!LOCAL_TIME.test(String(value)) && parseDuration(String(value)) === undefined)
      return `--${name} needs a time on the team's clock like 2026-12-24T09:00, or a delay like 12h, not "${String(value).slice(0, 60)}"`;
  }
  return undefined;
}

export function swapCheck(args: Readonly<Record<string, unknown>>): string | undefined {
  for (const name of ['shift', 'with'] as const)
    if (!DATE.test(String(args[name])) || parseDate(String(args[name])) === undefined)
      return `${String(args[name]).slice(0, 60)} is not a date like 2026-12-21 (a shift's first day, as \`oncall shifts\` lists it)`;
  if (args.shift === args.with) return 'A shift cannot be swapped with itself: name two different dates.';
  return undefined;
}

export function shiftsCheck(args: Readonly<Record<string, unknown>>): string | undefined {
  const days = args.days;
  if (days !== undefined && (!Number.isInteger(days) || (days as number) < 1 || (days as number) > MAX_DAYS))
    return `--days must be a whole number from 1 to ${MAX_DAYS}`;
  return undefined;
}

function rosterOf(ctx: CommandContext) {
  const roster = ctx.services.oncall;
  if (!roster || roster.teams.length === 0)
    return 'No on-call rota is configured: add teams under oncall.teams in the config.';
  return roster;
}

/** The team `--team` names, or the only one, or the only one `person` is in; a string is the answer to give. */
function pickTeam(ctx: CommandContext, teams: readonly RotaTeam[], person?: string): RotaTeam | string {
  const names = teams.map((t) => t.name).join(', ');
  const asked = ctx.args.team;
  if (typeof asked === 'string') {
    const team = teams.find((t) => t.name === asked);
    return team ?? `There is no on-call team ${escapeChat(asked)}; the teams are: ${escapeChat(names)}.`;
  }
  if (teams.length === 1) return teams[0] as RotaTeam;
  const theirs = person ? teams.filter((t) => peopleOf(t).includes(person)) : [];
  if (theirs.length === 1) return theirs[0] as RotaTeam;
  return `Say which team with --team (${escapeChat(names)}).`;
}

const peopleOf = (team: RotaTeam) =>
  team.people.filter((p) => !p.startsWith('~')).map((p) => p.replace(/^@/, '').toLowerCase());

function whenOf(text: string, team: RotaTeam, now: number): number | undefined {
  const delay = parseDuration(text);
  return typeof delay === 'number' ? now + delay : localInstant(text, team.timeZone);
}

function describe(segment: Segment, team: RotaTeam): string {
  const o = segment.override;
  const why = o
    ? ` (${o.kind === 'swap' ? 'swap' : 'override'} #${o.id} by ${escapeChat(o.createdBy)}${o.note ? `: ${escapeChat(o.note)}` : ''})`
    : '';
  return `- ${formatShort(segment.from, team.timeZone)} → ${formatShort(segment.until, team.timeZone)}: ${mention(segment.person)}${why}`;
}

export async function runShifts(ctx: CommandContext): Promise<void> {
  const roster = rosterOf(ctx);
  if (typeof roster === 'string') return void (await ctx.reply(roster));
  let teams = roster.teams;
  if (typeof ctx.args.team === 'string') {
    const team = pickTeam(ctx, teams);
    if (typeof team === 'string') return void (await ctx.reply(team));
    teams = [team];
  }
  await roster.refresh();
  const now = ctx.services.now();
  const days = typeof ctx.args.days === 'number' ? ctx.args.days : DEFAULT_DAYS;
  const views = teams.map((team) => ({ team, segments: roster.segments(team, now, now + days * DAY_MS) }));
  await replyListing(
    ctx,
    () =>
      views.flatMap(({ team, segments }) =>
        segments.map((s) => ({
          team: team.name,
          // A username without @ (as overrides store it), or a ~group.
          person: s.person.startsWith('~')
            ? s.person.toLowerCase()
            : s.person.replace(/^@/, '').toLowerCase(),
          from: new Date(s.from).toISOString(),
          until: new Date(s.until).toISOString(),
          ...(s.override
            ? {
                override: {
                  id: s.override.id,
                  kind: s.override.kind,
                  by: s.override.createdBy,
                  note: s.override.note,
                },
              }
            : {}),
        })),
      ),
    () => ({
      title: `On-call shifts, the next ${days} day${days === 1 ? '' : 's'}`,
      text: views
        .map(({ team, segments }) =>
          [
            `**${escapeChat(team.name)}** (${escapeChat(team.timeZone)}, ${team.rotation} handover at ${team.handover}${team.rotation === 'weekly' ? ` on ${team.handoverDay}s` : ''})`,
            ...segments.map((s) => describe(s, team)),
          ].join('\n'),
        )
        .join('\n\n'),
    }),
  );
}

export async function runOverride(ctx: CommandContext): Promise<void> {
  const roster = rosterOf(ctx);
  if (typeof roster === 'string') return void (await ctx.reply(roster));
  // overrideCheck has matched it already.
  const person = String(ctx.args.person).replace(/^@/, '').toLowerCase();
  const everyone = new Set(roster.teams.flatMap(peopleOf));
  if (!everyone.has(person))
    return void (await ctx.reply(
      `@${escapeChat(person)} is in no on-call rota (oncall.teams[].people), so cannot be put on call. Nothing was changed.`,
    ));
  const team = pickTeam(ctx, roster.teams, person);
  if (typeof team === 'string') return void (await ctx.reply(team));
  const now = ctx.services.now();
  const from = typeof ctx.args.from === 'string' ? whenOf(ctx.args.from, team, now) : now;
  const until = whenOf(String(ctx.args.until), team, now);
  if (from === undefined || until === undefined)
    return void (await ctx.reply(
      `${escapeChat(String(from === undefined ? ctx.args.from : ctx.args.until))} is not a time on ${escapeChat(team.name)}'s clock (${escapeChat(team.timeZone)}). Nothing was changed.`,
    ));
  if (until <= now)
    return void (await ctx.reply(
      `--until ${escapeChat(String(ctx.args.until))} is in the past (${formatStamp(until, team.timeZone)} ${escapeChat(team.timeZone)}). Nothing was changed.`,
    ));
  if (until <= from) return void (await ctx.reply('--until must be after --from. Nothing was changed.'));
  const startsAt = Math.max(from, now);
  const [stored] = await ctx.services.store.addOncallOverrides([
    {
      team: team.name,
      person,
      startsAt,
      endsAt: until,
      kind: 'override',
      note: typeof ctx.args.reason === 'string' ? ctx.args.reason.slice(0, 200) : '',
      createdBy: ctx.user.username,
      createdAt: now,
    },
  ]);
  await roster.refresh();
  await ctx.reply({
    title: `${escapeChat(team.name)}: @${escapeChat(person)} is on call ${startsAt === now ? 'now' : `from ${formatShort(startsAt, team.timeZone)}`} until ${formatShort(until, team.timeZone)} ${escapeChat(team.timeZone)}`,
    text: `Override #${stored?.id} by ${escapeChat(ctx.user.username)}; alert mentions of oncall:${escapeChat(team.name)} name them meanwhile. Undo with \`oncall cancel ${stored?.id}\`.`,
  });
}

/** The rota shift that starts on `date` (the team's clock); a string says why there is none. */
function shiftStarting(team: RotaTeam, date: string): { since: number; until: number } | string {
  const day = parseDate(date) as number;
  const time = parseHandover(team.handover) as { hour: number; minute: number };
  const at = zonedInstant(day, time.hour, time.minute, team.timeZone);
  const shift = shiftAt(team, at);
  const local = localTime(shift.since, team.timeZone);
  const starts = `${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
  if (starts !== date)
    return `No ${escapeChat(team.name)} shift starts on ${escapeChat(date)}: its shifts start ${team.rotation === 'weekly' ? `on ${team.handoverDay}s` : 'every day'} at ${team.handover} (see \`oncall shifts\`).`;
  return { since: shift.since, until: shift.until };
}

export async function runSwap(ctx: CommandContext): Promise<void> {
  const roster = rosterOf(ctx);
  if (typeof roster === 'string') return void (await ctx.reply(roster));
  const team = pickTeam(ctx, roster.teams);
  if (typeof team === 'string') return void (await ctx.reply(team));
  await roster.refresh();
  const now = ctx.services.now();
  const dates = [String(ctx.args.shift), String(ctx.args.with)];
  const shifts = dates.map((d) => shiftStarting(team, d));
  const problem = shifts.find((s) => typeof s === 'string');
  if (typeof problem === 'string') return void (await ctx.reply(`${problem} Nothing was changed.`));
  const [a, b] = shifts as { since: number; until: number }[] as [
    { since: number; until: number },
    { since: number; until: number },
  ];
  const ended = [a, b].findIndex((s) => s.until <= now);
  if (ended >= 0)
    return void (await ctx.reply(
      `The shift of ${escapeChat(dates[ended] as string)} is over; only current and future shifts can be swapped. Nothing was changed.`,
    ));
  const whoA = roster.now(team, Math.max(a.since, now)).current.person;
  const whoB = roster.now(team, Math.max(b.since, now)).current.person;
  if (mention(whoA) === mention(whoB))
    return void (await ctx.reply(
      `${mention(whoA)} is on call for both shifts already: there is nothing to swap. Nothing was changed.`,
    ));
  const swapId = randomBytes(9).toString('base64url');
  const base = {
    team: team.name,
    kind: 'swap' as const,
    swapId,
    createdBy: ctx.user.username,
    createdAt: now,
  };
  const person = (p: string) => p.replace(/^@/, '').toLowerCase();
  const stored: OncallOverride[] = await ctx.services.store.addOncallOverrides([
    {
      ...base,
      person: person(whoB),
      startsAt: Math.max(a.since, now),
      endsAt: a.until,
      note: `swapped with ${mention(whoA)}'s shift of ${dates[0]}`,
    },
    {
      ...base,
      person: person(whoA),
      startsAt: Math.max(b.since, now),
      endsAt: b.until,
      note: `swapped with ${mention(whoB)}'s shift of ${dates[1]}`,
    },
  ]);
  await roster.refresh();
  await ctx.reply({
    title: `${escapeChat(team.name)}: ${mention(whoA)} and ${mention(whoB)} swapped shifts`,
    text: [
      `${mention(whoB)} is on call ${formatShort(Math.max(a.since, now), team.timeZone)} → ${formatShort(a.until, team.timeZone)}, ${mention(whoA)} ${formatShort(Math.max(b.since, now), team.timeZone)} → ${formatShort(b.until, team.timeZone)} (${escapeChat(team.timeZone)}).`,
      `Swap #${stored.map((s) => s.id).join(' and #')} by ${escapeChat(ctx.user.username)}; undo with \`oncall cancel ${stored[0]?.id}\`.`,
    ].join('\n'),
  });
}

export async function runCancel(ctx: CommandContext): Promise<void> {
  const roster = rosterOf(ctx);
  if (typeof roster === 'string') return void (await ctx.reply(roster));
  const id = Number(ctx.args.id);
  const removed = await ctx.services.store.cancelOncallOverride(id);
  await roster.refresh();
  if (removed.length === 0)
    return void (await ctx.reply(
      `There is no on-call override #${id} (see \`oncall shifts\`). Nothing was changed.`,
    ));
  await ctx.reply(
    `${removed.length === 2 ? `Swap #${removed.map((r) => r.id).join(' and #')}` : `Override #${id}`} of ${escapeChat(removed[0]?.team ?? '')} cancelled by ${escapeChat(ctx.user.username)}: the rota applies again.`,
  );
}
