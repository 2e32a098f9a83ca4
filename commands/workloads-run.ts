/** The handlers of `get`, `describe` and `events`: reads from the watch caches (describe: one GET). */
import type { KubeObject } from '../src/health/types.js';
import type { CommandContext } from '../src/router/spec.js';
import { escapeChat } from '../src/text/escape.js';
import { isStructured, structuredBlock } from '../src/text/structured.js';
import { describe, eventLine, eventTime } from '../src/workloads/describe.js';
import {
  EXTRA_KINDS,
  parseKindName,
  refOf,
  type WorkloadKind,
  workloadKind,
} from '../src/workloads/kinds.js';
import { parseSelector } from '../src/workloads/selector.js';
import { plainTable, tableOf } from '../src/workloads/tables.js';
import { cachesFor, kubeProblem } from './cluster-access.js';
import { replyLong } from './long-output.js';
import { type cached, cachedAcross, findOne, READ_TIMEOUT_MS } from './workloads-find.js';

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** `-n` and `-A` together contradict each other; everything else about them is checked in the spec. */
export function namespaceCheck(args: Readonly<Record<string, unknown>>): string | undefined {
  return args.namespace !== undefined && args['all-namespaces'] === true
    ? 'use either -n NS or -A, not both'
    : undefined;
}

export async function runGet(ctx: CommandContext): Promise<void> {
  const kind = workloadKind(String(ctx.args.kind)) as WorkloadKind;
  const namespace = kind.spec.namespaced ? str(ctx.args.namespace) : undefined;
  const selector = str(ctx.args.selector);
  const parsed = selector === undefined ? undefined : parseSelector(selector);
  if (parsed && 'error' in parsed)
    return void (await ctx.reply(`That label selector does not parse: ${escapeChat(parsed.error)}.`));
  const targets = cachesFor(ctx);
  if (typeof targets === 'string') return void (await ctx.reply(targets));
  const { found, problems } = await cachedAcross(targets, kind, namespace);
  const rows = parsed ? found.filter(({ object }) => parsed.select(object.metadata.labels)) : found;
  if (rows.length === 0 && problems.length > 0) return void (await ctx.reply(escapeChat(problems.join(' '))));
  rows.sort(
    (a, b) =>
      a.cluster.localeCompare(b.cluster) ||
      (a.object.metadata.namespace ?? '').localeCompare(b.object.metadata.namespace ?? '') ||
      a.object.metadata.name.localeCompare(b.object.metadata.name),
  );
  const format = ctx.args.output;
  const where = `${namespace ? ` in ${namespace}` : ''}${targets.length === 1 ? ` on ${targets[0]!.cluster}` : ''}`;
  const title = `${rows.length} ${kind.word}${where}${problems.length ? ` (${escapeChat(problems.join(' '))})` : ''}`;
  if (isStructured(format)) {
    const data = rows.map((r) => ({ cluster: r.cluster, ...r.object }));
    await replyLong(ctx, {
      title,
      text: structuredBlock(data, format).split('\n').slice(1, -1).join('\n'),
      fileName: `${kind.word}.${format}`,
      language: format,
    });
    return;
  }
  const clusters = new Set(rows.map((r) => r.cluster));
  const table = tableOf(
    kind,
    rows.map((r) => r.object),
    ctx.services.now(),
    format === 'wide',
  );
  // Several clusters: a CLUSTER column first, as a multi-context kubectl plugin would show.
  if (clusters.size > 1 || targets.length > 1) {
    table.headers.unshift('CLUSTER');
    table.rows.forEach((row, i) => {
      row.unshift(rows[i]!.cluster);
    });
  }
  await replyLong(ctx, {
    title,
    text: rows.length ? plainTable(table) : '',
    fileName: `${kind.word}.txt`,
    empty: `No ${kind.word} found${selector ? ' matching that selector' : ''}.`,
  });
}

export async function runDescribe(ctx: CommandContext): Promise<void> {
  const target = parseKindName(String(ctx.args.object));
  if ('error' in target) return void (await ctx.reply(`${escapeChat(target.error)}.`));
  const found = await findOne(ctx, target.kind, target.name);
  if (typeof found === 'string') return void (await ctx.reply(escapeChat(found)));
  const ops = ctx.services.clusters?.get(found.cluster);
  if (!ops) return void (await ctx.reply(`No connection to ${found.cluster} is configured.`));
  const namespace = found.object.metadata.namespace;
  let object: Awaited<ReturnType<typeof ops.reader.get>>;
  try {
    object = await ops.reader.get(refOf(target.kind, target.name, namespace));
  } catch (error) {
    return void (await ctx.reply(
      escapeChat(kubeProblem(error, `reading ${target.kind.word}/${target.name}`, 'bot')),
    ));
  }
  if (!object)
    return void (await ctx.reply(`${target.kind.word}/${target.name} is gone from ${found.cluster}.`));
  const events = await eventsFor(found.cache, target.kind, target.name, namespace);
  await replyLong(ctx, {
    title: `${target.kind.kind} ${namespace ? `${namespace}/` : ''}${target.name} on ${found.cluster}`,
    text: describe(target.kind, object, events, ctx.services.now()),
    fileName: `${target.kind.word}-${target.name}.txt`,
  });
}

async function eventsFor(
  cache: Parameters<typeof cached>[1],
  kind: WorkloadKind,
  name: string,
  namespace: string | undefined,
): Promise<KubeObject[]> {
  const state = (
    await cache.read([EXTRA_KINDS.events], { timeoutMs: READ_TIMEOUT_MS }).catch(() => undefined)
  )?.get(EXTRA_KINDS.events.id);
  if (!state?.served) return [];
  return state.objects
    .filter((e) => {
      const involved = (e as { involvedObject?: { kind?: string; name?: string } }).involvedObject;
      return (
        involved?.kind === kind.kind &&
        involved.name === name &&
        (!kind.spec.namespaced || e.metadata.namespace === namespace)
      );
    })
    .sort((a, b) => eventTime(a) - eventTime(b));
}

/** At most this many events are shown: the newest. */
const EVENTS_SHOWN = 200;

export async function runEvents(ctx: CommandContext): Promise<void> {
  const namespace = str(ctx.args.namespace);
  const forText = str(ctx.args.for);
  const target = forText === undefined ? undefined : parseKindName(forText);
  if (target && 'error' in target) return void (await ctx.reply(`--for: ${escapeChat(target.error)}.`));
  const targets = cachesFor(ctx);
  if (typeof targets === 'string') return void (await ctx.reply(targets));
  const { found, problems } = await cachedAcross(
    targets,
    { word: 'events', kind: 'Event', spec: EXTRA_KINDS.events, version: 'v1', names: [] },
    namespace,
  );
  const events: { cluster: string; event: KubeObject }[] = [];
  for (const { cluster, object: event } of found) {
    const involved = (event as { involvedObject?: { kind?: string; name?: string } }).involvedObject;
    if (target && !(involved?.kind === target.kind.kind && involved.name === target.name)) continue;
    events.push({ cluster, event });
  }
  if (events.length === 0 && problems.length > 0)
    return void (await ctx.reply(escapeChat(problems.join(' '))));
  events.sort((a, b) => eventTime(a.event) - eventTime(b.event));
  const shown = events.slice(-EVENTS_SHOWN);
  const now = ctx.services.now();
  const format = ctx.args.output;
  const title = `${events.length > shown.length ? `The newest ${shown.length} of ${events.length}` : events.length} events${namespace ? ` in ${namespace}` : ''}${forText ? ` for ${forText}` : ''}`;
  if (isStructured(format)) {
    await replyLong(ctx, {
      title,
      text: structuredBlock(
        shown.map((e) => ({ cluster: e.cluster, ...e.event })),
        format,
      )
        .split('\n')
        .slice(1, -1)
        .join('\n'),
      fileName: `events.${format}`,
      language: format,
    });
    return;
  }
  await replyLong(ctx, {
    title,
    text: shown
      .map((e) => {
        const involved = (e.event as { involvedObject?: { kind?: string; name?: string } }).involvedObject;
        return `${e.cluster}  ${e.event.metadata.namespace ?? ''}  ${involved?.kind ?? ''}/${involved?.name ?? ''}  ${eventLine(e.event, now)}`;
      })
      .join('\n'),
    fileName: 'events.txt',
    empty: 'No events.',
  });
}
