/** The handlers of `drill`: thin calls into the drill engine. */
import type { DrillData } from '../src/drills/run-data.js';
import type { DrillTarget } from '../src/drills/start.js';
import { formatDuration } from '../src/duration.js';
import type { CommandContext } from '../src/router/spec.js';
import { escapeChat } from '../src/text/escape.js';
import { formatTime } from '../src/text/time.js';
import { clusterArg, replyListing } from './options.js';

const NO_CLUSTERS =
  'Drills need the clusters they run on: add `clusters:` (name, kubeconfig and context, or inCluster) to the config.';

function target(ctx: CommandContext): DrillTarget {
  const request: DrillTarget = { drill: ctx.args.drill as string };
  for (const key of ['cluster', 'namespace', 'workload', 'node', 'backup', 'source'] as const) {
    const value = ctx.args[key];
    if (typeof value === 'string') request[key] = value;
  }
  return request;
}

export async function drillList(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.drills;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const definitions = engine.definitions();
  await replyListing(
    ctx,
    () =>
      definitions.map((d) => ({
        name: d.name,
        summary: d.summary,
        objective: formatDuration(d.objective),
        tier: d.tier ?? null,
      })),
    () => ({
      title: 'Failover drills',
      text: [
        '| drill | what | objective | tier |',
        '|---|---|---|---|',
        ...definitions.map(
          (d) =>
            `| ${d.name} | ${escapeChat(d.summary)} | ${formatDuration(d.objective)}${d.chosen.includes('objective') ? ' (chosen)' : ''} | ${d.tier ?? '—'}${d.chosen.includes('tier') ? ' (chosen)' : ''} |`,
        ),
      ].join('\n'),
    }),
  );
}

export async function drillPlan(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.drills;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const plan = await engine.plan(target(ctx));
  if (typeof plan === 'string') return void (await ctx.reply(plan));
  await ctx.reply({
    title: `Drill ${escapeChat(ctx.args.drill as string)}: plan (nothing changed)`,
    text: [
      ...plan.lines.map((l, i) => `${i + 1}. ${escapeChat(l)}`),
      ...(plan.problems.length
        ? ['', 'It would be refused now:', ...plan.problems.map((p) => `- ${escapeChat(p)}`)]
        : []),
    ].join('\n'),
    severity: plan.problems.length ? 'warning' : 'info',
  });
}

export async function drillRun(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.drills;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const dryRun = ctx.args['dry-run'] === true;
  const override = typeof ctx.args.override === 'string' ? ctx.args.override : undefined;
  const result = await engine.start({
    ...target(ctx),
    actor: ctx.user.username,
    isAdmin: ctx.role === 'admin',
    ...(override === undefined ? {} : { override }),
    dryRun,
    open: (message) => ctx.reply(message),
  });
  if (!result.ok) return void (await ctx.reply({ text: result.reason, severity: 'warning' }));
  if (dryRun)
    await ctx.reply({
      title: `Drill ${escapeChat(ctx.args.drill as string)}: dry run, nothing changed`,
      text: [
        'The guard rails pass. A run would:',
        ...result.plan.map((l, i) => `${i + 1}. ${escapeChat(l)}`),
      ].join('\n'),
    });
}

export async function drillStatus(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.drills;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const picked = clusterArg(ctx);
  if ('error' in picked) return void (await ctx.reply(picked.error));
  const { cluster } = picked;
  // Ten of the cluster's own, not the cluster's share of the last ten.
  const runs = (await engine.recent(cluster === undefined ? 10 : 100))
    .filter((r) => cluster === undefined || r.cluster === cluster)
    .slice(0, 10);
  if (runs.length === 0)
    return void (await ctx.reply(
      cluster === undefined ? 'No drill has run yet.' : `No drill has run on ${cluster} yet.`,
    ));
  const rows = runs.map((r) => {
    const data = r.data as DrillData;
    const at = formatTime(r.startedAt, ctx.services.config.timeZone);
    const result =
      r.finishedAt === undefined
        ? data.awaitingLeader
          ? 'stored, waiting for the leader replica to start it'
          : `${r.state} (${data.steps.length} steps so far)`
        : (data.report ?? r.state);
    return `| ${at} | ${r.name} | ${r.cluster ?? ''} | ${escapeChat(r.startedBy)} | ${escapeChat(result)} |`;
  });
  await replyListing(
    ctx,
    () =>
      runs.map((r) => ({
        drill: r.name,
        cluster: r.cluster ?? null,
        state: r.state,
        startedBy: r.startedBy,
        startedAt: new Date(r.startedAt).toISOString(),
        finishedAt: r.finishedAt === undefined ? null : new Date(r.finishedAt).toISOString(),
        report: (r.data as DrillData).report ?? null,
      })),
    () => ({
      title:
        cluster === undefined ? 'Drills: running and recent' : `Drills on ${cluster}: running and recent`,
      text: ['| started | drill | cluster | by | result |', '|---|---|---|---|---|', ...rows].join('\n'),
    }),
  );
}

export async function drillAbort(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.drills;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const cluster = typeof ctx.args.cluster === 'string' ? ctx.args.cluster : undefined;
  const result = await engine.abort(cluster, ctx.user.username);
  await ctx.reply(
    typeof result === 'string'
      ? result
      : `Aborting drill ${result.name} on ${result.cluster}: rolling back; the steps follow in its thread.`,
  );
}
