/** `/ops maintenance`: a cluster's alerts silenced for a window, health posts saying so, drills refused. */

import {
  describeWindow,
  endMaintenance,
  maintenanceWindows,
  startMaintenance,
} from '../src/alerts/maintenance.js';
import type { CommandContext, CommandGroup } from '../src/router/spec.js';
import { escapeChat } from '../src/text/escape.js';
import { formatTime } from '../src/text/time.js';
import { alertmanagersFor } from './alerts.js';
import { clusterArg, clusterOption, outputOption, replyListing } from './options.js';

async function target(ctx: CommandContext) {
  const clients = alertmanagersFor(ctx);
  if (typeof clients === 'string') return clients;
  const picked = clusterArg(ctx);
  if ('error' in picked) return picked.error;
  return { clients, cluster: picked.cluster };
}

async function runStart(ctx: CommandContext): Promise<void> {
  const t = await target(ctx);
  if (typeof t === 'string') return void (await ctx.reply(t));
  const cluster = t.cluster as string;
  const reason = (
    Array.isArray(ctx.args.reason) ? ctx.args.reason.join(' ') : String(ctx.args.reason)
  ).trim();
  const now = ctx.services.now();
  const endsAt = now + (ctx.args.for as number);
  const { created, failed } = await startMaintenance(t.clients, {
    cluster,
    startsAt: now,
    endsAt,
    by: ctx.user.username,
    reason,
  });
  const failures = failed.map((f) => `${escapeChat(f.alertmanager)}: ${escapeChat(f.reason)}`);
  if (created.length === 0)
    return void (await ctx.reply(
      `No Alertmanager took the silence (${failures.join('; ')}). Nothing was changed.`,
    ));
  await ctx.reply({
    title: `${escapeChat(cluster)} is in maintenance until ${formatTime(endsAt, ctx.services.config.timeZone)}`,
    text: [
      `${escapeChat(ctx.user.username)}: ${escapeChat(reason)}. Every alert with cluster="${escapeChat(cluster)}" is silenced in ${created.map((c) => escapeChat(c.alertmanager)).join(', ')}; drills are refused there and health posts say so until it ends (\`maintenance end --cluster ${escapeChat(cluster)}\`).`,
      ...(failures.length ? [`Not silenced in: ${failures.join('; ')}.`] : []),
    ].join('\n'),
    severity: failures.length ? 'warning' : 'info',
  });
}

async function runList(ctx: CommandContext): Promise<void> {
  const t = await target(ctx);
  if (typeof t === 'string') return void (await ctx.reply(t));
  const windows = await maintenanceWindows(t.clients, t.cluster);
  await replyListing(
    ctx,
    () =>
      windows.map((w) => ({
        ...w,
        startsAt: new Date(w.startsAt).toISOString(),
        endsAt: new Date(w.endsAt).toISOString(),
      })),
    () =>
      windows.length === 0
        ? 'No cluster is in maintenance.'
        : {
            title: 'Maintenance windows',
            text: windows
              .map((w) => `- ${escapeChat(describeWindow(w, ctx.services.config.timeZone))}`)
              .join('\n'),
          },
  );
}

async function runEnd(ctx: CommandContext): Promise<void> {
  const t = await target(ctx);
  if (typeof t === 'string') return void (await ctx.reply(t));
  const cluster = t.cluster as string;
  const ended = await endMaintenance(t.clients, cluster);
  await ctx.reply(
    ended === 0
      ? `${escapeChat(cluster)} is not in maintenance.`
      : `Maintenance of ${escapeChat(cluster)} ended by ${escapeChat(ctx.user.username)}: its alerts are no longer silenced (${ended} silence${ended === 1 ? '' : 's'} expired).`,
  );
}

const requiredCluster = { ...clusterOption, required: true };

export const maintenance: CommandGroup = {
  name: 'maintenance',
  summary: "maintenance windows: a cluster's alerts silenced, health posts marked, drills refused",
  commands: [
    {
      group: 'maintenance',
      name: 'start',
      summary: 'silence every alert of a cluster in every Alertmanager for a while, and say why',
      positionals: [
        { name: 'reason', description: 'why, e.g. "Talos upgrade"', required: true, variadic: true },
      ],
      options: {
        cluster: requiredCluster,
        for: { type: 'duration', description: 'how long, e.g. 2h', required: true, placeholder: 'D' },
      },
      permission: 'silence:write',
      dangerous: true,
      visibility: 'in_channel',
      examples: ['maintenance start --cluster apps --for 2h "Talos upgrade"'],
      run: runStart,
    },
    {
      group: 'maintenance',
      name: 'list',
      summary: 'the clusters in maintenance, until when, by whom and why',
      options: { cluster: clusterOption, output: outputOption() },
      permission: 'silence:list',
      run: runList,
    },
    {
      group: 'maintenance',
      name: 'end',
      summary: "end a cluster's maintenance now",
      options: { cluster: requiredCluster },
      permission: 'silence:write',
      visibility: 'in_channel',
      run: runEnd,
    },
  ],
};
