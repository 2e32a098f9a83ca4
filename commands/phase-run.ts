/** The handlers of `phase`: thin calls into the phase engine. */
import { formatDuration } from '../src/duration.js';
import type { PhaseData } from '../src/phases/engine.js';
import type { CommandContext } from '../src/router/spec.js';
import { escapeChat } from '../src/text/escape.js';
import { formatTime } from '../src/text/time.js';

const NO_CLUSTERS =
  'Phases need the clusters they change: add `clusters:` (name, kubeconfig and context, or inCluster) to the config.';

export async function phaseList(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.phases;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const rows: string[] = [];
  for (const [i, def] of engine.definitions().entries()) {
    const last = await engine.lastRun(def.name);
    const state = last
      ? `${last.state} (${escapeChat(last.startedBy)}, ${formatTime(last.startedAt, ctx.services.config.timeZone)})`
      : 'never run';
    rows.push(
      `| ${i + 1} | ${def.name} | ${escapeChat(def.title)} | ${def.dependsOn.join(', ') || '—'} | ${def.flux.length} | ${def.checks.length} | ${state} |`,
    );
  }
  await ctx.reply({
    title: 'Rollout phases',
    text: [
      '| # | phase | what | after | Flux objects | checks | last run |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  });
}

export async function phaseStatus(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.phases;
  if (!engine) return void (await ctx.reply(NO_CLUSTERS));
  const name = ctx.args.phase as string | undefined;
  if (name === undefined) return phaseList(ctx);
  if (!engine.definition(name))
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
  await ctx.reply({
    ...message,
    text: [message.text + took, ...(earlier.length ? ['', 'Earlier:', ...earlier] : [])].join('\n'),
  });
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
