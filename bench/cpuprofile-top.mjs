// The top self-time functions of a V8 CPU profile (`node --cpu-prof`, or BENCH_CPU_PROF with the
// alerts-cpu bench): relative weights, which the machine's load does not skew the way it skews
// wall-clock figures. `node bench/cpuprofile-top.mjs <file.cpuprofile> [count]`
import { readFileSync } from 'node:fs';

const [file, count = '30'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const hits = new Map();
profile.samples.forEach((id, i) => {
  hits.set(id, (hits.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const self = new Map();
let total = 0;
for (const [id, us] of hits) {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '~/').replace(/^.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  total += us;
}
const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
process.stdout.write(
  `total ${(total / 1e6).toFixed(2)} s sampled, ${(idle / 1e6).toFixed(2)} s idle; self time, % of the busy time:\n`,
);
const busy = [...self].filter(([k]) => !k.startsWith('(idle)'));
for (const [key, us] of busy.sort((a, b) => b[1] - a[1]).slice(0, Number(count)))
  process.stdout.write(`${((100 * us) / (total - idle)).toFixed(1).padStart(5)}%  ${key}\n`);
