/** `/ops get` over in-memory caches (the port), for what the stack tests cannot vary cheaply. */
import { afterEach, describe, expect, it } from 'vitest';
import { KINDS } from '../../../src/health/kinds.js';
import type { KubeObject } from '../../../src/health/types.js';
import { createHarness, type Harness } from '../../support/router-harness.js';
import { MemoryReader } from '../health/fake-reader.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function pods(count: number): KubeObject[] {
  return Array.from({ length: count }, (_, i) =>
    KINDS.pods.trim({
      metadata: { name: `web-${i}`, namespace: 'shop', labels: { app: 'web', shard: String(i % 2) } },
      spec: { nodeName: 'apps-01', containers: [{ name: 'c' }] },
      status: {
        phase: 'Running',
        podIP: `10.0.0.${i}`,
        containerStatuses: [{ name: 'c', ready: true, restartCount: 0 }],
      },
    }),
  );
}

async function harness(count: number, upload: boolean) {
  const reader = new MemoryReader('apps', {
    pods: pods(count),
    namespaces: [{ metadata: { name: 'shop' } }],
  });
  const files: string[] = [];
  h = await createHarness({
    config: { clusters: [{ name: 'apps', inCluster: true }] },
    services: () => ({
      caches: new Map([['apps', reader]]),
      ...(upload
        ? {
            upload: async (destination, file) => {
              files.push(file.content);
              return { platform: 'test', channelId: destination.channelId, postId: 'f' };
            },
          }
        : {}),
    }),
  });
  return { h, files };
}

describe('get: answers by length', () => {
  it('a short list inline, as a code block', async () => {
    const { h } = await harness(3, true);
    const r = await h.run('victor', 'get pods -n shop');
    expect(r.texts[0]).toMatch(
      /^```\nNAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nshop\s+web-0\s+1\/1\s+Running\s+0/,
    );
  });

  it('a long one as a file, every row in it', async () => {
    const { h, files } = await harness(80, true);
    const r = await h.run('victor', 'get pods -A');
    expect(r.answers).toHaveLength(0);
    expect(files[0]?.split('\n')).toHaveLength(81);
  });

  it('without an upload capability: the first lines, and how to narrow down', async () => {
    const { h } = await harness(80, false);
    const r = await h.run('victor', 'get pods -A');
    expect(r.texts[0]).toContain('The first 50 of 81 lines');
  });

  it('-l and -o wide work on the cached labels and fields', async () => {
    const { h } = await harness(4, true);
    const r = await h.run('victor', 'get pods -l shard=1 -o wide');
    const lines = (r.texts[0] ?? '').split('\n').slice(1, -1);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[1])).toEqual(['web-1', 'web-3']);
    expect(lines[0]).toMatch(/IP\s+NODE$/);
    expect(lines[1]).toMatch(/10\.0\.0\.1\s+apps-01$/);
  });

  it('-n and -A together are refused before anything is read', async () => {
    const { h } = await harness(1, true);
    expect((await h.run('victor', 'get pods -n shop -A')).texts[0]).toContain(
      'Use either -n NS or -A, not both.',
    );
  });
});
