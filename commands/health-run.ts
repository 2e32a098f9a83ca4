/** The handlers of `health` and `mesh`: thin calls into the health engine. */
import { UnknownClusterError } from '../src/health/engine.js';
import { replyWithProgress } from '../src/health/progress.js';
import { renderHealth, renderMesh } from '../src/health/render.js';
import { COMPONENTS, type Component } from '../src/health/types.js';
import type { CommandContext } from '../src/router/spec.js';

const NO_CLUSTERS =
  'No cluster is configured, so there is nothing to check. Add `clusters:` (name, kubeconfig and context, or inCluster) to the config.';

export async function runHealth(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.health;
  if (!engine) {
    await ctx.reply(NO_CLUSTERS);
    return;
  }
  const cluster = typeof ctx.args.cluster === 'string' ? ctx.args.cluster : undefined;
  const component = ctx.args.component;
  const query = {
    ...(cluster === undefined ? {} : { cluster }),
    ...(typeof component === 'string' && (COMPONENTS as readonly string[]).includes(component)
      ? { components: [component as Component] }
      : {}),
    wide: ctx.args.output === 'wide',
  };
  if (cluster !== undefined && !engine.clusters.includes(cluster)) {
    await ctx.reply(
      new UnknownClusterError(
        `There is no cluster ${cluster} in the config; the clusters are: ${engine.clusters.join(', ')}.`,
      ).message,
    );
    return;
  }
  const work = engine.check(query).then((reports) => renderHealth(reports));
  await replyWithProgress(ctx, work, {
    afterMs: engine.progressAfterMs,
    progress: `Checking ${cluster ?? engine.clusters.join(' and ')}: filling the caches, this first check takes a few seconds…`,
  });
}

export async function runMesh(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.health;
  if (!engine) {
    await ctx.reply(NO_CLUSTERS);
    return;
  }
  await replyWithProgress(
    ctx,
    engine.mesh().then((report) => renderMesh(report)),
    { afterMs: engine.progressAfterMs, progress: 'Checking the cross-cluster paths…' },
  );
}
