/** The handlers of `phase`: thin calls into the phase engine. */
import { formatDuration } from '../src/duration.js';
import type { PhaseDefinition } from '../src/phases/definitions.js';
import type { PhaseData } from '../src/phases/run-data.js';
import type { CommandContext } from '../src/router/spec.js';
import type { Run } from '../src/store/store.js';
import { escapeChat } from '../src/text/escape.js';
import { formatTime } from '../src/text/time.js';
import { clusterArg, replyListing } from './options.js';

const NO_CLUSTERS =
  'Phases need the clusters they change: add `clusters:` (name, kubeconfig and context, or inCluster) to the config.';

/** The clusters a phase changes or checks. */
function clustersOf(def: PhaseDefinition): string[] {
  return [...new Set([...def.flux.flatMap((f) => f.clusters), ...def.checks.flatMap((c) => c.clusters)])];
}

export async function phaseList(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.phases;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const picked = clusterArg(ctx);
  if ('error' in picked) return void (await ctx.reply(picked.error));
  const { cluster } = picked;
  const phases: { order: number; def: PhaseDefinition; clusters: string[]; last: Run | undefined }[] = [];
  for (const [i, def] of engine.definitions().entries()) {
    const clusters = clustersOf(def);
    if (cluster !== undefined && !clusters.includes(cluster)) continue;
    const last = await engine.lastRun(def.name);
    phases.push({ order: i + 1, def, clusters, last });
  }
  await replyListing(
    ctx,
    () =>
      phases.map(({ order, def, clusters, last }) => ({
        order,
        name: def.name,
        title: def.title,
        dependsOn: def.dependsOn,
        clusters,
        flux: def.flux,
        checks: def.checks.map((c) => c.name),
        lastRun: last
          ? {
              state: last.state,
              startedBy: last.startedBy,
              startedAt: new Date(last.startedAt).toISOString(),
            }
          : null,
      })),
    () => ({
      title: cluster === undefined ? 'Rollout phases' : `Rollout phases on ${cluster}`,
      text: [
        '| # | phase | what | after | Flux objects | checks | last run |',
        '|---|---|---|---|---|---|---|',
        ...phases.map(({ order, def, last }) => {
          const state = last
            ? `${last.state} (${escapeChat(last.startedBy)}, ${formatTime(last.startedAt, ctx.services.config.timeZone)})`
            : 'never run';
          return `| ${order} | ${def.name} | ${escapeChat(def.title)} | ${def.dependsOn.join(', ') || '—'} | ${def.flux.length} | ${def.checks.length} | ${state} |`;
        }),
      ].join('\n'),
    }),
  );
}

export async function phaseStatus(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.phases;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const name = ctx.args.phase as string | undefined;
  if (name === undefined) return phaseList(ctx);
  const picked = clusterArg(ctx);
  if ('error' in picked) return void (await ctx.reply(picked.error));
  const def = engine.definition(name);
  if (def && picked.cluster !== undefined && !clustersOf(def).includes(picked.cluster))
    return void (await ctx.reply(
      `Phase ${name} changes nothing on ${picked.cluster}; it runs on ${clustersOf(def).join(', ')}.`,
    ));
  if (!def)
    return void (await ctx.reply(
      `There is no phase ${name}; the phases are ${engine
        .definitions()
        .map((p) => p.name)
        .join(', ')}.`,
    ));
  const history = await engine.history(name);
  const last = history[0];
  if (!last) return void (await ctx.reply(`Phase ${name} has never been run or paused.`));
  const message = engine.render(last);
  const earlier = history
    .slice(1)
    .map(
      (r) =>
        `${(r.data as PhaseData).action} by ${escapeChat(r.startedBy)} at ${formatTime(r.startedAt, ctx.services.config.timeZone)}: ${r.state}`,
    );
  const took = last.finishedAt !== undefined ? ` in ${formatDuration(last.finishedAt - last.startedAt)}` : '';
  await replyListing(
    ctx,
    () =>
      history.map((r) => ({
        phase: r.name,
        state: r.state,
        startedBy: r.startedBy,
        startedAt: new Date(r.startedAt).toISOString(),
        finishedAt: r.finishedAt === undefined ? null : new Date(r.finishedAt).toISOString(),
        run: r.data,
      })),
    () => ({
      ...message,
      text: [message.text + took, ...(earlier.length ? ['', 'Earlier:', ...earlier] : [])].join('\n'),
    }),
  );
}

export async function phaseRun(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.phases;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const dryRun = ctx.args['dry-run'] === true;
  const result = await engine.start({
    phase: ctx.args.phase as string,
    actor: ctx.user.username,
    dryRun,
    open: (message) => ctx.reply(message),
  });
  if (!result.ok) return void (await ctx.reply({ text: result.reason, severity: 'warning' }));
  if (dryRun)
    await ctx.reply({
      title: `Phase ${escapeChat(ctx.args.phase as string)}: dry run, nothing changed`,
      text: ['Dependencies pass their checks. A run would:', ...result.plan.map(escapeChat)].join('\n'),
    });
}

export async function phasePause(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.phases;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const result = await engine.pause(ctx.args.phase as string, ctx.user.username);
  await ctx.reply(typeof result === 'string' ? result : engine.render(result));
}
