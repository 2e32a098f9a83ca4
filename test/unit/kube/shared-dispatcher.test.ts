/**
 * adapters/kube/shared-dispatcher.ts, through loadKubeConfig as the bot loads a cluster: the
 * requests of one KubeConfig share one connection (HTTP/2, as undici negotiates with the API
 * server), and a client certificate rotated on disk gets a new one. The server is a real
 * loopback HTTP/2 TLS server (node:http2) with a throwaway openssl certificate; the client is the
 * bot's own KubeHttp over client-node and undici.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../../adapters/kube/cluster-reader.js';
import { KubeHttp } from '../../../adapters/kube/http.js';
import { selfSignedPair } from '../../support/self-signed.js';

let server: Http2SecureServer;
let connections = 0;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  const serving = selfSignedPair('127.0.0.1', 1, 'IP:127.0.0.1');
  server = createSecureServer({ ...serving, allowHTTP1: true }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ kind: 'Namespace', metadata: { name: req.url.split('/').pop() } }));
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  dir = mkdtempSync(join(tmpdir(), 'coxswain-shared-dispatcher-'));
  const client = selfSignedPair('coxswain', 1);
  writeFileSync(join(dir, 'client.crt'), client.cert);
  writeFileSync(join(dir, 'client.key'), client.key);
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: {
            server: `https://127.0.0.1:${port}`,
            'certificate-authority-data': Buffer.from(serving.cert).toString('base64'),
          },
        },
      ],
      users: [
        {
          name: 'u',
          user: { 'client-certificate': join(dir, 'client.crt'), 'client-key': join(dir, 'client.key') },
        },
      ],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    }),
  );
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const http = () =>
  new KubeHttp('c', loadKubeConfig({ name: 'c', kubeconfig }), { userAgent: 'test', timeoutMs: 5000 });

async function namespaces(client: KubeHttp, count: number): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => `ns-${i}`);
  const answers = await Promise.all(names.map((name) => client.request('GET', `/api/v1/namespaces/${name}`)));
  expect(answers.map((a) => (a.metadata as { name: string }).name)).toEqual(names);
}

describe('requests of one KubeConfig', () => {
  it('share one connection, however many run at once', async () => {
    const before = connections;
    const client = http();
    await namespaces(client, 12);
    await namespaces(client, 12);
    expect(connections - before).toBe(1);
  });

  it('move to a new connection when the client certificate on disk changes', async () => {
    const client = http();
    await namespaces(client, 3);
    const before = connections;
    const rotated = selfSignedPair('coxswain', 2);
    writeFileSync(join(dir, 'client.crt'), rotated.cert);
    writeFileSync(join(dir, 'client.key'), rotated.key);
    await namespaces(client, 3);
    await namespaces(client, 3);
    expect(connections - before).toBe(1);
  });
});
