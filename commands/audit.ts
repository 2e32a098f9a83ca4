import { formatDuration } from '../src/duration.js';
import type { CommandGroup } from '../src/router/spec.js';
import { escapeChat } from '../src/text/escape.js';
import { formatTimeSeconds } from '../src/text/time.js';
import { outputOption, replyListing } from './options.js';

export const audit: CommandGroup = {
  name: 'audit',
  summary: 'who ran what, allowed or denied',
  commands: [
    {
      group: 'audit',
      summary: 'show the most recent audit entries',
      options: {
        user: { type: 'string', description: 'only this chat user', placeholder: 'U' },
        since: { type: 'duration', description: 'only entries newer than this, e.g. 1h', placeholder: 'D' },
        limit: {
          type: 'number',
          description: 'at most this many entries (default 20, up to 200)',
          placeholder: 'N',
        },
        output: outputOption(),
      },
      permission: 'audit:read',
      examples: ['audit --user alice --since 1h'],
      check: (args) =>
        args.limit !== undefined &&
        (!Number.isInteger(args.limit) || (args.limit as number) < 1 || (args.limit as number) > 200)
          ? '--limit must be a whole number from 1 to 200'
          : undefined,
      run: async (ctx) => {
        const { store, now, config } = ctx.services;
        const query: { username?: string; since?: number; limit: number } = {
          limit: (ctx.args.limit as number) ?? 20,
        };
        if (ctx.args.user !== undefined) query.username = String(ctx.args.user).replace(/^@/, '');
        if (ctx.args.since !== undefined) query.since = now() - (ctx.args.since as number);
        const entries = await store.listAudit(query);
        if (entries.length === 0) {
          await ctx.reply('No audit entries match.');
          return;
        }
        const rows = entries.map((e) => {
          const when = formatTimeSeconds(e.at, config.timeZone);
          return `| ${when} | ${escapeChat(e.username)} | ${escapeChat(e.channelName)} | ${escapeChat(e.command)} | ${e.outcome} | ${formatDuration(e.durationMs)} | ${escapeChat(e.detail.slice(0, 120))} |`;
        });
        await replyListing(
          ctx,
          () => entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
          () => ({
            title: `Audit: ${entries.length} most recent`,
            text: [
              '| when | user | channel | command | outcome | took | detail |',
              '|---|---|---|---|---|---|---|',
              ...rows,
            ].join('\n'),
          }),
        );
      },
    },
  ],
};
