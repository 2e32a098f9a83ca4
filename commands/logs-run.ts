/** The handler of `logs`: one pod's container log as the bot's read-only account (`pods/log`). */
import type { CommandContext } from '../src/router/spec.js';
import { escapeChat } from '../src/text/escape.js';
import { WORKLOAD_KINDS } from '../src/workloads/kinds.js';
import { redactSecrets } from '../src/workloads/redact.js';
import { kubeProblem } from './cluster-access.js';
import { replyLong } from './long-output.js';
import { findOne } from './workloads-find.js';

export const DEFAULT_TAIL = 200;
export const MAX_TAIL = 10_000;
/** The API server stops reading there: a chat answer never needs more. */
const LIMIT_BYTES = 2 * 1024 * 1024;

const POD = WORKLOAD_KINDS.find((k) => k.word === 'pods')!;

export function logsCheck(args: Readonly<Record<string, unknown>>): string | undefined {
  const tail = args.tail;
  if (tail !== undefined && (!Number.isInteger(tail) || (tail as number) < 1 || (tail as number) > MAX_TAIL))
    return `--tail must be a whole number from 1 to ${MAX_TAIL}`;
  return undefined;
}

export async function runLogs(ctx: CommandContext): Promise<void> {
  const name = String(ctx.args.pod);
  const found = await findOne(ctx, POD, name);
  if (typeof found === 'string') return void (await ctx.reply(escapeChat(found)));
  const namespace = found.object.metadata.namespace ?? '';
  const containers = (Array.isArray(found.object.spec?.containers) ? found.object.spec.containers : []) as {
    name?: string;
  }[];
  const names = containers.map((c) => String(c.name));
  const asked = typeof ctx.args.container === 'string' ? ctx.args.container : undefined;
  if (asked !== undefined && !names.includes(asked))
    return void (await ctx.reply(
      `Pod ${namespace}/${name} has no container ${asked}; its containers are ${names.join(', ') || 'not known yet'}.`,
    ));
  const container = asked ?? names[0];
  const ops = ctx.services.clusters?.get(found.cluster);
  if (!ops) return void (await ctx.reply(`No connection to ${found.cluster} is configured.`));
  const tail = typeof ctx.args.tail === 'number' ? ctx.args.tail : DEFAULT_TAIL;
  const options: Parameters<typeof ops.reader.podLog>[2] = { tailLines: tail, limitBytes: LIMIT_BYTES };
  if (container !== undefined) options.container = container;
  if (typeof ctx.args.since === 'number')
    options.sinceSeconds = Math.max(1, Math.round(ctx.args.since / 1000));
  if (ctx.args.previous === true) options.previous = true;
  let text: string;
  try {
    text = await ops.reader.podLog(namespace, name, options);
  } catch (error) {
    return void (await ctx.reply(
      escapeChat(kubeProblem(error, `reading the log of ${namespace}/${name}`, 'bot')),
    ));
  }
  const which = `${container ?? ''}${names.length > 1 && asked === undefined ? ` (the first of ${names.join(', ')}; pick one with -c)` : ''}`;
  await replyLong(ctx, {
    title: `Logs of ${namespace}/${name} on ${found.cluster}, container ${which}${ctx.args.previous === true ? ', previous instance' : ''}, last ${tail} lines`,
    text: redactSecrets(text),
    fileName: `${name}${container ? `-${container}` : ''}.log`,
    empty: 'The log is empty.',
  });
}
