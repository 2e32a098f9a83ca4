/** The handlers of `flux`: reads from the watch caches, writes as the operator account. */
import {
  FLUX_GET_KINDS,
  FLUX_WRITABLE,
  type FluxAction,
  type FluxGetWord,
  type FluxRow,
  type FluxWritableWord,
  fluxPatch,
  fluxRef,
  fluxRow,
} from '../src/flux/objects.js';
import { KINDS } from '../src/health/kinds.js';
import type { CommandContext } from '../src/router/spec.js';
import { escapeChat, inlineCode } from '../src/text/escape.js';
import { cachesFor, kubeProblem, oneCluster } from './cluster-access.js';
import { replyListing } from './options.js';

const READ_TIMEOUT_MS = 10_000;

type Row = FluxRow & { cluster: string };

export async function fluxGet(ctx: CommandContext): Promise<void> {
  const targets = cachesFor(ctx);
  if (typeof targets === 'string') return void (await ctx.reply(targets));
  const word = ctx.args.kind as FluxGetWord | undefined;
  const kinds = word ? FLUX_GET_KINDS[word] : [...FLUX_GET_KINDS.ks, ...FLUX_GET_KINDS.hr];
  const namespace = typeof ctx.args.namespace === 'string' ? ctx.args.namespace : undefined;
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const { cluster, cache } of targets) {
    let states: Awaited<ReturnType<typeof cache.read>>;
    try {
      states = await cache.read(kinds, { timeoutMs: READ_TIMEOUT_MS });
    } catch (error) {
      notes.push(`${cluster}: ${kubeProblem(error, 'reading Flux objects', 'bot')}`);
      continue;
    }
    for (const kind of kinds) {
      const state = states.get(kind.id);
      if (!state?.served) {
        if (state?.forbidden) notes.push(`${cluster}: the bot may not list ${state.forbidden}.`);
        continue;
      }
      for (const object of state.objects)
        if (namespace === undefined || object.metadata.namespace === namespace)
          rows.push({ cluster, ...fluxRow(kind, object) });
    }
  }
  rows.sort((a, b) =>
    `${a.cluster}/${a.kind}/${a.namespace}/${a.name}`.localeCompare(
      `${b.cluster}/${b.kind}/${b.namespace}/${b.name}`,
    ),
  );
  const wide = ctx.args.output === 'wide';
  await replyListing(
    ctx,
    () => rows,
    () => ({
      title: `Flux: ${rows.length} object${rows.length === 1 ? '' : 's'}${namespace ? ` in ${namespace}` : ''}`,
      text: [
        rows.length === 0
          ? 'None found.'
          : [
              '| cluster | kind | name | ready | suspended | revision | message |',
              '|---|---|---|---|---|---|---|',
              ...rows.map(
                (r) =>
                  `| ${r.cluster} | ${r.kind} | ${escapeChat(`${r.namespace}/${r.name}`)} | ${r.ready} | ${r.suspended ? 'yes' : 'no'} | ${escapeChat(r.revision)} | ${escapeChat(wide ? r.message : shorten(r.message, 80))} |`,
              ),
            ].join('\n'),
        ...notes.map((n) => `_${escapeChat(n)}_`),
      ].join('\n'),
      severity: rows.some((r) => r.ready === 'False') ? 'warning' : 'info',
    }),
  );
}

function shorten(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const DONE: Record<FluxAction, string> = {
  reconcile: 'Requested a reconcile of',
  suspend: 'Suspended',
  resume: 'Resumed (and requested a reconcile of)',
};

export async function fluxAct(ctx: CommandContext, action: FluxAction): Promise<void> {
  const ops = oneCluster(ctx);
  if (typeof ops === 'string') return void (await ctx.reply(ops));
  const word = ctx.args.kind as FluxWritableWord;
  const name = String(ctx.args.name);
  const namespace = typeof ctx.args.namespace === 'string' ? ctx.args.namespace : 'flux-system';
  const { kind } = FLUX_WRITABLE[word];
  const what = `${kind} ${namespace}/${name} on ${ops.cluster}`;
  // Look before writing: a typo is answered from the cache, and nothing is sent to the cluster.
  const cache = ctx.services.caches.get(ops.cluster);
  if (cache) {
    const spec = word === 'ks' ? KINDS.kustomizations : KINDS.helmreleases;
    const state = (await cache.read([spec], { timeoutMs: READ_TIMEOUT_MS })).get(spec.id);
    if (state?.served) {
      const found = state.objects.find((o) => o.metadata.namespace === namespace && o.metadata.name === name);
      if (!found)
        return void (await ctx.reply(
          `There is no ${escapeChat(what)}; see \`flux get ${word} -n ${namespace} --cluster ${ops.cluster}\`. Nothing was changed.`,
        ));
      if (action === 'suspend' && found.spec?.suspend === true)
        return void (await ctx.reply(`${escapeChat(what)} is already suspended. Nothing was changed.`));
      if (action === 'resume' && found.spec?.suspend !== true)
        return void (await ctx.reply(`${escapeChat(what)} is not suspended. Nothing was changed.`));
    }
  }
  try {
    await ops
      .writer(ctx.user.username)
      .mergePatch(fluxRef(word, namespace, name), fluxPatch(action, ctx.services.now()));
  } catch (error) {
    return void (await ctx.reply({
      text: escapeChat(kubeProblem(error, `${action} of ${what}`, 'operator')),
      severity: 'warning',
    }));
  }
  await ctx.reply(
    `${DONE[action]} ${escapeChat(what)}, as coxswain-operator for ${inlineCode(ctx.user.username)}.`,
  );
}
