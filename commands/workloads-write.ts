/** `rollout restart` and `scale` of a Deployment, as the operator account on behalf of the invoker. */
import type { CommandContext } from '../src/router/spec.js';
import { escapeChat, inlineCode } from '../src/text/escape.js';
import { parseKindName, refOf } from '../src/workloads/kinds.js';
import { kubeProblem } from './cluster-access.js';
import { findOne } from './workloads-find.js';

/** What `kubectl rollout restart` sets: a new value here rolls every pod of the template. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
export const MAX_REPLICAS = 100;

export function scaleCheck(args: Readonly<Record<string, unknown>>): string | undefined {
  const n = args.replicas;
  return typeof n === 'number' && (!Number.isInteger(n) || n < 0 || n > MAX_REPLICAS)
    ? `--replicas must be a whole number from 0 to ${MAX_REPLICAS}`
    : undefined;
}

/** The Deployment `deploy/NAME` names, found in the caches, and its cluster's writer. */
async function deployment(ctx: CommandContext) {
  const target = parseKindName(String(ctx.args.deployment));
  if ('error' in target) return `${target.error}.`;
  if (target.kind.word !== 'deploy')
    return `Only Deployments can be ${ctx.spec.group === 'scale' ? 'scaled' : 'restarted'} here: name it as deploy/NAME.`;
  const found = await findOne(ctx, target.kind, target.name);
  if (typeof found === 'string') return found;
  const ops = ctx.services.clusters?.get(found.cluster);
  if (!ops) return `No connection to ${found.cluster} is configured.`;
  const namespace = found.object.metadata.namespace ?? '';
  return {
    ops,
    ref: refOf(target.kind, target.name, namespace),
    what: `Deployment ${namespace}/${target.name} on ${found.cluster}`,
  };
}

export async function runRolloutRestart(ctx: CommandContext): Promise<void> {
  const target = await deployment(ctx);
  if (typeof target === 'string') return void (await ctx.reply(escapeChat(target)));
  // kubectl writes RFC 3339 in seconds.
  const at = new Date(ctx.services.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  try {
    await target.ops
      .writer(ctx.user.username)
      .mergePatch(target.ref, { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } });
  } catch (error) {
    return void (await ctx.reply({
      text: escapeChat(kubeProblem(error, `restarting ${target.what}`, 'operator')),
      severity: 'warning',
    }));
  }
  await ctx.reply(
    `Restarting ${escapeChat(target.what)}: its pods are replaced one by one, as coxswain-operator for ${inlineCode(ctx.user.username)}. Watch it with \`get pods -n ${target.ref.namespace}\`.`,
  );
}

export async function runScale(ctx: CommandContext): Promise<void> {
  const target = await deployment(ctx);
  if (typeof target === 'string') return void (await ctx.reply(escapeChat(target)));
  const replicas = ctx.args.replicas as number;
  try {
    await target.ops.writer(ctx.user.username).scale(target.ref, replicas);
  } catch (error) {
    return void (await ctx.reply({
      text: escapeChat(kubeProblem(error, `scaling ${target.what}`, 'operator')),
      severity: 'warning',
    }));
  }
  await ctx.reply(
    `Scaled ${escapeChat(target.what)} to ${replicas} replica${replicas === 1 ? '' : 's'}, as coxswain-operator for ${inlineCode(ctx.user.username)}.`,
  );
}
