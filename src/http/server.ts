/**
 * The HTTP side: health probes, metrics, and the hook routes features add (Alertmanager,
 * chat platform callbacks). Every hook route verifies its caller itself.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean> | boolean;
}

export interface HttpOptions {
  log: Logger;
  metrics: Metrics;
  readiness: ReadinessCheck[];
  bodyLimit?: number;
}

export function createHttpServer(options: HttpOptions): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only picks fastify's HTTP/1 overload.
    // Per-request lines are noise at 3 a.m.: fastify logs them at info, so HTTP logs from warn up
    // (or quieter, if the whole log is).
    loggerInstance: options.log.child(
      { component: 'http' },
      { level: options.log.levelVal > 40 ? options.log.level : 'warn' },
    ) as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  });

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(
      options.readiness.map(async ({ name, check }) => {
        try {
          return [name, await check()] as const;
        } catch {
          return [name, false] as const;
        }
      }),
    );
    const ready = results.every(([, ok]) => ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks: Object.fromEntries(results) });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });

  return app;
}
