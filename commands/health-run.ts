/** The handlers of `health` and `mesh`: thin calls into the health engine. */
import type { MeshReport } from '../src/health/mesh.js';
import { replyWithProgress } from '../src/health/progress.js';
import { renderHealth, renderMesh } from '../src/health/render.js';
import { COMPONENTS, type Component } from '../src/health/types.js';
import type { CommandContext } from '../src/router/spec.js';
import { isStructured, structuredBlock } from '../src/text/structured.js';
import { clusterArg } from './options.js';

const NO_CLUSTERS =
  'No cluster is configured, so there is nothing to check. Add `clusters:` (name, kubeconfig and context, or inCluster) to the config.';

export async function runHealth(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.health;
  if (!engine) {
    await ctx.reply(NO_CLUSTERS);
    return;
  }
  const picked = clusterArg(ctx, engine.clusters);
  if ('error' in picked) return void (await ctx.reply(picked.error));
  const { cluster } = picked;
  const component = ctx.args.component;
  const format = ctx.args.output;
  const query = {
    ...(cluster === undefined ? {} : { cluster }),
    ...(typeof component === 'string' && (COMPONENTS as readonly string[]).includes(component)
      ? { components: [component as Component] }
      : {}),
    // The data of -o json|yaml holds every check, as wide shows them.
    wide: format === 'wide' || isStructured(format),
  };
  const work = engine
    .check(query)
    .then((reports) =>
      isStructured(format) ? { text: structuredBlock(reports, format) } : renderHealth(reports),
    );
  await replyWithProgress(ctx, work, {
    afterMs: engine.progressAfterMs,
    progress: `Checking ${cluster ?? engine.clusters.join(' and ')}: filling the caches, this first check takes a few seconds…`,
  });
}

/** The report as one cluster sees it: its own state and the paths from or to it. */
function meshOf(report: MeshReport, cluster: string | undefined): MeshReport {
  if (cluster === undefined) return report;
  return {
    clusters: report.clusters.filter((c) => c.cluster === cluster),
    paths: report.paths.filter((p) => p.from === cluster || p.to === cluster),
  };
}

export async function runMesh(ctx: CommandContext): Promise<void> {
  const engine = ctx.services.health;
  if (!engine) {
    await ctx.reply(NO_CLUSTERS);
    return;
  }
  const picked = clusterArg(ctx, engine.clusters);
  if ('error' in picked) return void (await ctx.reply(picked.error));
  const format = ctx.args.output;
  await replyWithProgress(
    ctx,
    engine
      .mesh()
      .then((report) => meshOf(report, picked.cluster))
      .then((report) =>
        isStructured(format) ? { text: structuredBlock(report, format) } : renderMesh(report),
      ),
    { afterMs: engine.progressAfterMs, progress: 'Checking the cross-cluster paths…' },
  );
}
