/**
 * Options several command groups share, defined once so their help reads the same, and kubectl's
 * conventions with them: every command that reads a cluster takes `--cluster`, every list takes
 * `-o json|yaml` (and `wide` where it lists objects with more columns to show).
 */
import { DNS1123_LABEL } from '../src/kube/names.js';
import type { Message } from '../src/message.js';
import type { CommandContext, OptionSpec } from '../src/router/spec.js';
import { isStructured, STRUCTURED_FORMATS, structuredBlock } from '../src/text/structured.js';

export const clusterOption: OptionSpec = {
  type: 'string',
  description: 'the cluster, as named in the config (infra, apps)',
  placeholder: 'C',
  pattern: DNS1123_LABEL,
};

export const dryRunOption: OptionSpec = {
  type: 'boolean',
  description: 'show what would be done, change nothing',
};

/** `-o json|yaml` for a list; `wide` too where the list has more columns to show. */
export function outputOption(options: { wide?: string } = {}): OptionSpec {
  const formats = options.wide ? ['wide', ...STRUCTURED_FORMATS] : [...STRUCTURED_FORMATS];
  return {
    type: 'string',
    alias: 'o',
    description: options.wide
      ? `json or yaml print the data; wide ${options.wide}`
      : 'json or yaml print the data instead of the table',
    choices: formats,
    placeholder: formats.join('|'),
  };
}

/**
 * The cluster `--cluster` names, checked against the config: undefined when none was given;
 * `{ error }` with the sentence to answer when it names no configured cluster.
 */
export function clusterArg(
  ctx: CommandContext,
  names: readonly string[] = ctx.services.config.clusters.map((c) => c.name),
): { cluster?: string } | { error: string } {
  const value = ctx.args.cluster;
  if (typeof value !== 'string') return {};
  if (names.includes(value)) return { cluster: value };
  return {
    error: names.length
      ? `There is no cluster ${value} in the config; the clusters are: ${names.join(', ')}.`
      : 'No cluster is configured: add `clusters:` (name, kubeconfig and context, or inCluster) to the config.',
  };
}

/**
 * Answers a list: with `-o json|yaml` the data itself as a code block, otherwise the table the
 * command renders. The data is what the table shows, not a raw API dump.
 */
export async function replyListing(
  ctx: CommandContext,
  data: () => unknown,
  table: () => Message | string | Promise<Message | string>,
): Promise<void> {
  const format = ctx.args.output;
  await ctx.reply(isStructured(format) ? structuredBlock(data(), format) : await table());
}
