/** Usage lines and help text, generated from the specs so they always match the code. */
import { requiredRole } from '../auth/permissions.js';
import { type CommandGroup, type CommandSpec, commandPath } from './spec.js';

export function usageLine(trigger: string, spec: CommandSpec): string {
  const parts = [trigger, commandPath(spec)];
  for (const positional of spec.positionals ?? []) {
    const word = `<${positional.name}${positional.variadic ? '...' : ''}>`;
    parts.push(positional.required ? word : `[${word}]`);
  }
  for (const [name, option] of Object.entries(spec.options ?? {})) {
    const flag =
      option.type === 'boolean' ? `--${name}` : `--${name} ${option.placeholder ?? name.toUpperCase()}`;
    parts.push(option.required ? flag : `[${flag}]`);
  }
  return parts.join(' ');
}

export function commandHelp(trigger: string, spec: CommandSpec): string {
  const lines = [`\`${usageLine(trigger, spec)}\``, spec.summary + availability(spec)];
  const role = requiredRole(spec.permission);
  lines.push(`Needs role: ${role ?? 'none'}${isDangerous(spec) ? '; asks for confirmation' : ''}`);
  for (const positional of spec.positionals ?? []) {
    lines.push(`- \`<${positional.name}>\` ${positional.description}${choices(positional.choices)}`);
  }
  for (const [name, option] of Object.entries(spec.options ?? {})) {
    const alias = option.alias ? ` (\`-${option.alias}\`)` : '';
    lines.push(`- \`--${name}\`${alias} ${option.description}${choices(option.choices)}`);
  }
  for (const example of spec.examples ?? []) lines.push(`- e.g. \`${trigger} ${example}\``);
  return lines.join('\n');
}

export function groupHelp(trigger: string, group: CommandGroup): string {
  const lines = [`**${trigger} ${group.name}**: ${group.summary}`];
  for (const spec of group.commands)
    lines.push(`- \`${usageLine(trigger, spec)}\`: ${spec.summary}${availability(spec)}`);
  return lines.join('\n');
}

export function overviewHelp(trigger: string, groups: readonly CommandGroup[]): string {
  const sections = groups.map((group) => groupHelp(trigger, group));
  return [...sections, `Type \`${trigger} help <command>\` for the options of one command.`].join('\n\n');
}

function availability(spec: CommandSpec): string {
  return spec.run ? '' : ' (not available yet)';
}

function choices(values: readonly string[] | undefined): string {
  return values ? ` (one of: ${values.join(', ')})` : '';
}

function isDangerous(spec: CommandSpec): boolean {
  return spec.dangerous !== undefined && spec.dangerous !== false;
}
