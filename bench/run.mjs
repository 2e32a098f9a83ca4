// `npm run bench`: runs every benchmark and writes BENCHMARKS.md with the machine, the date, the
// load average before and after, and each figure against the issue's goals. Figures are compared
// as ratios to a floor measured in the same run; the machine is noisy.
// `node bench/run.mjs alerts-ramp health` runs only those (BENCHMARKS.md is then not written).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { machine, ms } from './lib.mjs';
import { measureCachesAndStorm, measureIdle } from './memory.mjs';
import { measureOpsGet } from './ops-get.mjs';

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
  ['alerts-cpu', () => import('./alerts-cpu.mjs')],
  ['alerts-ramp', () => import('./alerts-ramp.mjs')],
  ['alerts-hour', () => import('./alerts-hour.mjs')],
  ['health', () => import('./health.mjs')],
];

// Measured while the stack's apps cluster has 5,000 pods (bench/health.mjs calls this there).
const at5000 = async (env) => {
  process.stderr.write(`bench: /ops get pods -A at 5,000 pods... (load ${load()})\n`);
  const opsGet = await measureOpsGet(env, 100);
  process.stderr.write(`bench: memory with the caches full, then an alert storm... (load ${load()})\n`);
  const memory = await measureCachesAndStorm(env);
  return { opsGet, memory };
};

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
  const result = await (await importer()).run(name === 'health' ? { at5000 } : {});
  results[name] = result;
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const table = [result.header, result.header.map(() => '---'), ...result.rows]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n');
  sections.push(`## ${result.title}\n\n${table}\n\n${result.note} (${seconds} s)`);
  process.stderr.write(`${table}\n`);
}

// Memory of the Mattermost-configured bot: idle here, the rest from the health bench's 5,000 pods.
const MEMORY_GOALS = { idle: 140, cached: 170, storm: 200 };
let idleMemory;
if (only.length === 0 || only.includes('memory')) {
  process.stderr.write(`bench: memory, idle... (load ${load()})\n`);
  const started = performance.now();
  idleMemory = await measureIdle();
  const cached = results.health?.at5000?.memory;
  const pods = results.health?.at5000?.opsGet?.pods;
  const mib = (v) => (v === undefined ? 'not measured' : `${v.toFixed(0)} MiB`);
  const met = (v, goal) => (v === undefined ? '—' : v <= goal ? 'met' : '**missed**');
  const rows = [
    [
      'idle after ready (no cluster configured)',
      mib(idleMemory.idleMiB),
      `≤ ${MEMORY_GOALS.idle} MiB`,
      met(idleMemory.idleMiB, MEMORY_GOALS.idle),
    ],
    [
      `caches full: both clusters, every informer of the health report listed and watching${pods ? ` (${pods.toLocaleString('en')} pods on apps)` : ''}`,
      mib(cached?.cachedMiB),
      `≤ ${MEMORY_GOALS.cached} MiB`,
      met(cached?.cachedMiB, MEMORY_GOALS.cached),
    ],
    [
      cached
        ? `alert storm on that bot: ${cached.stormAlerts.toLocaleString('en')} alerts of new groups at 1,000/s for 15 s, highest sample until the outbox drained`
        : 'alert storm (needs the stack)',
      mib(cached?.stormPeakMiB),
      `≤ ${MEMORY_GOALS.storm} MiB`,
      met(cached?.stormPeakMiB, MEMORY_GOALS.storm),
    ],
  ];
  results.memory = { idle: idleMemory.idleMiB, cached: cached?.cachedMiB, storm: cached?.stormPeakMiB };
  const table = [['measure', 'RSS', 'goal', 'verdict'], ['---', '---', '---', '---'], ...rows]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n');
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  sections.push(
    `## Memory of the Mattermost-configured bot: idle, with the caches full, during an alert storm\n\n${table}\n\nThe built bot with its real Mattermost adapter (Client4, the WebSocket) pointed at the chat double, SQLite on disk, HTTP on, default alert settings; RSS as the median of 25 samples over 5 s (the figure \`ps\` or the kubelet shows). Caches full: the stack's two real API servers configured as \`clusters\`, a health summary scheduled every 10 s into the double; the first post (after ${cached ? cached.fillSeconds.toFixed(0) : '—'} s) means every informer the report reads has listed and watches, then 3 s more before sampling. The storm: the same bot, webhooks of new groups only${cached ? ` (${cached.refused} alerts refused; ${cached.chatPosts} chat posts in all)` : ''}. (idle: ${seconds} s)`,
  );
  process.stderr.write(`${table}\n`);
}

const opsGet = results.health?.at5000?.opsGet;
if (opsGet) {
  const floor = results.health.floorAt5000;
  const rows = [
    [
      'p50',
      ms(opsGet.warm.p50ms),
      floor ? ms(floor.p50) : '—',
      floor ? `${(opsGet.warm.p50ms / floor.p50).toFixed(2)}×` : '—',
      '',
    ],
    [
      'p95',
      ms(opsGet.warm.p95ms),
      floor ? ms(floor.p95) : '—',
      floor ? `${(opsGet.warm.p95ms / floor.p95).toFixed(2)}×` : '—',
      `≤ 300 ms: ${opsGet.warm.p95ms <= 300 ? 'met' : '**missed**'}`,
    ],
    ['p99', ms(opsGet.warm.p99ms), '—', '—', ''],
    [
      'API requests per call, caches warm',
      `${opsGet.warm.listRequests} lists, ${opsGet.warm.otherRequests} other in ${opsGet.warm.rounds} calls`,
      '1 list',
      '',
      'no list per call',
    ],
    [
      'first, cold answer',
      `${opsGet.cold.ms} ms, ${opsGet.cold.requests} requests (one list, one watch)`,
      '',
      '',
      '',
    ],
  ];
  const table = [
    [
      'measure',
      '`/ops get pods -A --cluster apps`',
      'floor: one raw list of all pods (watch cache)',
      'ratio',
      'goal',
    ],
    ['---', '---', '---', '---', '---'],
    ...rows,
  ]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n');
  sections.push(
    `## \`/ops get pods -A\` from the watch caches at ${opsGet.pods.toLocaleString('en')} pods\n\n${table}\n\n${opsGet.warm.rounds} warm rounds through the whole router (parse, validate, authorize, audit in SQLite), the kubectl-style table built and handed to the chat port's upload (${(opsGet.uploadedBytes / 1024).toFixed(0)} KiB), against the stack started for the health bench. The floor is what \`kubectl get pods -A\` would cost before printing: one list from the API server's watch cache (the health bench's floor at the same pod count).`,
  );
}

const loadAfter = load();
const minutes = ((performance.now() - began) / 60_000).toFixed(1);

if (only.length > 0) {
  process.stderr.write(`bench: done in ${minutes} min; BENCHMARKS.md is written only by a full run\n`);
  process.exit(0);
}

const verdict = (ok) => (ok ? 'met' : '**missed**');
const opsGetGoal = results.health?.at5000?.opsGet;
const { footprint, 'alerts-overhead': overhead, 'alerts-ramp': ramp, 'alerts-hour': hour, health } = results;
const goals = [
  [
    'in-bot overhead per alert over the relay, p50 and p99',
    '≤ 2 ms',
    `p99 ${ms(overhead.rawOverheadP99)}; p50 ${ms(overhead.rawOverheadP50)}`,
    verdict(overhead.rawOverheadP99 <= 2 && overhead.rawOverheadP50 <= 2),
  ],
  [
    'sustained alerts/s on 2 cores, outbox bounded',
    '≥ 4,000/s (issue 22; ≥ 1,000/s before)',
    `${ramp.sustained.toLocaleString('en')}/s with the default chat limit; ${ramp.sustainedUnlimited.toLocaleString('en')}/s with it lifted`,
    `${verdict(ramp.sustained >= 4000)} (default) / ${verdict(ramp.sustainedUnlimited >= 4000)} (lifted)`,
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
  [
    '`/ops get pods -A` p95 at 5,000 pods, no list per call',
    '≤ 300 ms',
    opsGetGoal === undefined
      ? 'not measured'
      : `${ms(opsGetGoal.warm.p95ms)}; ${opsGetGoal.warm.listRequests} lists in ${opsGetGoal.warm.rounds} calls`,
    opsGetGoal === undefined
      ? '—'
      : verdict(opsGetGoal.warm.p95ms <= 300 && opsGetGoal.warm.listRequests === 0),
  ],
  ...[
    ['RSS, Mattermost-configured bot, idle', 'idle', MEMORY_GOALS.idle],
    ['RSS, with 5,000 pods cached', 'cached', MEMORY_GOALS.cached],
    ['RSS, during an alert storm (peak)', 'storm', MEMORY_GOALS.storm],
  ].map(([label, key, goal]) => {
    const value = results.memory?.[key];
    return [
      label,
      `≤ ${goal} MiB`,
      value === undefined ? 'not measured' : `${value.toFixed(0)} MiB`,
      value === undefined ? '—' : verdict(value <= goal),
    ];
  }),
  ['peak RSS of the bot during the alert ramps', '—', `${ramp.peakMiB.toFixed(0)} MiB`, '—'],
];
const goalTable = [['goal', 'target', 'this run', 'verdict'], ['---', '---', '---', '---'], ...goals]
  .map((row) => `| ${row.join(' | ')} |`)
  .join('\n');

// What the figures mean and where the time and memory go: kept in bench/notes.md, so a re-run
// keeps the explanation beside its fresh figures.
const notesFile = new URL('./notes.md', import.meta.url);
const notes = existsSync(notesFile) ? `\n${readFileSync(notesFile, 'utf8').trim()}\n` : '';

// A section another tool writes (the Botkube comparison) between these markers is carried over
// from the old file unchanged: a re-run of this bench must not drop it.
const target = new URL('../BENCHMARKS.md', import.meta.url);
const old = existsSync(target) ? readFileSync(target, 'utf8') : '';
const kept = /<!-- botkube:start -->[\s\S]*?<!-- botkube:end -->/.exec(old)?.[0];

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
${kept ? `\n${kept}\n` : ''}`;
writeFileSync(target, text);
process.stderr.write(`bench: wrote BENCHMARKS.md (${minutes} min)\n`);
