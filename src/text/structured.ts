/**
 * `-o json` and `-o yaml`, kubectl's machine-readable outputs: the data a list command shows,
 * printed as a fenced code block. Text inside a fence is not markdown, so nothing is escaped;
 * only a fence in the data could end the block early, so runs of backticks are broken up.
 */
import { stringify } from 'yaml';

export const STRUCTURED_FORMATS = ['json', 'yaml'] as const;
export type StructuredFormat = (typeof STRUCTURED_FORMATS)[number];

export function isStructured(value: unknown): value is StructuredFormat {
  return (STRUCTURED_FORMATS as readonly unknown[]).includes(value);
}

/** The data as text in the format (no fence). */
export function formatStructured(data: unknown, format: StructuredFormat): string {
  return format === 'json' ? JSON.stringify(data, null, 2) : stringify(data, { lineWidth: 0 });
}

/** The data as a fenced code block that no value inside can close. */
export function structuredBlock(data: unknown, format: StructuredFormat): string {
  return fenced(formatStructured(data, format), format);
}

/** Text as a fenced code block that nothing inside can close (runs of backticks are broken up). */
export function fenced(text: string, language = ''): string {
  const body = text.replace(/`{3,}/g, (run) => run.split('').join('\u200b'));
  return `\`\`\`${language}\n${body.replace(/\n$/, '')}\n\`\`\``;
}
