/**
 * Kubernetes calls through client-node's generated API classes (the drills' and phases' reads
 * and impersonated writes) have a deadline: against an API server that accepts the connection
 * and never answers, the call fails instead of waiting for undici's 300 s. The hung server is a
 * real loopback HTTP server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCallTimeout } from '../../../adapters/kube/call-timeout.js';

let server: Server;
let kc: KubeConfig;

beforeAll(async () => {
  server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'hung', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'hung', cluster: 'hung', user: 'u' }],
    currentContext: 'hung',
  });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('Kubernetes calls to an API server that never answers', () => {
  it('fail once the deadline passes', async () => {
    const api = withCallTimeout(kc, 150).makeApiClient(CoreV1Api);
    await expect(api.readNamespace({ name: 'default' })).rejects.toThrow(/abort|timeout/i);
  });
});
