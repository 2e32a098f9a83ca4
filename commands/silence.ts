import type { AlertmanagerApi, Silence } from '../src/alerts/alertmanager-api.js';
import { utcMinute } from '../src/alerts/format-duration.js';
import { formatMatchers, type Matcher, matchesEverything, parseMatchers } from '../src/alerts/matchers.js';
import { allows } from '../src/auth/permissions.js';
import type { Args, CommandContext, CommandGroup } from '../src/router/spec.js';
import { escapeChat, inlineCode } from '../src/text/escape.js';
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
  const directory = ctx.services.alertmanagers;
  const picked = directory
    ? directory.pick(ctx.args.am === undefined ? undefined : String(ctx.args.am))
    : {
        error: 'No Alertmanager is configured: add one under `alertmanagers:` in the config (name and url).',
      };
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

function describeSilence(silence: Silence): string {
  const left = silence.state === 'active' ? `until ${utcMinute(silence.endsAt)}` : silence.state;
  return `${inlineCode(silence.id)} ${inlineCode(formatMatchers(silence.matchers))} ${left}, by ${escapeChat(silence.createdBy)}: ${escapeChat(silence.comment)}${silence.state === 'pending' ? ` (starts ${utcMinute(silence.startsAt)})` : ''}`;
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
        am: amOption,
      },
      permission: 'silence:write',
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
        const endsAt = now + (ctx.args.for as number);
        const id = await talking(ctx, () =>
          am.createSilence({
            matchers: parsed.matchers,
            startsAt: now,
            endsAt,
            createdBy: ctx.user.username,
            comment: String(ctx.args.comment),
          }),
        );
        if (id === undefined) return;
        await ctx.reply(
          `Silenced ${inlineCode(formatMatchers(parsed.matchers))} in ${escapeChat(am.name)} until ${utcMinute(endsAt)}: silence ${inlineCode(id)}, by ${escapeChat(ctx.user.username)}.`,
        );
      },
    },
    {
      group: 'silence',
      name: 'list',
      summary: 'active silences',
      options: {
        am: amOption,
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
        const am = await alertmanagerFor(ctx);
        if (!am) return;
        const filter: string[] = [];
        if (ctx.args.match !== undefined) {
          const parsed = parseMatchers(String(ctx.args.match));
          if ('matchers' in parsed) filter.push(...parsed.matchers.map((m) => formatMatchers([m])));
        }
        const silences = await talking(ctx, () => am.listSilences(filter));
        if (silences === undefined) return;
        const live = silences.filter((s) => s.state !== 'expired').sort((a, b) => a.endsAt - b.endsAt);
        if (live.length === 0) {
          await ctx.reply(
            `No active silences in ${escapeChat(am.name)}${filter.length ? ' matching that' : ''}.`,
          );
          return;
        }
        await replyListing(
          ctx,
          () =>
            live.map((s) => ({
              ...s,
              alertmanager: am.name,
              startsAt: new Date(s.startsAt).toISOString(),
              endsAt: new Date(s.endsAt).toISOString(),
            })),
          () => ({
            title: `${live.length} silence${live.length === 1 ? '' : 's'} in ${escapeChat(am.name)}`,
            text: live.map((s) => `- ${describeSilence(s)}`).join('\n'),
          }),
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
        const until = silence ? ` until ${utcMinute(silence.endsAt)}` : '';
        const renamed =
          newId === id ? '' : ` (it had ended, so Alertmanager made it a new silence ${inlineCode(newId)})`;
        await ctx.reply(
          `Extended silence ${inlineCode(id)} in ${escapeChat(am.name)}${until}${renamed}, by ${escapeChat(ctx.user.username)}.`,
        );
      },
    },
  ],
};
