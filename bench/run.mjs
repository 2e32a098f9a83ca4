// `npm run bench`: runs every benchmark and writes BENCHMARKS.md with the machine, the date, the
// load average before and after, and each figure against the goals. Figures are compared
// as ratios to a floor measured in the same run; the machine is noisy.
// `node bench/run.mjs alerts-ramp health` runs only those (BENCHMARKS.md is then not written).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { machine, ms } from './lib.mjs';

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(
    `bench: the bot needs Node 24 or newer; this is Node ${process.version} (see engines in package.json)\n`,
  );
  process.exit(1);
}

const only = process.argv.slice(2);
const benches = [
  ['footprint', () => import('./footprint.mjs')],
  ['router', () => import('./router.mjs')],
  ['alerts', () => import('./alerts.mjs')],
  ['alerts-overhead', () => import('./alerts-overhead.mjs')],
  ['alerts-ramp', () => import('./alerts-ramp.mjs')],
  ['alerts-hour', () => import('./alerts-hour.mjs')],
  ['health', () => import('./health.mjs')],
];

const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(', ');
const loadBefore = load();
const startedAt = new Date();
const began = performance.now();

const sections = [];
const results = {};
for (const [name, importer] of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}... (load ${load()})\n`);
  const started = performance.now();
  const result = await (await importer()).run();
  results[name] = result;
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const table = [result.header, result.header.map(() => '---'), ...result.rows]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n');
  sections.push(`## ${result.title}\n\n${table}\n\n${result.note} (${seconds} s)`);
  process.stderr.write(`${table}\n`);
}
const loadAfter = load();
const minutes = ((performance.now() - began) / 60_000).toFixed(1);

if (only.length > 0) {
  process.stderr.write(`bench: done in ${minutes} min; BENCHMARKS.md is written only by a full run\n`);
  process.exit(0);
}

const verdict = (ok) => (ok ? 'met' : '**missed**');
const { footprint, 'alerts-overhead': overhead, 'alerts-ramp': ramp, 'alerts-hour': hour, health } = results;
const goals = [
  [
    'in-bot overhead per alert, p99 (and p50)',
    '≤ 2 ms',
    `p99 ${ms(overhead.rawOverheadP99)}; p50 ${ms(overhead.rawOverheadP50)}`,
    verdict(overhead.rawOverheadP99 <= 2 && overhead.rawOverheadP50 <= 2),
  ],
  [
    'sustained alerts/s on 2 cores',
    '≥ 1,000/s',
    `${ramp.sustained.toLocaleString('en')}/s with the default chat limit; ${ramp.sustainedUnlimited.toLocaleString('en')}/s with it lifted`,
    `${verdict(ramp.sustained >= 1000)} (default) / ${verdict(ramp.sustainedUnlimited >= 1000)} (lifted)`,
  ],
  [
    'warm `/ops health` p95 at 5,000 pods',
    '≤ 300 ms',
    health.warmP95At5000 === undefined ? 'not measured' : ms(health.warmP95At5000),
    health.warmP95At5000 === undefined ? '—' : verdict(health.warmP95At5000 <= 300),
  ],
  [
    'idle RSS after start (shell adapter)',
    '≤ 80 MiB',
    `${footprint.idleMiB.toFixed(0)} MiB`,
    verdict(footprint.idleMiB <= 80),
  ],
  ['start → ready', '≤ 1,500 ms', ms(footprint.readyMs), verdict(footprint.readyMs <= 1500)],
  [
    'RSS trend over a busy hour (compressed), 2nd half',
    'no growth',
    `${hour.trend >= 0 ? '+' : ''}${hour.trend.toFixed(2)} MiB/min RSS; live heap after full GC ${hour.heapGrowth >= 0 ? '+' : ''}${hour.heapGrowth.toFixed(1)} MiB`,
    Math.abs(hour.heapGrowth) < 5 ? 'live heap flat' : '**live heap grew**',
  ],
  ['peak RSS of the bot during the alert ramps', '—', `${ramp.peakMiB.toFixed(0)} MiB`, '—'],
];
const goalTable = [['goal', 'target', 'this run', 'verdict'], ['---', '---', '---', '---'], ...goals]
  .map((row) => `| ${row.join(' | ')} |`)
  .join('\n');

// What the figures mean and where the time and memory go: kept in bench/notes.md, so a re-run
// keeps the explanation beside its fresh figures.
const notesFile = new URL('./notes.md', import.meta.url);
const notes = existsSync(notesFile) ? `\n${readFileSync(notesFile, 'utf8').trim()}\n` : '';

const text = `# Benchmarks

Written by \`npm run bench\` on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, on ${machine()}.
Load average (1, 5, 15 min) at the start: ${loadBefore}; at the end: ${loadAfter}. The whole run took
${minutes} minutes. Each figure sits beside a floor measured in the same run; read the ratios, the
absolute numbers move with the machine's load. To run it again: \`npm run bench\` (with
\`STACK_STATE_DIR\` pointing at a stack started with \`--pods 5000\`, or none: then one is started
and stopped).

## Against the goals

${goalTable}
${notes}
${sections.join('\n\n')}
`;
writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), text);
process.stderr.write(`bench: wrote BENCHMARKS.md (${minutes} min)\n`);
