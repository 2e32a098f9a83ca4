/**
 * Turns the words after a command path into checked arguments: yargs-parser splits options from
 * positionals using the spec's option types, then a zod schema built from the same spec checks
 * every value. Problems come back as sentences naming the option, never as a stack trace.
 */
import parseArgs from 'yargs-parser';
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import type { Args, ArgValue, CommandSpec, OptionSpec, PositionalSpec } from './spec.js';

export type ValidationResult = { ok: true; args: Args } | { ok: false; problems: string[] };

export function validateArgs(spec: CommandSpec, words: string[]): ValidationResult {
  const options = spec.options ?? {};
  const positionals = spec.positionals ?? [];
  const byType = (type: OptionSpec['type']) =>
    Object.entries(options)
      .filter(([, o]) => o.type === type)
      .map(([name]) => name);
  const alias: Record<string, string> = {};
  for (const [name, option] of Object.entries(options)) if (option.alias) alias[name] = option.alias;

  const argv = parseArgs(words, {
    boolean: byType('boolean'),
    string: [...byType('string'), ...byType('duration')],
    number: byType('number'),
    alias,
    configuration: {
      'camel-case-expansion': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'short-option-groups': false,
      'duplicate-arguments-array': false,
      'greedy-arrays': false,
      'strip-aliased': true,
      'populate--': true,
      'boolean-negation': false,
    },
  });

  const input: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of Object.keys(argv)) {
    if (key === '_' || key === '--') continue;
    if (!Object.hasOwn(options, key)) {
      problems.push(`unknown option ${key.length === 1 ? '-' : '--'}${key}`);
      continue;
    }
    input[key] = argv[key];
  }
  const words_ = [...argv._.map(String), ...((argv['--'] as unknown[] | undefined) ?? []).map(String)];
  assignPositionals(positionals, words_, input, problems);
  if (problems.length > 0) return { ok: false, problems };

  const parsed = schemaFor(spec).safeParse(input);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((issue) => issue.message) };
  const args = parsed.data as Args;
  const crossProblem = spec.check?.(args);
  return crossProblem ? { ok: false, problems: [crossProblem] } : { ok: true, args };
}

function assignPositionals(
  positionals: PositionalSpec[],
  words: string[],
  input: Record<string, unknown>,
  problems: string[],
): void {
  let index = 0;
  for (const positional of positionals) {
    if (positional.variadic) {
      const rest = words.slice(index);
      if (rest.length > 0) input[positional.name] = rest;
      index = words.length;
    } else if (index < words.length) {
      input[positional.name] = words[index++];
    }
  }
  for (const extra of words.slice(index)) problems.push(`unexpected argument ${JSON.stringify(extra)}`);
}

function schemaFor(spec: CommandSpec): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, option] of Object.entries(spec.options ?? {}))
    shape[name] = optionSchema(`--${name}`, option);
  for (const positional of spec.positionals ?? []) shape[positional.name] = positionalSchema(positional);
  return z.strictObject(shape);
}

function optionSchema(label: string, option: OptionSpec): z.ZodType {
  let schema: z.ZodType;
  switch (option.type) {
    case 'boolean':
      schema = z.boolean({ error: `${label} is a flag and takes no value` });
      break;
    case 'number':
      schema = z
        .number({ error: `${label} must be a number` })
        .refine(Number.isFinite, `${label} must be a number`);
      break;
    case 'duration':
      schema = z.string({ error: `${label} needs a duration, like 30m or 2h` }).transform((value, ctx) => {
        const ms = parseDuration(value);
        if (ms === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `${label} needs a duration like 30m or 2h, not ${JSON.stringify(value)}`,
          });
          return z.NEVER;
        }
        return ms;
      });
      break;
    case 'string':
      schema = textSchema(label, option);
      break;
  }
  return option.required ? schema : schema.optional();
}

function positionalSchema(positional: PositionalSpec): z.ZodType {
  const label = `<${positional.name}>`;
  const one = textSchema(label, positional);
  const schema: z.ZodType = positional.variadic ? z.array(one).min(1, `${label} is required`) : one;
  if (positional.required) {
    return z
      .unknown()
      .superRefine((value, ctx) => {
        if (value === undefined) ctx.addIssue({ code: 'custom', message: `${label} is required` });
      })
      .pipe(schema);
  }
  return schema.optional();
}

function textSchema(
  label: string,
  arg: { choices?: readonly string[]; pattern?: { regex: RegExp; explain: string } },
) {
  let schema = z.string({ error: `${label} needs a value` }).min(1, `${label} needs a value`);
  if (arg.pattern) {
    const { regex, explain } = arg.pattern;
    schema = schema.regex(regex, `${label} ${explain}`);
  }
  if (arg.choices) {
    const choices = arg.choices;
    schema = schema.refine(
      (value) => choices.includes(value),
      `${label} must be one of ${choices.join(', ')}`,
    );
  }
  return schema;
}

export type { ArgValue };
