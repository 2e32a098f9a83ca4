/**
 * The bearer token and URL credentials of a metrics endpoint. The stack's Prometheus takes no
 * credentials, so a small HTTP server in this process stands in for an authenticating proxy in
 * front of one (vmauth): it answers the query only with the right Authorization header.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../../adapters/prometheus/client.js';

const TOKEN = 'tok-3x4mpl3-secret';
let server: Server;
let url: string;
const seen: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    const ok =
      req.headers.authorization === `Bearer ${TOKEN}` ||
      req.headers.authorization === `Basic ${Buffer.from('vm:p@ss').toString('base64')}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': ok ? 'application/json' : 'text/plain' });
    res.end(
      ok
        ? JSON.stringify({
            status: 'success',
            data: { resultType: 'vector', result: [{ metric: { a: 'b' }, value: [1, '+Inf'] }] },
          })
        : 'Unauthorized',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.close();
});

describe('the Prometheus client', () => {
  it('sends the bearer token, and without it reports the refusal without any token', async () => {
    expect(await new PrometheusClient({ url, bearerToken: TOKEN }).instant('up')).toEqual([
      { labels: { a: 'b' }, value: Number.POSITIVE_INFINITY },
    ]);
    const refused = await new PrometheusClient({ url, bearerToken: 'wrong-token' })
      .instant('up')
      .catch((e: unknown) => e as Error);
    expect((refused as Error).message).toBe(`The metrics endpoint ${url} refused the query (HTTP 401).`);
    expect(seen.at(-1)).toBe('Bearer wrong-token');
  });

  it('sends user:password of the URL as Basic and never shows them', async () => {
    const withUser = url.replace('http://', 'http://vm:p%40ss@');
    const client = new PrometheusClient({ url: withUser });
    expect(client.url).toBe(url);
    expect(await client.instant('up')).toHaveLength(1);
  });
});
