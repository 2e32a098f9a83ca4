/** `/ops alerts`: what fires now across every configured Alertmanager, merged and de-duplicated. */
import { alertsAcross } from '../src/alerts/across.js';
import type { AlertmanagerApi } from '../src/alerts/alertmanager-api.js';
import { formatDuration } from '../src/duration.js';
import { DNS1123_LABEL } from '../src/kube/names.js';
import type { CommandContext, CommandGroup } from '../src/router/spec.js';
import { escapeChat } from '../src/text/escape.js';
import { formatTime } from '../src/text/time.js';
import { outputOption, replyListing } from './options.js';

export const amOption = {
  type: 'string',
  description: 'only this Alertmanager, as named in the config (default: all of them)',
  placeholder: 'AM',
} as const;

/** The Alertmanagers a read asks: the one `--am` names, or all; a string is the answer to give. */
export function alertmanagersFor(ctx: CommandContext): AlertmanagerApi[] | string {
  const directory = ctx.services.alertmanagers;
  if (directory.names.length === 0)
    return 'No Alertmanager is configured: add one under `alertmanagers:` in the config (name and url).';
  if (ctx.args.am === undefined) return directory.all();
  const picked = directory.pick(String(ctx.args.am));
  return 'error' in picked ? picked.error : [picked];
}

const SEVERITY_ORDER = ['critical', 'error', 'warning', 'info', 'none'];
const rank = (severity: string | undefined) => {
  const i = SEVERITY_ORDER.indexOf(severity ?? 'none');
  return i < 0 ? SEVERITY_ORDER.length : i;
};

async function runAlerts(ctx: CommandContext): Promise<void> {
  const clients = alertmanagersFor(ctx);
  if (typeof clients === 'string') return void (await ctx.reply(clients));
  // Label values go into Alertmanager's filter as quoted strings; JSON quoting escapes them.
  const filter: string[] = [];
  if (typeof ctx.args.cluster === 'string') filter.push(`cluster=${JSON.stringify(ctx.args.cluster)}`);
  if (typeof ctx.args.severity === 'string') filter.push(`severity=${JSON.stringify(ctx.args.severity)}`);
  const { items, unreachable } = await alertsAcross(clients, filter);
  items.sort(
    (a, b) =>
      rank(a.labels.severity) - rank(b.labels.severity) ||
      (a.startsAt ?? 0) - (b.startsAt ?? 0) ||
      (a.labels.alertname ?? '').localeCompare(b.labels.alertname ?? ''),
  );
  const now = ctx.services.now();
  const missing = unreachable.map((u) => `_Not answering: ${escapeChat(u.name)}: ${escapeChat(u.reason)}_`);
  await replyListing(
    ctx,
    () => ({
      alerts: items.map((a) => ({
        ...a,
        startsAt: a.startsAt === undefined ? null : new Date(a.startsAt).toISOString(),
      })),
      unreachable,
    }),
    () => ({
      title: `${items.length} alert${items.length === 1 ? '' : 's'} firing${filter.length ? ` (${escapeChat(filter.join(', '))})` : ''} across ${clients.map((c) => escapeChat(c.name)).join(', ')}`,
      text: [
        items.length === 0
          ? 'Nothing fires (silenced and inhibited alerts are not shown).'
          : [
              '| severity | alert | cluster | since | summary | Alertmanager |',
              '|---|---|---|---|---|---|',
              ...items.map(
                (a) =>
                  `| ${escapeChat(a.labels.severity ?? '')} | ${escapeChat(a.labels.alertname ?? '')} | ${escapeChat(a.labels.cluster ?? '')} | ${a.startsAt === undefined ? '' : `${formatTime(a.startsAt, ctx.services.config.timeZone)} (${formatDuration(now - a.startsAt)})`} | ${escapeChat((a.annotations?.summary ?? '').slice(0, 120))} | ${a.alertmanagers.map(escapeChat).join(', ')} |`,
              ),
            ].join('\n'),
        ...missing,
      ].join('\n'),
      severity:
        items.some((a) => a.labels.severity === 'critical') || unreachable.length ? 'warning' : 'info',
    }),
  );
}

export const alerts: CommandGroup = {
  name: 'alerts',
  summary: 'what fires now, across every Alertmanager',
  commands: [
    {
      group: 'alerts',
      summary: 'firing alerts, merged and de-duplicated across the Alertmanagers, worst first',
      options: {
        cluster: {
          type: 'string',
          description: 'only alerts with this cluster label',
          placeholder: 'C',
          pattern: DNS1123_LABEL,
        },
        severity: {
          type: 'string',
          description: 'only alerts with this severity label',
          placeholder: 'S',
          pattern: { regex: /^[A-Za-z0-9_-]{1,40}$/, explain: 'must be a severity like critical or warning' },
        },
        am: amOption,
        output: outputOption(),
      },
      permission: 'alerts:read',
      examples: ['alerts --cluster apps --severity critical'],
      run: runAlerts,
    },
  ],
};
