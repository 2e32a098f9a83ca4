// The memory figures alone (issue 22), against a running test stack, without the rest of
// `npm run bench` and without scaling the stack: idle, caches full and the alert storm, as
// bench/memory.mjs measures them for BENCHMARKS.md. Run it alone (it samples RSS):
//   npm run build --silent && STACK_STATE_DIR=test/stack/.state node bench/memory-run.mjs
// The stack should have been started with `bash test/stack/up.sh --pods 5000`.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { measureCachesAndStorm, measureIdle } from './memory.mjs';

const repo = new URL('..', import.meta.url).pathname;
const dir = process.env.STACK_STATE_DIR ?? 'test/stack/.state';
const env = {};
for (const line of readFileSync(join(isAbsolute(dir) ? dir : join(repo, dir), 'env'), 'utf8').split('\n')) {
  const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
  if (m) env[m[1]] = m[2];
}
const idle = await measureIdle();
const cached = await measureCachesAndStorm(env);
console.log(JSON.stringify({ idleMiB: idle.idleMiB, ...cached }, null, 2));
