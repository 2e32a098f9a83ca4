/**
 * Incident room names: `inc-YYYYMMDD-<slug>`, lowercase letters, digits and dashes, at most 64
 * characters (the shorter of Mattermost's and Rocket.Chat's limits), unique among the rooms
 * coxswain has made: a second incident with the same title on the same day gets `-2`, then `-3`.
 */
export const ROOM_NAME_MAX = 64;
const SLUG_MAX = ROOM_NAME_MAX - 'inc-YYYYMMDD-'.length - '-99'.length;

/** `Postgres failover LOOP!` → `postgres-failover-loop`; `incident` when nothing is left. */
export function slugify(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug === '') return 'incident';
  if (slug.length <= SLUG_MAX) return slug;
  // Cut at the last whole word that fits, unless that would throw most of the title away.
  const cut = slug.slice(0, SLUG_MAX + 1);
  const boundary = cut.lastIndexOf('-');
  return boundary >= SLUG_MAX / 2 ? cut.slice(0, boundary) : slug.slice(0, SLUG_MAX).replace(/-+$/, '');
}

/** The first free name for a room, given the names already taken. */
export function roomName(date: string, title: string, taken: ReadonlySet<string>): string {
  const base = `inc-${date}-${slugify(title)}`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const name = `${base}-${n}`;
    if (!taken.has(name)) return name;
  }
}
