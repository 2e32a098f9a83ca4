// Renders seed templates: copies SRC_DIR/**/*.yaml to DST_DIR, substituting
//   ${NOW}                      current time, RFC 3339 (seconds)
//   ${NOW_MINUS_<n><s|m|h|d>}   e.g. ${NOW_MINUS_90M}, ${NOW_MINUS_2D}
//   ${NOW_PLUS_<n><s|m|h|d>}
//   ${NAME}                     any environment variable (e.g. ${STACK_PODS})
// An unknown placeholder is an error, so a typo cannot leak into the cluster.
// Usage: node render.mjs SRC_DIR DST_DIR
import fs from 'node:fs';
import path from 'node:path';

const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
  console.error('usage: render.mjs SRC DST');
  process.exit(2);
}
const now = Date.now();
const unit = { S: 1e3, M: 60e3, H: 3600e3, D: 86400e3 };
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function value(name, file) {
  if (name === 'NOW') return iso(now);
  const m = /^NOW_(MINUS|PLUS)_(\d+)([SMHD])$/.exec(name);
  if (m) return iso(now + (m[1] === 'PLUS' ? 1 : -1) * Number(m[2]) * unit[m[3]]);
  if (name in process.env) return process.env[name];
  throw new Error(`${file}: unknown placeholder \${${name}}`);
}

let count = 0;
function walk(dir, out) {
  fs.mkdirSync(out, { recursive: true });
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, e.name);
    const to = path.join(out, e.name);
    if (e.isDirectory()) walk(from, to);
    else if (/\.ya?ml$/.test(e.name)) {
      const text = fs.readFileSync(from, 'utf8').replace(/\$\{([A-Z0-9_]+)\}/g, (_, n) => value(n, from));
      fs.writeFileSync(to, text);
      count++;
    }
  }
}
walk(src, dst);
console.error(`rendered ${count} files into ${dst}`);
