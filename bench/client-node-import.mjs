// What importing @kubernetes/client-node costs a bare node process, by what is imported: RSS and
// live heap (after two full GCs) once the import has settled, each variant in its own process.
// Not part of `npm run bench`; run it alone: `npm run build --silent && node bench/client-node-import.mjs`.
//  - nothing: a bare node process that imports one empty module;
//  - index: `import '@kubernetes/client-node'` (every generated API and model);
//  - config.js: KubeConfig alone, as the package ships it (its config.js imports the generated index);
//  - slim: KubeConfig and RequestContext with adapters/kube/client-node-slim.js registered first,
//    as the bot loads them (dist/ must be built);
//  - slim, then index: the same, then the full index, as the first generated-API call does.
import { execFileSync } from 'node:child_process';

const probe = `
const { readFileSync } = await import('node:fs');
const steps = JSON.parse(process.argv[1]);
const started = performance.now();
for (const step of steps) await import(step);
const ms = performance.now() - started;
await new Promise((r) => setTimeout(r, 300));
globalThis.gc(); globalThis.gc();
const rss = Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
console.log(JSON.stringify({ ms, rss, heap: process.memoryUsage().heapUsed / 2 ** 20 }));
`;

const slim = new URL('../dist/adapters/kube/client-node-slim.js', import.meta.url).href;
const empty = `data:text/javascript,export default 1`;
const variants = [
  ['nothing', [empty]],
  ['index', ['@kubernetes/client-node']],
  ['config.js (KubeConfig)', ['@kubernetes/client-node/dist/config.js']],
  [
    'slim: KubeConfig + RequestContext',
    [slim, '@kubernetes/client-node/dist/config.js', '@kubernetes/client-node/dist/gen/http/http.js'],
  ],
  ['slim, then index', [slim, '@kubernetes/client-node/dist/config.js', '@kubernetes/client-node']],
];

const rows = [];
for (const [name, steps] of variants) {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--input-type=module', '-e', probe, JSON.stringify(steps)],
    { cwd: new URL('..', import.meta.url), encoding: 'utf8' },
  );
  const { ms, rss, heap } = JSON.parse(out);
  rows.push(`| ${name} | ${rss.toFixed(0)} | ${heap.toFixed(1)} | ${ms.toFixed(0)} |`);
}
console.log(
  ['| import | RSS MiB | live heap MiB | import ms |', '| --- | --- | --- | --- |', ...rows].join('\n'),
);
