import { silencesAcross } from '../src/alerts/across.js';
import type { AlertmanagerApi, Silence } from '../src/alerts/alertmanager-api.js';
import { formatMatchers, type Matcher, matchesEverything, parseMatchers } from '../src/alerts/matchers.js';
import { allows } from '../src/auth/permissions.js';
import { parseDuration } from '../src/duration.js';
import type { Args, CommandContext, CommandGroup } from '../src/router/spec.js';
import { escapeChat, inlineCode } from '../src/text/escape.js';
import { formatTime } from '../src/text/time.js';
import { alertmanagersFor, amOption as allAmOption } from './alerts.js';
import { outputOption, replyListing } from './options.js';

/** The matcher words as typed (the tokenizer has taken the quotes off), parsed. */
function matchersOf(args: Args): { matchers: Matcher[] } | { error: string } {
  const words = args.matchers;
  const text = Array.isArray(words) ? words.join(' ') : String(words ?? '');
  return parseMatchers(text);
}

/** True when the silence would mute every alert: it needs an admin's confirmation. */
function silencesEverything(args: Args): boolean {
  const parsed = matchersOf(args);
  return 'matchers' in parsed && matchesEverything(parsed.matchers);
}

/** The Alertmanager a command names with --am, or answers why there is none. */
async function alertmanagerFor(ctx: CommandContext): Promise<AlertmanagerApi | undefined> {
  const picked = ctx.services.alertmanagers.pick(ctx.args.am === undefined ? undefined : String(ctx.args.am));
  if ('error' in picked) {
    await ctx.reply(picked.error);
    return undefined;
  }
  return picked;
}

/** Alertmanager refusing or being unreachable is an answer to the user, not a crash. */
async function talking<T>(ctx: CommandContext, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    await ctx.reply(`${error instanceof Error ? error.message : String(error)} Nothing was changed.`);
    return undefined;
  }
}

function describeSilence(silence: Silence, timeZone: string): string {
  const left = silence.state === 'active' ? `until ${formatTime(silence.endsAt, timeZone)}` : silence.state;
  return `${inlineCode(silence.id)} ${inlineCode(formatMatchers(silence.matchers))} ${left}, by ${escapeChat(silence.createdBy)}: ${escapeChat(silence.comment)}${silence.state === 'pending' ? ` (starts ${formatTime(silence.startsAt, timeZone)})` : ''}`;
}

/**
 * When a silence starts: `--from` as a delay from now (`2h`) or a time (ISO 8601; without a zone
 * it is UTC). Not in the past: a silence that starts before it is made starts now anyway.
 */
export function startOf(
  text: string,
  now: number,
): { at: number; error?: undefined } | { at?: undefined; error: string } {
  const delay = parseDuration(text);
  if (typeof delay === 'number') return { at: now + delay };
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(text) ? text : `${text}Z`;
  const at = /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(text) ? Date.parse(zoned) : Number.NaN;
  if (Number.isNaN(at))
    return {
      error: `--from needs a UTC time like 2026-12-24T22:00 or a delay like 2h, not "${text.slice(0, 60)}"`,
    };
  if (at < now - 60_000) return { error: `--from ${text} is in the past` };
  return { at: Math.max(at, now) };
}

const amOption = {
  type: 'string',
  description: 'which Alertmanager, as named in the config',
  placeholder: 'AM',
} as const;

export const silence: CommandGroup = {
  name: 'silence',
  summary: 'Alertmanager silences, created and ended from chat',
  commands: [
    {
      group: 'silence',
      name: 'add',
      summary: 'silence the alerts matching Alertmanager matchers',
      positionals: [
        {
          name: 'matchers',
          description: 'e.g. alertname="X", severity=~"warn.*"',
          required: true,
          variadic: true,
        },
      ],
      options: {
        for: { type: 'duration', description: 'how long, e.g. 2h', required: true, placeholder: 'D' },
        comment: {
          type: 'string',
          description: 'why (shown in Alertmanager)',
          required: true,
          placeholder: 'TEXT',
        },
        from: {
          type: 'string',
          description: 'start later: a UTC time like 2026-12-24T22:00, or a delay like 2h (default: now)',
          placeholder: 'TIME',
        },
        am: amOption,
      },
      permission: 'silence:write',
      check: (args) => (args.from === undefined ? undefined : startOf(String(args.from), Date.now()).error),
      visibility: 'in_channel',
      examples: [
        'silence add alertname="CephHealthWarning" --for 2h --comment "planned OSD swap"',
        // The form the Silence… button offers where the chat has no dialogs (shell, Rocket.Chat).
        `silence add 'alertname="PostgresDown", cluster="apps"' --for 4h --comment "failover drill" --am infra`,
      ],
      dangerous: silencesEverything,
      // Matchers are checked in run, after authorization, so someone without the role learns
      // that first rather than how to spell a matcher.
      run: async (ctx) => {
        const parsed = matchersOf(ctx.args);
        if ('error' in parsed) {
          await ctx.reply(`Those matchers do not parse: ${parsed.error}.`);
          return;
        }
        if (matchesEverything(parsed.matchers) && !allows(ctx.role, 'silence:everything')) {
          await ctx.reply(
            'Those matchers would silence every alert; only an admin may do that (and must confirm it). Narrow them, e.g. add alertname="..." or cluster="...".',
          );
          return;
        }
        const am = await alertmanagerFor(ctx);
        if (!am) return;
        const now = ctx.services.now();
        const start = ctx.args.from === undefined ? { at: now } : startOf(String(ctx.args.from), now);
        if (start.at === undefined) return void (await ctx.reply(`${start.error}.`));
        const startsAt = start.at;
        const endsAt = startsAt + (ctx.args.for as number);
        const id = await talking(ctx, () =>
          am.createSilence({
            matchers: parsed.matchers,
            startsAt,
            endsAt,
            createdBy: ctx.user.username,
            comment: String(ctx.args.comment),
          }),
        );
        if (id === undefined) return;
        await ctx.reply(
          `Silenced ${inlineCode(formatMatchers(parsed.matchers))} in ${escapeChat(am.name)} ${startsAt > now ? `from ${formatTime(startsAt, ctx.services.config.timeZone)} ` : ''}until ${formatTime(endsAt, ctx.services.config.timeZone)}: silence ${inlineCode(id)}, by ${escapeChat(ctx.user.username)}.`,
        );
      },
    },
    {
      group: 'silence',
      name: 'list',
      summary: 'active and pending silences, merged across the Alertmanagers',
      options: {
        am: allAmOption,
        match: {
          type: 'string',
          description: 'only silences with a matcher on this label=value',
          placeholder: 'M',
        },
        output: outputOption(),
      },
      permission: 'silence:list',
      check: (args) => {
        if (args.match === undefined) return undefined;
        const parsed = parseMatchers(String(args.match));
        return 'error' in parsed ? `--match does not parse: ${parsed.error}.` : undefined;
      },
      run: async (ctx) => {
        const clients = alertmanagersFor(ctx);
        if (typeof clients === 'string') return void (await ctx.reply(clients));
        const filter: string[] = [];
        if (ctx.args.match !== undefined) {
          const parsed = parseMatchers(String(ctx.args.match));
          if ('matchers' in parsed) filter.push(...parsed.matchers.map((m) => formatMatchers([m])));
        }
        const { items, unreachable } = await silencesAcross(clients, filter);
        if (items.length === 0 && unreachable.length === clients.length)
          return void (await ctx.reply(`${unreachable.map((u) => u.reason).join(' ')} Nothing was changed.`));
        const live = items.sort((a, b) => a.endsAt - b.endsAt);
        const where = clients.map((c) => escapeChat(c.name)).join(', ');
        const missing = unreachable.map(
          (u) => `_Not answering: ${escapeChat(u.name)}: ${escapeChat(u.reason)}_`,
        );
        await replyListing(
          ctx,
          () => ({
            silences: live.map((s) => ({
              ...s,
              startsAt: new Date(s.startsAt).toISOString(),
              endsAt: new Date(s.endsAt).toISOString(),
            })),
            unreachable,
          }),
          () =>
            live.length === 0
              ? [
                  `No active or pending silences in ${where}${filter.length ? ' matching that' : ''}.`,
                  ...missing,
                ].join('\n')
              : {
                  title: `${live.length} silence${live.length === 1 ? '' : 's'} in ${where}`,
                  text: [
                    ...live.map(
                      (s) =>
                        `- ${describeSilence(s, ctx.services.config.timeZone)}${clients.length > 1 ? ` (${s.alertmanagers.map(escapeChat).join(', ')})` : ''}`,
                    ),
                    ...missing,
                  ].join('\n'),
                },
        );
      },
    },
    {
      group: 'silence',
      name: 'expire',
      summary: 'end a silence now',
      positionals: [{ name: 'id', description: 'the silence id', required: true }],
      options: { am: amOption },
      permission: 'silence:write',
      visibility: 'in_channel',
      run: async (ctx) => {
        const am = await alertmanagerFor(ctx);
        if (!am) return;
        const id = String(ctx.args.id);
        const found = await talking(ctx, async () => ({ silence: await am.getSilence(id) }));
        if (found === undefined) return;
        const { silence } = found;
        if (silence === undefined) {
          await ctx.reply(
            `There is no silence ${inlineCode(id)} in ${escapeChat(am.name)}; see \`silence list\`.`,
          );
          return;
        }
        if (silence.state === 'expired') {
          await ctx.reply(`Silence ${inlineCode(id)} has already ended.`);
          return;
        }
        const done = await talking(ctx, async () => {
          await am.expireSilence(id);
          return true;
        });
        if (!done) return;
        await ctx.reply(
          `Expired silence ${inlineCode(id)} (${inlineCode(formatMatchers(silence.matchers))}) in ${escapeChat(am.name)}, by ${escapeChat(ctx.user.username)}.`,
        );
      },
    },
    {
      group: 'silence',
      name: 'extend',
      summary: 'make a silence last longer',
      positionals: [{ name: 'id', description: 'the silence id', required: true }],
      options: {
        for: { type: 'duration', description: 'how much longer', required: true, placeholder: 'D' },
        am: amOption,
      },
      permission: 'silence:write',
      visibility: 'in_channel',
      run: async (ctx) => {
        const am = await alertmanagerFor(ctx);
        if (!am) return;
        const id = String(ctx.args.id);
        const now = ctx.services.now();
        const newId = await talking(ctx, () => am.extendSilence(id, ctx.args.for as number, now));
        if (newId === undefined) return;
        const silence = await talking(ctx, () => am.getSilence(newId));
        const until = silence ? ` until ${formatTime(silence.endsAt, ctx.services.config.timeZone)}` : '';
        const renamed =
          newId === id ? '' : ` (it had ended, so Alertmanager made it a new silence ${inlineCode(newId)})`;
        await ctx.reply(
          `Extended silence ${inlineCode(id)} in ${escapeChat(am.name)}${until}${renamed}, by ${escapeChat(ctx.user.username)}.`,
        );
      },
    },
  ],
};
