/**
 * Who is on call with overrides and swaps applied: the rota (rota.ts) says whose shift it is,
 * an override stored by `oncall override`/`oncall swap` puts someone else in for a while (the
 * newest override wins where two overlap). The overrides are kept in memory, loaded from the
 * store at start, after every write on this replica, and every REFRESH_MS (so other replicas'
 * writes show within that), because alert routing asks synchronously for every post.
 */
import type { Logger } from '../log.js';
import type { OncallOverride, Store } from '../store/store.js';
import { dayNumber, localTime, zonedInstant } from '../text/time.js';
import { mention, type RotaTeam, shiftAt } from './rota.js';

export const REFRESH_MS = 30_000;
const DAY_MS = 86_400_000;

/** A stretch of time one person is on call for a team. */
export interface Segment {
  team: string;
  /** As the rota writes it (`alice`, `@alice`, `~dba`), or an override's username. */
  person: string;
  from: number;
  until: number;
  /** The override that put `person` there, if any. */
  override?: OncallOverride;
}

export class OncallRoster {
  private overrides: OncallOverride[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      teams: readonly RotaTeam[];
      store: Store;
      now: () => number;
      log: Logger;
    },
  ) {}

  get teams(): readonly RotaTeam[] {
    return this.deps.teams;
  }

  team(name: string): RotaTeam | undefined {
    return this.deps.teams.find((t) => t.name === name);
  }

  async refresh(): Promise<void> {
    if (this.deps.teams.length === 0) return;
    this.overrides = await this.deps.store.listOncallOverrides({ endsAfter: this.deps.now() - DAY_MS });
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.deps.log.warn({ err: error }, 'on-call overrides could not be reloaded'),
      );
    }, REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The rota's shifts that overlap [from, to). */
  rotaShifts(team: RotaTeam, from: number, to: number): Segment[] {
    const out: Segment[] = [];
    for (let at = from; at < to; ) {
      const shift = shiftAt(team, at);
      out.push({ team: team.name, person: shift.current, from: shift.since, until: shift.until });
      at = shift.until;
    }
    return out;
  }

  /** Who is on call for the team over [from, to), shift by shift, overrides applied. */
  segments(team: RotaTeam, from: number, to: number): Segment[] {
    const rota = this.rotaShifts(team, from, to);
    const mine = this.overrides.filter((o) => o.team === team.name && o.endsAt > from && o.startsAt < to);
    const cuts = new Set<number>([from, to]);
    for (const s of rota) for (const t of [s.from, s.until]) if (t > from && t < to) cuts.add(t);
    for (const o of mine) for (const t of [o.startsAt, o.endsAt]) if (t > from && t < to) cuts.add(t);
    const points = [...cuts].sort((a, b) => a - b);
    const out: Segment[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i] as number;
      const b = points[i + 1] as number;
      const covering = mine.filter((o) => o.startsAt <= a && a < o.endsAt);
      const override = covering.reduce<OncallOverride | undefined>(
        (newest, o) =>
          !newest || o.createdAt > newest.createdAt || (o.createdAt === newest.createdAt && o.id > newest.id)
            ? o
            : newest,
        undefined,
      );
      const base = rota.find((s) => s.from <= a && a < s.until) as Segment;
      const piece: Segment = override
        ? { team: team.name, person: override.person, from: a, until: b, override }
        : { team: team.name, person: base.person, from: a, until: b };
      // One override's pieces join up; rota shifts stay one per shift (a one-person rota still
      // hands over, and "next" is the next shift).
      const last = out.at(-1);
      const sameRotaShift =
        !last?.override && !piece.override && last !== undefined && base.from < last.until;
      const sameOverride = last?.override !== undefined && last.override.id === piece.override?.id;
      if (last && last.until === a && (sameOverride || sameRotaShift)) last.until = b;
      else out.push(piece);
    }
    // A rota shift shows its real start, not where the window cut it.
    const first = out[0];
    if (first && !first.override) first.from = rota[0]?.from ?? first.from;
    const lastOut = out.at(-1);
    if (lastOut && !lastOut.override) lastOut.until = rota.at(-1)?.until ?? lastOut.until;
    return out;
  }

  /** Who is on call at `at` and who is next, overrides applied. */
  now(team: RotaTeam, at = this.deps.now()): { current: Segment; next: Segment } {
    // Wide enough that the segment holding `at` and the one after it are whole.
    const ends = this.overrides.filter((o) => o.team === team.name).map((o) => o.endsAt);
    const segments = this.segments(team, at - 8 * DAY_MS, Math.max(at, ...ends) + 16 * DAY_MS);
    const i = segments.findIndex((s) => s.from <= at && at < s.until);
    return { current: segments[i] as Segment, next: segments[i + 1] as Segment };
  }

  /** Whom to mention for `oncall:<team>` now (`@bob`, `~dba`); undefined for an unknown team. */
  mentionFor(teamName: string, at = this.deps.now()): string | undefined {
    const team = this.team(teamName);
    return team ? mention(this.now(team, at).current.person) : undefined;
  }

  /** The overrides currently loaded (for listing and checks). */
  loaded(): readonly OncallOverride[] {
    return this.overrides;
  }
}

/**
 * A time as the team's clocks show it (`2026-12-24T09:00`), or a delay from now (`12h`, given as
 * milliseconds by the caller's duration parser). Undefined when it is neither.
 */
export function localInstant(text: string, timeZone: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return undefined;
  const instant = zonedInstant(dayNumber({ year, month, day }), hour, minute, timeZone);
  const back = localTime(instant, timeZone);
  return back.day === day && back.month === month ? instant : undefined;
}
