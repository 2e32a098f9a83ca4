// A tiny dependency-free Prometheus exporter for the test stack.
//
//   GET  /metrics                      text exposition: coxswain_test_flag and any gauges set below
//   GET  /flag                         current value of coxswain_test_flag
//   POST /flag/1 | /flag/0             set coxswain_test_flag (PUT works too)
//   POST /metric?name=N&value=V[&labels=k=v,k2=v2]   set an arbitrary gauge
//   GET  /-/healthy                    200
//
// State lives in STATE_FILE (JSON) so a test (or a shell: echo '{"coxswain_test_flag":1}' > file)
// can flip it without HTTP, and so a restarted exporter keeps its values.
// Usage: node exporter.mjs --port P --state FILE

import fs from 'node:fs';
import http from 'node:http';

const args = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[i + 1];
const port = Number(args.port ?? process.env.EXPORTER_PORT ?? 9100);
const stateFile = args.state ?? process.env.EXPORTER_STATE ?? '';

function load() {
  if (!stateFile) return memory;
  try {
    return JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch {
    return { coxswain_test_flag: 0 };
  }
}
function save(state) {
  memory = state;
  if (stateFile) {
    fs.writeFileSync(`${stateFile}.tmp`, JSON.stringify(state));
    fs.renameSync(`${stateFile}.tmp`, stateFile);
  }
}
let memory = { coxswain_test_flag: 0 };
if (stateFile && !fs.existsSync(stateFile)) save(memory);

const nameOk = (n) => /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(n);
const labelStr = (l) =>
  l
    ? `{${l
        .split(',')
        .filter(Boolean)
        .map((kv) => {
          const [k, ...v] = kv.split('=');
          return `${k}="${v.join('=').replace(/["\\\n]/g, '')}"`;
        })
        .join(',')}}`
    : '';

function metrics() {
  const st = load();
  const lines = [
    '# HELP coxswain_test_flag Test switch: 1 makes the CoxswainTestFlag alert fire.',
    '# TYPE coxswain_test_flag gauge',
    `coxswain_test_flag ${Number(st.coxswain_test_flag ?? 0)}`,
  ];
  for (const [key, v] of Object.entries(st)) {
    if (key === 'coxswain_test_flag') continue;
    lines.push(`${key} ${Number(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const send = (code, body, type = 'text/plain; charset=utf-8') => {
    res.writeHead(code, { 'content-type': type });
    res.end(body);
  };
  const write = req.method === 'POST' || req.method === 'PUT';
  if (req.method === 'GET' && url.pathname === '/metrics')
    return send(200, metrics(), 'text/plain; version=0.0.4; charset=utf-8');
  if (req.method === 'GET' && url.pathname === '/-/healthy') return send(200, 'ok\n');
  if (req.method === 'GET' && url.pathname === '/flag')
    return send(200, `${Number(load().coxswain_test_flag ?? 0)}\n`);
  const m = /^\/flag\/([01])$/.exec(url.pathname);
  if (write && m) {
    save({ ...load(), coxswain_test_flag: Number(m[1]) });
    return send(200, `coxswain_test_flag ${m[1]}\n`);
  }
  if (write && url.pathname === '/metric') {
    const name = url.searchParams.get('name') ?? '';
    const value = Number(url.searchParams.get('value'));
    if (!nameOk(name) || Number.isNaN(value)) return send(400, 'need name=<metric name>&value=<number>\n');
    const key = name + labelStr(url.searchParams.get('labels'));
    save({ ...load(), [key]: value });
    return send(200, `${key} ${value}\n`);
  }
  send(404, 'not found\n');
});
server.listen(port, '127.0.0.1', () =>
  console.log(`exporter listening on 127.0.0.1:${port} state=${stateFile || '(memory)'}`),
);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
