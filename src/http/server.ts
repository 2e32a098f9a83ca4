/**
 * The HTTP side: health probes, metrics, and the hook routes features add (Alertmanager,
 * chat platform callbacks). Every hook route verifies its caller itself.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { lazyChildLogger } from './lazy-child-logger.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean> | boolean;
}

export interface HttpOptions {
  log: Logger;
  metrics: Metrics;
  /**
   * What /readyz requires: only what taking a webhook needs (the store). The Service routes
   * Alertmanager's webhooks to ready pods, and the outbox exists for chat outages: a pod that
   * cannot reach chat must still take alerts, so chat is not in here.
   */
  readiness: ReadinessCheck[];
  /** Shown in /healthz beside `ok`, never failing it (the chat connection); a metric and an alert watch them. */
  details?: ReadinessCheck[];
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
    // A request's child logger is made only when it writes a line (lazy-child-logger.ts).
    childLoggerFactory: (logger, bindings, childOptions) =>
      lazyChildLogger(logger as unknown as Logger, bindings, childOptions) as unknown as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  });

  // Liveness: the process answers. The details say what else is up, for people and dashboards.
  app.get('/healthz', async () => ({
    ok: true,
    details: Object.fromEntries(await runChecks(options.details ?? [])),
  }));

  app.get('/readyz', async (_request, reply) => {
    const results = await runChecks(options.readiness);
    const ready = results.every(([, ok]) => ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks: Object.fromEntries(results) });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });

  return app;
}

function runChecks(checks: ReadinessCheck[]): Promise<(readonly [string, boolean])[]> {
  return Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        return [name, await check()] as const;
      } catch {
        return [name, false] as const;
      }
    }),
  );
}
