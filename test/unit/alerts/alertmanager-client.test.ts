/**
 * The Alertmanager API v2 client against a local HTTP server that misbehaves on purpose:
 * retries on 503, no retry of a write that timed out, a timeout that says so, and errors that
 * carry Alertmanager's own words. (The happy paths run against the real Alertmanager in
 * test/integration/alerts.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../../adapters/alertmanager/client.js';

let server: Server | undefined;
const seen: string[] = [];

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<string> {
  let n = 0;
  seen.length = 0;
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res, ++n);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  const open = server;
  server = undefined;
  if (!open) return;
  open.closeAllConnections();
  await new Promise((resolve) => open.close(resolve));
});

const silence = {
  id: 's1',
  matchers: [{ name: 'alertname', value: 'X', isRegex: false, isEqual: true }],
  startsAt: '2026-11-23T12:00:00Z',
  endsAt: '2026-11-23T14:00:00Z',
  createdBy: 'olivia',
  comment: 'planned',
  status: { state: 'active' },
};

describe('the Alertmanager client', () => {
  it('retries a read that got 503 and then succeeds', async () => {
    const url = await serve((_req, res, n) => {
      if (n < 3) res.writeHead(503).end('not ready');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([silence]));
    });
    const client = new AlertmanagerClient({ name: 'infra', url, retries: 2 });
    const list = await client.listSilences(['alertname="X"']);
    expect(list).toEqual([
      {
        id: 's1',
        matchers: [{ name: 'alertname', type: '=', value: 'X' }],
        startsAt: Date.parse('2026-11-23T12:00:00Z'),
        endsAt: Date.parse('2026-11-23T14:00:00Z'),
        createdBy: 'olivia',
        comment: 'planned',
        state: 'active',
      },
    ]);
    expect(seen).toEqual(Array(3).fill('GET /api/v2/silences?filter=alertname%3D%22X%22'));
  });

  it('gives up after its retries with a sentence naming the Alertmanager and its answer', async () => {
    const url = await serve((_req, res) => res.writeHead(503).end('"not ready"'));
    const client = new AlertmanagerClient({ name: 'infra', url, retries: 1 });
    await expect(client.getSilence('s1')).rejects.toThrow(
      /^Alertmanager infra refused GET \/api\/v2\/silence\/s1 \(503\): not ready$/,
    );
    expect(seen).toHaveLength(2);
  });

  it('does not repeat a create that timed out, and says it timed out', async () => {
    const url = await serve(() => {
      // Never answers.
    });
    const client = new AlertmanagerClient({ name: 'infra', url, timeoutMs: 200, retries: 3 });
    await expect(
      client.createSilence({
        matchers: [{ name: 'a', type: '=', value: 'b' }],
        startsAt: 0,
        endsAt: 1,
        createdBy: 'x',
        comment: 'y',
      }),
    ).rejects.toThrow(/is unreachable: no answer within 200 ms/);
    expect(seen).toEqual(['POST /api/v2/silences']);
  });

  it('sends matchers as Alertmanager wants them and reads the new id', async () => {
    let body = '';
    const url = await serve((req, res) => {
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => res.writeHead(200).end(JSON.stringify({ silenceID: 'new-id' })));
    });
    const client = new AlertmanagerClient({ name: 'infra', url });
    const id = await client.createSilence({
      matchers: [
        { name: 'severity', type: '=~', value: 'warn.*' },
        { name: 'cluster', type: '!=', value: 'apps' },
      ],
      startsAt: Date.parse('2026-11-23T12:00:00Z'),
      endsAt: Date.parse('2026-11-23T13:00:00Z'),
      createdBy: 'olivia',
      comment: 'why',
    });
    expect(id).toBe('new-id');
    expect(JSON.parse(body)).toEqual({
      matchers: [
        { name: 'severity', value: 'warn.*', isRegex: true, isEqual: true },
        { name: 'cluster', value: 'apps', isRegex: false, isEqual: false },
      ],
      startsAt: '2026-11-23T12:00:00.000Z',
      endsAt: '2026-11-23T13:00:00.000Z',
      createdBy: 'olivia',
      comment: 'why',
    });
  });

  it('retries a connection refused, then reports it', async () => {
    const url = await serve(() => undefined);
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    const client = new AlertmanagerClient({ name: 'apps', url, retries: 1 });
    await expect(client.expireSilence('s1')).rejects.toThrow(
      /^Alertmanager apps \(http:\/\/127\.0\.0\.1:\d+\) is unreachable: ECONNREFUSED\.$/,
    );
  });
});
