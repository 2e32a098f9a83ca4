/**
 * adapters/kube/client-node-slim.ts: with its hook registered, KubeConfig loads without a single
 * generated API class or model of @kubernetes/client-node, and the generated clients made later
 * from that KubeConfig (after the full index is imported, as operator-client.ts does) still work
 * against a real loopback HTTP server. In a child node process: the hook and the module cache are
 * per process, and this test's own process may have loaded the package already.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = new URL('../../../', import.meta.url);
const slim = new URL('adapters/kube/client-node-slim.ts', repo).href;

// Runs as an ES module in the child, from the repo root (so the package resolves from there).
const probe = `
import { createServer } from 'node:http';
import { registerHooks } from 'node:module';
const withSlim = process.argv[1] === 'slim';
if (withSlim) await import(${JSON.stringify(slim)});
const loaded = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r; } });
const generated = () => loaded.filter((u) => /\\/client-node\\/dist\\/gen\\/(apis|models|types)\\//.test(u)).length;

let authorization;
const server = createServer((req, res) => {
  authorization = req.headers.authorization;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: req.url.split('/').pop() } }));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
const beforeIndex = generated();
const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'c', server: 'http://127.0.0.1:' + server.address().port, skipTLSVerify: true }],
  users: [{ name: 'u', token: 'slim-token' }],
  contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
  currentContext: 'c',
});
const { CoreV1Api } = await import('@kubernetes/client-node');
const afterIndex = generated();
const namespace = await kc.makeApiClient(CoreV1Api).readNamespace({ name: 'default' });
server.close();
console.log(JSON.stringify({ beforeIndex, afterIndex, name: namespace.metadata?.name, authorization }));
`;

async function probeRun(mode: 'slim' | 'plain') {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe, mode], {
    cwd: repo,
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as {
    beforeIndex: number;
    afterIndex: number;
    name?: string;
    authorization?: string;
  };
}

describe('client-node-slim', () => {
  it('loads KubeConfig without the generated APIs; generated clients made later still call the server', async () => {
    const result = await probeRun('slim');
    expect(result.beforeIndex).toBe(0);
    expect(result.afterIndex).toBeGreaterThan(1000);
    expect(result.name).toBe('default');
    expect(result.authorization).toBe('Bearer slim-token');
  });

  it('without the hook, KubeConfig alone pulls in every generated API and model (what the hook saves)', async () => {
    const result = await probeRun('plain');
    expect(result.beforeIndex).toBeGreaterThan(1000);
    expect(result.name).toBe('default');
  });
});
