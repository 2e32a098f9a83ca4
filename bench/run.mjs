// `npm run bench`: runs every benchmark and writes BENCHMARKS.md with the machine and the date.
// Figures are compared as ratios to a floor measured in the same run; the machine is noisy.
import { writeFileSync } from 'node:fs';
import { machine } from './lib.mjs';

const only = process.argv.slice(2);
const benches = [
  ['footprint', () => import('./footprint.mjs')],
  ['router', () => import('./router.mjs')],
  ['alerts', () => import('./alerts.mjs')],
  ['health', () => import('./health.mjs')],
];

const sections = [];
for (const [name, load] of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  const started = performance.now();
  const result = await (await load()).run();
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const table = [result.header, result.header.map(() => '---'), ...result.rows]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n');
  sections.push(`## ${result.title}\n\n${table}\n\n${result.note} (${seconds} s)`);
  process.stderr.write(`${table}\n`);
}

const text = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, on ${machine()}.
Each figure sits beside a floor measured in the same run; read the ratios, the absolute numbers move
with the machine's load.

${sections.join('\n\n')}
`;
writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), text);
process.stderr.write('bench: wrote BENCHMARKS.md\n');
