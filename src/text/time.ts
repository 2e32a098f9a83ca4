/**
 * Times as people read them, in the configured IANA time zone (top-level `timeZone`, default
 * UTC), always with the zone named: `2026-12-04 15:02 CET`. Every time coxswain shows goes
 * through here. Also wall-clock arithmetic with nothing but Intl: what day and time it is in a
 * zone, and which instant a local date and time is. Rotas hand over at local times, so a DST
 * change moves the instant, never the wall-clock time.
 */

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

export const TIME_ZONE_PROBLEM =
  'must be an IANA time zone like UTC, Europe/Berlin or America/New_York (the names `timedatectl list-timezones` prints)';

/** True when Intl knows the zone (`Europe/Berlin`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localTime(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant)))
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const year = parts.year as number;
  const month = parts.month as number;
  const day = parts.day as number;
  return {
    year,
    month,
    day,
    hour: parts.hour as number,
    minute: parts.minute as number,
    second: parts.second as number,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

/** A calendar date as a day number (days since 1970-01-01), for arithmetic on dates. */
export function dayNumber(date: { year: number; month: number; day: number }): number {
  return Math.floor(Date.UTC(date.year, date.month - 1, date.day) / 86_400_000);
}

export function dateOfDay(day: number): { year: number; month: number; day: number } {
  const date = new Date(day * 86_400_000);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

function offsetAt(instant: number, timeZone: string): number {
  const local = localTime(instant, timeZone);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant at which the zone's clocks show `hour:minute` on `day`. A time skipped by a DST
 * change resolves to the instant just after the gap; a repeated one to its first occurrence.
 */
export function zonedInstant(day: number, hour: number, minute: number, timeZone: string): number {
  const wall = day * 86_400_000 + (hour * 60 + minute) * 60_000;
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  if (first === second) return first;
  // Across a change: take the earlier candidate that really shows the wall time, else the later.
  const [early, late] = first < second ? [first, second] : [second, first];
  const shows = (instant: number) => {
    const local = localTime(instant, timeZone);
    return local.hour === hour && local.minute === minute;
  };
  return shows(early) ? early : late;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** `2026-11-23 20:31` in the zone. */
export function formatStamp(instant: number, timeZone: string): string {
  const t = localTime(instant, timeZone);
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}`;
}

/** `Mon 30 Nov 09:00` in the zone. */
export function formatShort(instant: number, timeZone: string): string {
  const t = localTime(instant, timeZone);
  return `${WEEKDAYS[t.weekday]} ${t.day} ${MONTHS[t.month - 1]} ${pad(t.hour)}:${pad(t.minute)}`;
}

/** `20261123`: the date part of a room name. */
export function compactDate(instant: number, timeZone: string): string {
  const t = localTime(instant, timeZone);
  return `${t.year}${pad(t.month)}${pad(t.day)}`;
}

const zoneNames = new Map<string, Intl.DateTimeFormat>();

function zoneNamer(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale} ${timeZone}`;
  let format = zoneNames.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' });
    zoneNames.set(key, format);
  }
  return format;
}

function shortName(instant: number, locale: string, timeZone: string): string {
  const part = zoneNamer(locale, timeZone)
    .formatToParts(new Date(instant))
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

/**
 * The zone's name at that instant as people say it: `UTC`, `CET`/`CEST`, `GMT`/`BST`,
 * `EST`/`EDT`; where there is no common abbreviation, the offset, `UTC+3`, `UTC+5:30`.
 * (Intl's British English names European zones, its American English the American ones.)
 */
export function zoneName(instant: number, timeZone: string): string {
  const offset = /^GMT[+-]/;
  let name = shortName(instant, 'en-GB', timeZone);
  if (offset.test(name)) name = shortName(instant, 'en-US', timeZone);
  return offset.test(name) ? name.replace(/^GMT/, 'UTC') : name;
}

/** `2026-12-04 15:02 CET`: a time in the configured zone, the zone named. */
export function formatTime(instant: number, timeZone: string): string {
  return `${formatStamp(instant, timeZone)} ${zoneName(instant, timeZone)}`;
}

/** `2026-12-04 15:02:07 CET`: to the second, for the audit log. */
export function formatTimeSeconds(instant: number, timeZone: string): string {
  const t = localTime(instant, timeZone);
  return `${formatStamp(instant, timeZone)}:${pad(t.second)} ${zoneName(instant, timeZone)}`;
}
